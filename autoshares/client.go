package autoshares

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
)

// DefaultAPIKeyHeader carries the application's API secret key beside the
// bearer token. AutoShares documents no name for its gateway's key; this
// is the ETNA layer's, the only one documented.
const DefaultAPIKeyHeader = "Et-App-Key"

// API base URLs per environment, as the AutoShares doc site names them
// (the production host is claimed there, not confirmed).
const (
	LiveBaseURL = "https://api.autoshares.com"
	DemoBaseURL = "https://api.autoshares.dev"
)

// Paths are the API's endpoint paths, relative to the base URL, with
// {userId}, {accountId}, {orderId}, {alertId}, {agreementId}, {symbol} and
// {username} placeholders. The defaults are the public ETNA-layer paths
// that AutoShares documents; a partner who receives the gateway's own
// contract changes only these.
type Paths struct {
	CreateUser            string
	UserInfo              string
	UpdateUser            string
	UserAccounts          string
	CreateAccount         string
	BindAccount           string
	BindAccountByUsername string
	UnbindAccount         string
	AccountBalances       string
	Agreements            string
	SignAgreement         string
	Security              string
	PriceAlerts           string
	PriceAlert            string
	Orders                string
	Order                 string
	PreviewOrder          string
	Positions             string
	// Streamers hands out the quote streamer's address and a session id;
	// RecoverSession replaces a session the streamer ended.
	Streamers      string
	RecoverSession string
}

// defaultPaths returns the documented paths.
func defaultPaths() Paths {
	return Paths{
		CreateUser:            "/v1.0/users",
		UserInfo:              "/v1.0/users/{userId}/info",
		UpdateUser:            "/v1.0/users/{userId}",
		UserAccounts:          "/v1.0/users/{userId}/accounts",
		CreateAccount:         "/v1.0/accounts",
		BindAccount:           "/v1.0/accounts/{accountId}/users/{userId}",
		BindAccountByUsername: "/v1.0/accounts/{accountId}/username/{username}",
		UnbindAccount:         "/v1.0/accounts/{accountId}/users/{userId}",
		AccountBalances:       "/v1.0/accounts/{accountId}/info",
		Agreements:            "/v1.0/users/{userId}/agreements",
		SignAgreement:         "/v1.0/users/{userId}/agreements/{agreementId}/sign",
		Security:              "/v1.0/equities/{symbol}",
		PriceAlerts:           "/v1.0/users/{userId}/pricealerts",
		PriceAlert:            "/v1.0/users/{userId}/pricealerts/{alertId}",
		Orders:                "/v1.0/accounts/{accountId}/orders",
		Order:                 "/v1.0/accounts/{accountId}/orders/{orderId}",
		PreviewOrder:          "/v1.0/accounts/{accountId}/preview/orders",
		Positions:             "/v1.0/accounts/{accountId}/positions",
		Streamers:             "/v1.0/streamers",
		RecoverSession:        "/v1.0/streamers/session/recover",
	}
}

// withDefaults returns p with its empty fields set to defaultPaths.
func (p Paths) withDefaults() Paths {
	d := defaultPaths()
	for _, f := range []struct {
		dst *string
		def string
	}{
		{&p.CreateUser, d.CreateUser}, {&p.UserInfo, d.UserInfo}, {&p.UpdateUser, d.UpdateUser},
		{&p.UserAccounts, d.UserAccounts}, {&p.CreateAccount, d.CreateAccount},
		{&p.BindAccount, d.BindAccount}, {&p.BindAccountByUsername, d.BindAccountByUsername},
		{&p.UnbindAccount, d.UnbindAccount}, {&p.AccountBalances, d.AccountBalances},
		{&p.Agreements, d.Agreements}, {&p.SignAgreement, d.SignAgreement},
		{&p.Security, d.Security}, {&p.PriceAlerts, d.PriceAlerts}, {&p.PriceAlert, d.PriceAlert},
		{&p.Orders, d.Orders}, {&p.Order, d.Order}, {&p.PreviewOrder, d.PreviewOrder},
		{&p.Positions, d.Positions}, {&p.Streamers, d.Streamers}, {&p.RecoverSession, d.RecoverSession},
	} {
		if *f.dst == "" {
			*f.dst = f.def
		}
	}
	return p
}

