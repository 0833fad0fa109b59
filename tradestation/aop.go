package tradestation

import (
	"context"
	"fmt"
	"net/http"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// AOPClient calls the account-opening (AOP) API with a token from an AOP
// Provider. TradeStation has not published the AOP paths and schemas, so
// it offers one raw call; the audience check and error mapping are those
// of Client. A trading-API token is refused before any request.
type AOPClient struct {
	c   *Client
	aop *rest.Client
}

// NewAOPClient returns a client for the AOP API: the AOP host of
// WithProvider's provider, or WithBaseURL's URL. httpClient carries the
// token (auth.NewClient(src)); the audience check reads its source. Of the
// other options, WithRetry and WithUserAgent apply.
func NewAOPClient(httpClient *http.Client, opts ...Option) *AOPClient {
	o := newOptions(httpClient, opts)
	a := &AOPClient{c: &Client{tokens: o.tokens}}
	_, ep, err := o.hosts()
	if err == nil {
		if o.provider != nil && o.baseURL != "" {
			ep.aop = o.baseURL
		}
		a.aop, err = rest.New(ep.aop, httpClient, o.restOptions()...)
	}
	if err != nil {
		a.c.err = fmt.Errorf("tradestation: %w", err)
	}
	return a
}

// Do sends a JSON request to path (relative to the AOP host) and decodes
// a JSON answer into out (nil to discard it). Only GET is retried.
func (a *AOPClient) Do(ctx context.Context, method, path string, body, out any) error {
	if _, err := a.c.token(ctx, AOPAudience); err != nil {
		return err
	}
	if method == "" {
		return rest.Invalid(Name, "AOP request needs a method")
	}
	_, err := a.aop.Do(ctx, rest.Request{Method: method, Path: path, Body: body}, out)
	return err
}
