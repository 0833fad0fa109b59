package tradestation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// Client calls TradeStation's API v3 (and WebAPI v2 through V2) with an
// *http.Client that carries the token, typically auth.Transport. Calls are
// grouped into services, as in go-github: c.Accounts.List(ctx),
// c.Quotes.Get(ctx, "MSFT", "AAPL"). A Client is safe for concurrent use.
type Client struct {
	v3, v2, signin *rest.Client
	env            auth.Environment
	tokens         TokenSource
	userID         string
	err            error // configuration error, returned by every call

	// Accounts lists accounts, balances and positions (v3).
	Accounts *AccountsService
	// Quotes fetches quote snapshots (v3).
	Quotes *QuotesService
	// User reads the logged-in user's OpenID profile.
	User *UserService
	// V2 calls the legacy WebAPI v2.
	V2 *V2Service
}

// TokenSource gives a Client the current token, so that it can check the
// token's audience before a call and read a v2 token's userid.
// auth.TokenSource satisfies it.
type TokenSource interface {
	TokenContext(ctx context.Context) (*auth.Token, error)
}

// Option configures a Client.
type Option func(*clientOptions)

type clientOptions struct {
	env       auth.Environment
	endpoints Endpoints
	tokens    TokenSource
	userID    string
	retry     rest.RetryPolicy
	userAgent string
}

// WithEnvironment selects auth.Live (the default) or auth.Sim. The same
// token works on both.
func WithEnvironment(env auth.Environment) Option {
	return func(o *clientOptions) { o.env = env }
}

// WithEndpoints overrides the TradeStation hosts (for tests: see
// tradestationtest.Server.Endpoints).
func WithEndpoints(e Endpoints) Option {
	return func(o *clientOptions) { o.endpoints = e }
}

// WithTokenSource lets the client see the token: it then refuses a token
// minted for another audience before sending anything (an AOP token on the
// trading API), learns the v2 user ID from the token's subject, and refuses
// user calls with a v2 client-credentials token.
func WithTokenSource(ts TokenSource) Option {
	return func(o *clientOptions) { o.tokens = ts }
}

// WithUserID sets the v2 user ID (the token response's userid) when the
// client has no TokenSource.
func WithUserID(id string) Option {
	return func(o *clientOptions) { o.userID = id }
}

// WithRetry bounds the retries of GET calls on 429 and 5xx answers:
// attempts is the most tries per call (1 disables retrying) and maxWait
// the most time spent waiting between them. Retries honour Retry-After
// and X-RateLimit-Reset, with jittered exponential backoff. Without this
// option a GET makes at most 3 attempts and waits at most 30 seconds in
// all; other methods are never retried.
func WithRetry(attempts int, maxWait time.Duration) Option {
	return func(o *clientOptions) { o.retry = rest.RetryPolicy{MaxAttempts: attempts, MaxWait: maxWait} }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(o *clientOptions) { o.userAgent = ua }
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

// newOptions applies opts. Without WithTokenSource, the source of an
// auth.Transport in httpClient is used for the audience check.
func newOptions(httpClient *http.Client, opts []Option) clientOptions {
	o := clientOptions{env: auth.Live}
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
// must add the bearer token (auth.Transport does, and refreshes it). A bad
// option is reported by every call.
func NewClient(httpClient *http.Client, opts ...Option) *Client {
	o := newOptions(httpClient, opts)
	c := &Client{env: o.env, tokens: o.tokens, userID: o.userID}
	c.Accounts = &AccountsService{c: c}
	c.Quotes = &QuotesService{c: c}
	c.User = &UserService{c: c}
	c.V2 = &V2Service{c: c}
	if o.env != auth.Live && o.env != auth.Sim {
		c.err = fmt.Errorf("tradestation: %w: environment %q is neither live nor sim", ErrInvalidInput, o.env)
		return c
	}
	ep := o.endpoints.withDefaults()
	common := o.restOptions()
	host := ep.host(o.env)
	var errs [3]error
	c.v3, errs[0] = rest.New(host+"/v3", httpClient, common...)
	c.v2, errs[1] = rest.New(host+"/v2", httpClient, common...)
	c.signin, errs[2] = rest.New(ep.Signin, httpClient, common...)
	if err := errors.Join(errs[:]...); err != nil {
		c.err = fmt.Errorf("tradestation: %w", err)
	}
	return c
}

// HTTPClient returns an *http.Client that authorizes every request with
// src's token, refreshing it ahead of expiry and once more when the API
// answers 401 (TradeStation's 401s carry no RFC 6750 challenge). A Client
// built on it checks the token's audience before each call. It shares
// http.DefaultTransport's connections and sets no overall timeout (which
// would cost a timer goroutine per request): bound calls with their
// context. The token goes to the origin of each request only: a redirect
// to another scheme, host or port is refused with an error matching
// auth.ErrCrossOriginRedirect.
func HTTPClient(src *auth.Source) *http.Client {
	return &http.Client{Transport: &auth.Transport{Source: src}}
}

// Environment returns the environment the client calls.
func (c *Client) Environment() auth.Environment { return c.env }

// check runs before every call: the configuration, then, when the client
// can see the token, its audience, which must be one of audiences.
func (c *Client) check(ctx context.Context, audiences ...string) (*auth.Token, error) {
	if c.err != nil {
		return nil, c.err
	}
	if ctx == nil {
		return nil, fmt.Errorf("tradestation: %w: nil context", ErrInvalidInput)
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
			return fmt.Errorf("tradestation: %w: symbol %.64q is not a valid symbol", ErrInvalidInput, s)
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