// Client is a typed client of the AutoShares API. Its services are
// fields, go-github style: c.Agreements.Outstanding(ctx, autoshares.Me).
type Client struct {
	// Profile reads the logged-in user.
	Profile *ProfileService
	// Users creates, reads and updates users.
	Users *UsersService
	// Accounts lists, creates and binds trading accounts and reads
	// balances.
	Accounts *AccountsService
	// Agreements lists and signs the agreements a user must accept.
	Agreements *AgreementsService
	// Quotes reads quotes and resolves symbols to security ids.
	Quotes *QuotesService
	// PriceAlerts manages price alerts.
	PriceAlerts *PriceAlertsService
	// Orders previews, places, reads and cancels orders.
	Orders *OrdersService
	// Positions lists an account's positions.
	Positions *PositionsService
	// Streams opens quote streams.
	Streams *StreamsService

	rest             *rest.Client
	err              error // a configuration error, reported by every call
	baseURL          string
	hasAPIKey        bool // the key itself lives only in rest's headers, out of fmt's reach
	apiKeyHeader     string
	paths            Paths
	agreementIDField string
	streamOpts       stream.Options
	streamHTTP       *http.Client // dials the streamer: no credentials, no Timeout
}

// Option configures a Client.
type Option func(*clientOptions)

type clientOptions struct {
	provider         *Provider
	baseURL          string
	apiKey           auth.Secret
	apiKeyHeader     string
	paths            Paths
	agreementIDField string
	userAgent        string
	retry            *rest.RetryPolicy
	baseTransport    http.RoundTripper
	streams          stream.Options
}

// WithProvider takes the API host, the environment, the API key and its
// header name from p, where they are stated once (its Config).
func WithProvider(p *Provider) Option { return func(o *clientOptions) { o.provider = p } }

// WithBaseURL sets the API base URL (an emulator's URL, a proxy), which
// overrides the provider's host. It must be https, or http on a loopback
// address.
func WithBaseURL(u string) Option { return func(o *clientOptions) { o.baseURL = u } }

// WithAPIKey sets the application's API secret key for a client built
// without a provider (a test client); with a provider the key comes from
// its Config.APIKey. It is sent to the base URL's origin and nowhere else,
// and is never logged or printed.
func WithAPIKey(key auth.Secret) Option { return func(o *clientOptions) { o.apiKey = key } }

// WithAPIKeyHeader sets the name of the API-key header (default
// DefaultAPIKeyHeader, or the provider's Config.APIKeyHeader).
func WithAPIKeyHeader(name string) Option { return func(o *clientOptions) { o.apiKeyHeader = name } }

// WithPaths overrides endpoint paths; empty fields keep their defaults.
func WithPaths(p Paths) Option { return func(o *clientOptions) { o.paths = p } }

// WithAgreementIDField names the agreement member that holds the id to
// sign with (default "Id").
func WithAgreementIDField(name string) Option {
	return func(o *clientOptions) { o.agreementIDField = name }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(o *clientOptions) { o.userAgent = ua } }

// WithBaseTransport sets the transport under the authorizing one (for
// instrumentation such as otelhttp). It applies to a client from
// Provider.NewClient or from auth.NewClient.
func WithBaseTransport(rt http.RoundTripper) Option {
	return func(o *clientOptions) { o.baseTransport = rt }
}

// WithStreams sets the options of the client's streams; fields left zero
// take each stream kind's defaults (see StreamsService.Quotes).
func WithStreams(o stream.Options) Option { return func(co *clientOptions) { co.streams = o } }

// RetryPolicy is the retry budget of idempotent calls: GETs, and the PUTs
// and DELETEs this package marks idempotent. Order placement (a POST) is
// never retried.
type RetryPolicy = rest.RetryPolicy

