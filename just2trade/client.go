package just2trade

import (
	"context"
	"fmt"
	"net/http"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// Client calls the Just2Trade (or Lime) REST API. Its services are fields:
// c.Profile.Get, c.Accounts.List, c.Quotes.Get, c.Orders.Place. It is safe
// for concurrent use.
type Client struct {
	rest *rest.Client
	err  error

	// Profile reads the logged-in user.
	Profile *ProfileService
	// Accounts reads balances, positions, trades and transactions.
	Accounts *AccountsService
	// Quotes reads quotes, history bars and searches securities.
	Quotes *QuotesService
	// Orders validates, places, reads and cancels orders.
	Orders *OrdersService
}

type service struct{ c *Client }

type clientOptions struct {
	baseURL   string
	env       auth.Environment
	userAgent string
	restOpts  []rest.Option
}

// Option configures NewClient.
type Option func(*clientOptions)

// WithBaseURL sets the API base URL: an emulator's URL, or Provider.APIURL.
// It must be https, or http on a loopback address.
func WithBaseURL(u string) Option { return func(o *clientOptions) { o.baseURL = u } }

// WithEnvironment selects the API host of env (EnvJust2Trade or EnvLime).
// WithBaseURL takes precedence.
func WithEnvironment(env auth.Environment) Option {
	return func(o *clientOptions) { o.env = env }
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(o *clientOptions) { o.userAgent = ua } }

// RetryPolicy is the retry budget of idempotent reads: attempts, backoff
// and the longest total wait. Zero fields take their defaults (3 attempts,
// 30 seconds of waiting in all).
type RetryPolicy = rest.RetryPolicy

// WithRetry sets how idempotent reads are retried on 429, 5xx and
// connection failures. Placing and cancelling orders are never retried.
func WithRetry(p RetryPolicy) Option {
	return func(o *clientOptions) { o.restOpts = append(o.restOpts, rest.WithRetry(p)) }
}

// NewClient returns a client that sends its requests with httpClient, which
// must add the bearer token: an auth.Transport over the user's
// TokenSource, so that the token's sliding expiry follows every call. The
// API host is Just2Trade's unless an option says otherwise. A bad option
// (an insecure base URL) makes every call fail with the reason.
func NewClient(httpClient *http.Client, opts ...Option) *Client {
	var o clientOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	c := &Client{}
	if o.baseURL == "" {
		switch o.env {
		case "", EnvJust2Trade:
			o.baseURL = Just2TradeAPIURL
		case EnvLime:
			o.baseURL = LimeAPIURL
		default:
			c.err = fmt.Errorf("just2trade: client: unknown environment %q", o.env)
		}
	}
	ropts := []rest.Option{
		rest.WithName(Name),
		rest.WithErrorFields(errorFields),
		rest.WithErrorHook(classify),
	}
	if o.userAgent != "" {
		ropts = append(ropts, rest.WithUserAgent(o.userAgent))
	}
	ropts = append(ropts, o.restOpts...)
	if c.err == nil {
		var err error
		if c.rest, err = rest.New(o.baseURL, httpClient, ropts...); err != nil {
			c.err = fmt.Errorf("just2trade: client: %w", err)
		}
	}
	c.Profile = (*ProfileService)(&service{c})
	c.Accounts = (*AccountsService)(&service{c})
	c.Quotes = (*QuotesService)(&service{c})
	c.Orders = (*OrdersService)(&service{c})
	return c
}

// BaseURL is the API base URL the client sends requests to.
func (c *Client) BaseURL() string {
	if c.rest == nil {
		return ""
	}
	return c.rest.BaseURL()
}

func (c *Client) get(ctx context.Context, path string, query, out any) error {
	if c.err != nil {
		return c.err
	}
	_, err := c.rest.Get(ctx, path, query, out)
	return err
}

// post sends a POST, which the rest layer never retries.
func (c *Client) post(ctx context.Context, path string, body, out any) error {
	if c.err != nil {
		return c.err
	}
	_, err := c.rest.Post(ctx, path, body, out)
	return err
}

// checkAccount refuses an empty account number before a request is built.
func checkAccount(account string) error {
	if account == "" {
		return fmt.Errorf("just2trade: %w: account number is empty", ErrValidation)
	}
	return nil
}
