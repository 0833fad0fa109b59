package tradestation

import (
	"context"
	"fmt"
	"net/http"

	"github.com/brokerkit/brokerkit/auth"
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

// NewAOPClient returns a client for the AOP API at Endpoints.AOP. Of the
// options, WithEndpoints, WithTokenSource, WithRetry and WithUserAgent
// apply.
func NewAOPClient(httpClient *http.Client, opts ...Option) *AOPClient {
	o := newOptions(httpClient, opts)
	a := &AOPClient{c: &Client{tokens: o.tokens, env: auth.Live}}
	var err error
	a.aop, err = rest.New(o.endpoints.withDefaults().AOP, httpClient, o.restOptions()...)
	if err != nil {
		a.c.err = fmt.Errorf("tradestation: %w", err)
	}
	return a
}

// Do sends a JSON request to path (relative to the AOP host) and decodes
// a JSON answer into out (nil to discard it). Only GET is retried.
func (a *AOPClient) Do(ctx context.Context, method, path string, body, out any) error {
	if _, err := a.c.check(ctx, AOPAudience); err != nil {
		return err
	}
	if method == "" {
		return fmt.Errorf("tradestation: %w: AOP request needs a method", ErrInvalidInput)
	}
	_, err := a.aop.Do(ctx, rest.Request{Method: method, Path: path, Body: body}, out)
	return err
}