// WithRetry sets the retry budget of idempotent calls.
func WithRetry(p RetryPolicy) Option {
	return func(o *clientOptions) { o.retry = &p }
}

// NewClient returns a client that sends requests with httpClient, which
// must add the bearer token (auth.NewClient(src), or a test client). The
// host comes from WithProvider or WithBaseURL; with neither, every call
// fails with an error matching ErrInvalidInput. A bad option is reported
// by every call rather than here.
func NewClient(httpClient *http.Client, opts ...Option) *Client {
	o := clientOptions{}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if p := o.provider; p != nil {
		if o.baseURL == "" {
			o.baseURL = p.apiBase
		}
		if o.apiKey == "" {
			o.apiKey = p.cfg.APIKey
		}
		if o.apiKeyHeader == "" {
			o.apiKeyHeader = p.cfg.APIKeyHeader
		}
	}
	if o.apiKeyHeader == "" {
		o.apiKeyHeader = DefaultAPIKeyHeader
	}
	if o.agreementIDField == "" {
		o.agreementIDField = "Id"
	}
	c := &Client{
		baseURL:          strings.TrimRight(o.baseURL, "/"),
		hasAPIKey:        o.apiKey != "",
		apiKeyHeader:     o.apiKeyHeader,
		paths:            o.paths.withDefaults(),
		agreementIDField: o.agreementIDField,
		streamOpts:       o.streams,
		streamHTTP:       streamHTTPClient(httpClient, o.baseTransport),
	}
	svc := service{c}
	c.Profile = (*ProfileService)(&svc)
	c.Users = (*UsersService)(&svc)
	c.Accounts = (*AccountsService)(&svc)
	c.Agreements = (*AgreementsService)(&svc)
	c.Quotes = (*QuotesService)(&svc)
	c.PriceAlerts = (*PriceAlertsService)(&svc)
	c.Orders = (*OrdersService)(&svc)
	c.Positions = (*PositionsService)(&svc)
	c.Streams = (*StreamsService)(&svc)

	if c.baseURL == "" {
		c.err = rest.Invalid(Name, "no provider or base URL (use WithProvider or WithBaseURL)")
		return c
	}
	if !validHeaderName(c.apiKeyHeader) {
		c.err = rest.Invalid(Name, "API-key header name %q is not a valid header name", c.apiKeyHeader)
		return c
	}
	hc, err := withBase(httpClient, o.baseTransport)
	if err != nil {
		c.err = err
		return c
	}
	ropts := []rest.Option{
		rest.WithName(Name),
		rest.WithErrorFields(errorFields),
		rest.WithErrorHook(classify),
	}
	if o.apiKey != "" {
		ropts = append(ropts, rest.WithHeader(c.apiKeyHeader, o.apiKey.Reveal()))
	}
	if o.userAgent != "" {
		ropts = append(ropts, rest.WithUserAgent(o.userAgent))
	}
	if o.retry != nil {
		ropts = append(ropts, rest.WithRetry(*o.retry))
	}
	rc, err := rest.New(c.baseURL, hc, ropts...)
	if err != nil {
		c.err = fmt.Errorf("autoshares: %w: %w", ErrInvalidInput, err)
		return c
	}
	c.rest = rc
	return c
}

// service is what every service type is: a handle on the client.
type service struct{ c *Client }

// withBase puts rt under hc's authorizing transport.
func withBase(hc *http.Client, rt http.RoundTripper) (*http.Client, error) {
	if rt == nil {
		return hc, nil
	}
	if hc == nil || hc.Transport == nil {
		return &http.Client{Transport: rt}, nil
	}
	at, ok := hc.Transport.(*auth.Transport)
	if !ok {
		return nil, rest.Invalid(Name, "WithBaseTransport needs a client from auth.NewClient or Provider.NewClient")
	}
	cp := *hc
	cp.Transport = &auth.Transport{Source: at.Source, Base: rt, Header: at.Header, RefreshOn: at.RefreshOn}
	return &cp, nil
}

// validHeaderName reports whether s is an RFC 9110 field name (a token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}

