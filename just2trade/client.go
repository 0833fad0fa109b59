package just2trade

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
)

// Client calls the Just2Trade (or Lime) REST API. Its services are fields:
// c.Profile.Get, c.Accounts.List, c.Positions.List, c.Quotes.Get,
// c.Orders.Place, c.Streams.Orders. It is safe for concurrent use.
type Client struct {
	rest *rest.Client
	err  error
	// hc sends the requests; the feeds' upgrade requests go through a copy
	// without timeout (ws), made once.
	hc      *http.Client
	streams stream.Options
	// profileAt is the profilePath that last served the profile.
	profileAt atomic.Uint32

	// Profile reads the logged-in user.
	Profile *ProfileService
	// Accounts reads accounts, balances, trades and transactions.
	Accounts *AccountsService
	// Positions reads an account's holdings.
	Positions *PositionsService
	// Quotes reads quotes, history bars and searches securities.
	Quotes *QuotesService
	// Orders validates, places, reads and cancels orders.
	Orders *OrdersService
	// Streams opens the WebSocket feeds: quotes and the account feed.
	Streams *StreamsService
}

type service struct{ c *Client }

type clientOptions struct {
	provider  *Provider
	baseURL   string
	userAgent string
	base      http.RoundTripper
	restOpts  []rest.Option
	streams   stream.Options
}

// Option configures NewClient.
type Option func(*clientOptions)

// WithProvider takes the API host from p: its environment's, or its
// Config.BaseURL.
func WithProvider(p *Provider) Option { return func(o *clientOptions) { o.provider = p } }

// WithBaseURL sets the API base URL (an emulator, a proxy); it overrides
// WithProvider's host. It must be https, or http on a loopback address.
func WithBaseURL(u string) Option { return func(o *clientOptions) { o.baseURL = u } }

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(o *clientOptions) { o.userAgent = ua } }

// WithBaseTransport sets the transport under the auth transport, for
// instrumentation (otelhttp, say). With NewClient it replaces the base of
// the given client's *auth.Transport, or, when the client has none (a test
// client), its transport.
func WithBaseTransport(rt http.RoundTripper) Option { return func(o *clientOptions) { o.base = rt } }

// RetryPolicy is the retry budget of idempotent reads: attempts, backoff
// and the longest total wait. Zero fields take their defaults (3 attempts,
// 30 seconds of waiting in all).
type RetryPolicy = rest.RetryPolicy

// WithRetry sets how idempotent reads are retried on 429, 5xx and
// connection failures. Placing and cancelling orders are never retried.
func WithRetry(p RetryPolicy) Option {
	return func(o *clientOptions) { o.restOpts = append(o.restOpts, rest.WithRetry(p)) }
}

// NewClient returns a client that sends its requests with hc, which must
// add the bearer token (auth.NewClient(src), so that a sliding token's
// expiry follows every call) or be a test client. The API host comes from
// WithProvider or WithBaseURL; with neither, or with a bad option (an
// insecure base URL), every call fails with an error matching
// ErrInvalidInput.
func NewClient(hc *http.Client, opts ...Option) *Client {
	return newClient(nil, hc, opts)
}

// newClient builds a client over src's auth transport when src is set,
// else over hc.
func newClient(src auth.TokenSource, hc *http.Client, opts []Option) *Client {
	var o clientOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	c := &Client{streams: o.streams}
	switch {
	case src != nil:
		hc = &http.Client{Transport: &auth.Transport{Source: src, Base: o.base}}
	case o.base != nil && hc == nil:
		hc = &http.Client{Transport: o.base}
	case o.base != nil:
		cp := *hc
		if at, ok := hc.Transport.(*auth.Transport); ok {
			t := *at
			t.Base = o.base
			cp.Transport = &t
		} else {
			cp.Transport = o.base
		}
		hc = &cp
	}
	base := o.baseURL
	if base == "" && o.provider != nil {
		base = o.provider.apiURL
	}
	c.hc = hc
	ropts := []rest.Option{
		rest.WithName(Name),
		rest.WithErrorFields(errorFields),
		rest.WithErrorHook(classify),
	}
	if o.userAgent != "" {
		ropts = append(ropts, rest.WithUserAgent(o.userAgent))
	}
	ropts = append(ropts, o.restOpts...)
	if base == "" {
		c.err = rest.Invalid(Name, "client: no provider or base URL")
	} else if r, err := rest.New(base, hc, ropts...); err != nil {
		c.err = fmt.Errorf("%s: %w: client: %w", Name, ErrInvalidInput, err)
	} else {
		c.rest = r
	}
	c.Profile = (*ProfileService)(&service{c})
	c.Accounts = (*AccountsService)(&service{c})
	c.Positions = (*PositionsService)(&service{c})
	c.Quotes = (*QuotesService)(&service{c})
	c.Orders = (*OrdersService)(&service{c})
	c.Streams = (*StreamsService)(&service{c})
	return c
}

// check is the one pre-call check: the client's configuration and the
// context.
func (c *Client) check(ctx context.Context) error {
	return rest.CheckCall(ctx, Name, c.err)
}

func (c *Client) get(ctx context.Context, path string, query, out any) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	_, err := c.rest.Get(ctx, path, query, out)
	return err
}

// post sends a POST, which the rest layer never retries.
func (c *Client) post(ctx context.Context, path string, body, out any) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	_, err := c.rest.Post(ctx, path, body, out)
	return err
}

// checkAccount refuses an empty account number before a request is built.
func checkAccount(account string) error {
	if account == "" {
		return rest.Invalid(Name, "account number is empty")
	}
	return nil
}
