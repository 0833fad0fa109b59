package tradestation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
)

// Client calls TradeStation's API v3 (and WebAPI v2 through V2) with an
// *http.Client that carries the token. Calls are grouped into services, as
// in go-github: c.Accounts.List(ctx), c.Quotes.Get(ctx, "MSFT", "AAPL"). A
// Client is safe for concurrent use.
type Client struct {
	v3, v2, signin *rest.Client
	tokens         auth.TokenSource
	err            error // configuration error, returned by every call

	// Accounts lists accounts and balances (v3).
	Accounts *AccountsService
	// Positions lists open positions (v3).
	Positions *PositionsService
	// Quotes fetches quote snapshots (v3).
	Quotes *QuotesService
	// Orders places, confirms, replaces, cancels and lists orders (v3).
	Orders *OrdersService
	// Bars fetches bar charts (v3).
	Bars *BarsService
	// Symbols reads symbol details (v3).
	Symbols *SymbolsService
	// Profile reads the logged-in user's OpenID profile.
	Profile *ProfileService
	// V2 calls the legacy WebAPI v2.
	V2 *V2Service
	// Streams opens live streams of quotes, bars, orders and positions.
	Streams *StreamsService

	api         API          // the provider's API family (V3 without a provider)
	hasProvider bool         // the client was built from a provider
	streamHTTP  *http.Client // httpClient without a timeout, same-origin redirects only
	streamOpts  stream.Options
	userAgent   string
}

// service is what every service holds: the client.
type service struct{ c *Client }

// RetryPolicy bounds the retries of GET calls on 429 and 5xx answers.
type RetryPolicy = rest.RetryPolicy

// Option configures a Client.
type Option func(*clientOptions)

type clientOptions struct {
	provider  *Provider
	baseURL   string
	tokens    auth.TokenSource
	retry     rest.RetryPolicy
	userAgent string
	base      http.RoundTripper
	streams   stream.Options
}

// WithProvider takes the API hosts and the environment from p.
func WithProvider(p *Provider) Option {
	return func(o *clientOptions) { o.provider = p }
}

// WithBaseURL sets the API host (v3 under u/v3, v2 under u/v2) for tests
// and proxies; it overrides WithProvider's. Without a provider, u also
// serves the sign-in server's /userinfo (Profile) and the AOP API
// (NewAOPClient).
func WithBaseURL(u string) Option {
	return func(o *clientOptions) { o.baseURL = u }
}

// WithRetry bounds the retries of GET calls on 429 and 5xx answers
// (MaxAttempts 1 disables retrying). Retries honour Retry-After and
// X-RateLimit-Reset, with jittered exponential backoff. Without this
// option a GET makes at most 3 attempts and waits at most 30 seconds in
// all; other methods are never retried.
func WithRetry(p RetryPolicy) Option {
	return func(o *clientOptions) { o.retry = p }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(o *clientOptions) { o.userAgent = ua }
}

// WithBaseTransport sets the transport under the auth transport of
// Provider.NewClient, for instrumentation (otelhttp, say). NewClient, given
// a ready *http.Client, ignores it.
func WithBaseTransport(rt http.RoundTripper) Option {
	return func(o *clientOptions) { o.base = rt }
}

// v3ErrorFields is TradeStation's v3 error body: {"Error","Message"}. v2
// uses {"StatusCode","Message","TraceId"}.
var v3ErrorFields = rest.ErrorFields{Code: []string{"Error", "error"},
	Message: []string{"Message", "error_description"}, RequestID: []string{"TraceId"}}

// isQuotaPage recognises WebAPI v2's rate limit: 403 with the HTML page
// "Quota Exceeded".
func isQuotaPage(resp *http.Response, body []byte) bool {
	return resp.StatusCode == http.StatusForbidden && bytes.Contains(body, []byte("Quota Exceeded"))
}

// newOptions applies opts. The source of an auth.Transport in httpClient
// serves the audience check when Provider.NewClient gave none.
func newOptions(httpClient *http.Client, opts []Option) clientOptions {
	var o clientOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.tokens == nil && httpClient != nil {
		if t, ok := httpClient.Transport.(*auth.Transport); ok && t.Source != nil {
			o.tokens = t.Source
		}
	}
	return o
}

// hosts returns the API host and the sign-in and AOP hosts the options
// name, or an error when they name none.
func (o *clientOptions) hosts() (api string, ep endpoints, err error) {
	switch {
	case o.provider != nil:
		ep = o.provider.endpoints
		api = ep.host(o.provider.env)
	case o.baseURL != "":
		ep = endpointsAt(o.baseURL)
		ep.aop = ep.live
	default:
		return "", ep, rest.Invalid(Name, "client has no provider or base URL: use Provider.NewClient, WithProvider or WithBaseURL")
	}
	if o.baseURL != "" {
		api = strings.TrimRight(o.baseURL, "/")
	}
	return api, ep, nil
}