// check is the one pre-call check: a configuration problem (no host, a
// bad base URL or header name, no API key) or a nil context.
func (c *Client) check(ctx context.Context) error {
	if err := rest.CheckCall(ctx, Name, c.err); err != nil {
		return err
	}
	if !c.hasAPIKey {
		return rest.Invalid(Name, "no API secret key configured (set Config.APIKey)")
	}
	return nil
}

// BaseURL returns the API base URL.
func (c *Client) BaseURL() string { return c.baseURL }

// String describes the client without its API key. Client holds no copy
// of the key (only its HTTP plumbing does, behind a pointer), so no fmt
// verb on a Client, a *Client or a service can print it.
func (c Client) String() string {
	key := "none"
	if c.hasAPIKey {
		key = "redacted"
	}
	return fmt.Sprintf("autoshares.Client{base=%s %s=%s}", c.baseURL, c.apiKeyHeader, key)
}

// call describes one request.
type call struct {
	method     string
	path       string
	query      any
	body       any
	idempotent bool
	// noLookup keeps an agreements refusal from triggering the lookup of
	// the agreements (the lookup itself sets it).
	noLookup bool
}

// call sends r and decodes the answer into out (nil to discard it). It
// turns AutoShares' 2xx failure bodies (order checks, the wrapped
// {"Errors"} envelope) and agreement refusals into typed errors.
func (c *Client) call(ctx context.Context, r call, out any) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	var raw json.RawMessage
	resp, err := c.rest.Do(ctx, rest.Request{Method: r.method, Path: r.path, Query: r.query, Body: r.body, Idempotent: r.idempotent}, &raw)
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			if oc := orderCheck(ae.Method, ae.Path, ae.StatusCode, ae.Body); oc != nil {
				oc.Err = ae
				return oc
			}
			if errors.Is(ae, ErrAgreementsPending) && !r.noLookup {
				return c.pendingError(ctx, ae)
			}
		}
		return err
	}
	path := r.path
	status := http.StatusOK
	if resp != nil && resp.Request != nil {
		path = resp.Request.URL.EscapedPath()
		status = resp.StatusCode
	}
	if oc := orderCheck(r.method, path, status, raw); oc != nil {
		return oc
	}
	if sc, failed := wrappedFailure(raw); failed {
		we := c.rest.NewError(resp, sc, raw)
		if errors.Is(we, ErrAgreementsPending) && !r.noLookup {
			return c.pendingError(ctx, we)
		}
		return we
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if p, ok := out.(*json.RawMessage); ok {
		*p = raw
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &auth.ResponseError{Provider: Name, StatusCode: status,
			Reason: fmt.Sprintf("%s %s: answer does not fit %T", r.method, path, out), Err: err}
	}
	return nil
}

// invalid reports an answer that decoded but makes no sense.
func (c *Client) invalid(what string, err error) error {
	return &auth.ResponseError{Provider: Name, StatusCode: http.StatusOK, Reason: what, Err: err}
}

// path expands a path template: {userId} from user, the rest from vars.
// Every value is escaped as one path segment.
func (c *Client) path(tmpl string, user UserRef, vars map[string]string) (string, error) {
	if strings.Contains(tmpl, "{userId}") {
		if err := user.check(); err != nil {
			return "", err
		}
		tmpl = strings.ReplaceAll(tmpl, "{userId}", escapeSegment(string(user)))
	}
	for k, v := range vars {
		if v == "" {
			return "", rest.Invalid(Name, "empty %s", k)
		}
		tmpl = strings.ReplaceAll(tmpl, "{"+k+"}", escapeSegment(v))
	}
	if i := strings.IndexByte(tmpl, '{'); i >= 0 {
		return "", rest.Invalid(Name, "path template %q has a placeholder with no value", tmpl)
	}
	return tmpl, nil
}

// escapeSegment escapes s as one path segment, "@me" staying readable.
func escapeSegment(s string) string {
	if s == string(Me) {
		return s
	}
	return rest.Pathf("%s", s)
}