// restOptions are the rest.Client options every TradeStation client
// shares.
func (o *clientOptions) restOptions() []rest.Option {
	opts := []rest.Option{rest.WithName(Name), rest.WithErrorFields(v3ErrorFields),
		rest.WithRateLimitCheck(isQuotaPage), rest.WithRetry(o.retry)}
	if o.userAgent != "" {
		opts = append(opts, rest.WithUserAgent(o.userAgent))
	}
	return opts
}

// NewClient returns a client whose requests go through httpClient, which
// must add the bearer token (auth.NewClient(src) does, and refreshes it),
// or a test client. Give it WithProvider or WithBaseURL: without either
// every call fails with ErrInvalidInput. A bad option is reported by every
// call.
func NewClient(httpClient *http.Client, opts ...Option) *Client {
	return newClient(httpClient, newOptions(httpClient, opts))
}

// NewClient returns a client of p's environment and hosts whose requests
// carry src's token (through auth.Transport: refreshed ahead of expiry and
// once more on a 401). The client checks the token's audience before each
// call and takes a v2 token's user ID from its Subject.
func (p *Provider) NewClient(src auth.TokenSource, opts ...Option) *Client {
	o := newOptions(nil, append([]Option{WithProvider(p)}, opts...))
	o.tokens = src
	return newClient(&http.Client{Transport: &auth.Transport{Source: src, Base: o.base}}, o)
}

func newClient(httpClient *http.Client, o clientOptions) *Client {
	c := &Client{tokens: o.tokens}
	c.Accounts = &AccountsService{c: c}
	c.Positions = &PositionsService{c: c}
	c.Quotes = &QuotesService{c: c}
	c.Orders = &OrdersService{c: c}
	c.Bars = &BarsService{c: c}
	c.Symbols = &SymbolsService{c: c}
	c.Profile = &ProfileService{c: c}
	c.V2 = &V2Service{c: c}
	c.Streams = &StreamsService{c: c}
	c.streamOpts, c.userAgent = o.streams, o.userAgent
	if o.provider != nil {
		c.api, c.hasProvider = o.provider.api, true
	}
	host, ep, err := o.hosts()
	if err != nil {
		c.err = err
		return c
	}
	common := o.restOptions()
	var errs [3]error
	c.v3, errs[0] = rest.New(host+"/v3", httpClient, common...)
	c.v2, errs[1] = rest.New(host+"/v2", httpClient, common...)
	c.signin, errs[2] = rest.New(ep.signin, httpClient, common...)
	if err := errors.Join(errs[:]...); err != nil {
		c.err = fmt.Errorf("tradestation: %w", err)
		return c
	}
	c.streamHTTP = c.v3.StreamClient()
	return c
}

// check runs before every call, on the one request path (get, token): a
// configuration error, a nil context.
func (c *Client) check(ctx context.Context) error {
	return rest.CheckCall(ctx, Name, c.err)
}

// token runs check and then, when the client can see the token, returns
// it, refusing one minted for an audience not among audiences before
// anything is sent. Without a visible token it returns nil.
func (c *Client) token(ctx context.Context, audiences ...string) (*auth.Token, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if c.tokens == nil {
		return nil, nil
	}
	t, err := c.tokens.TokenContext(ctx)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errors.New("tradestation: token source returned no token")
	}
	if t.Audience != "" && !slices.Contains(audiences, t.Audience) {
		return nil, &AudienceError{Want: audiences[0], Got: t.Audience}
	}
	return t, nil
}

// The audiences each API accepts.
var (
	tradingOnly   = []string{TradingAudience}
	v2Only        = []string{V2Audience}
	signinAny     = []string{TradingAudience, AOPAudience}
	symbolLookups = []string{V2Audience, TradingAudience}
)

// get is the request path of every GET call: check, the token's
// audience, then the call on api (c.v3, c.v2 or c.signin).
// (A misconfigured client has no APIs: api is used only after check.)
func (c *Client) get(ctx context.Context, api *rest.Client, audiences []string, path string, query, out any) error {
	if _, err := c.token(ctx, audiences...); err != nil {
		return err
	}
	_, err := api.Get(ctx, path, query, out)
	return err
}

// checkSymbols refuses symbols that would change the request: empty ones,
// surrounding spaces, commas (which would split them), path characters.
// Spaces (options) and '@' (continuous futures) are fine; rest.Pathf
// escapes them.
func checkSymbols(symbols []string) error {
	if len(symbols) == 0 {
		return errNoSymbols
	}
	for _, s := range symbols {
		if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, ",/?#") || len(s) > 64 {
			return rest.Invalid(Name, "symbol %.64q is not a valid symbol", s)
		}
	}
	return nil
}

// chunks splits s into slices of at most n.
func chunks(s []string, n int) [][]string {
	var out [][]string
	for len(s) > n {
		out = append(out, s[:n:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
