// Package rest is the JSON REST plumbing every brokerkit broker client is
// built on: one request/decode path that builds requests from a base URL,
// go-querystring structs and JSON bodies, caps response bodies, decodes JSON
// into the caller's type, maps errors onto the auth error tree, and retries
// idempotent calls with jittered backoff.
//
// The caller's *http.Client carries authentication (an auth.Transport adding
// the bearer token); rest never sees a token. Broker differences — error body
// field names, request-ID headers, a non-standard rate-limit answer — are
// passed in as data and small hooks:
//
//	c, err := rest.New(baseURL, httpClient,
//		rest.WithName("tradestation"),
//		rest.WithErrorFields(rest.ErrorFields{Code: []string{"Error"}, Message: []string{"Message"}}))
//
//	var out struct{ Accounts []Account }
//	_, err = c.Get(ctx, "brokerage/accounts", nil, &out)
//	switch {
//	case errors.Is(err, auth.ErrInvalidToken):
//		fmt.Println("log in again:", err)
//	case errors.Is(err, rest.ErrNotFound):
//		fmt.Println("no such account")
//	case errors.Is(err, auth.ErrRateLimited): // *auth.RateLimitError via errors.As
//		fmt.Println("wait and retry")
//	}
//
// GET, HEAD and OPTIONS are retried on 408, 429 (or the broker's own
// rate-limit answer), 5xx and connection failures; PUT, DELETE and PATCH
// only when the Request says it is idempotent; POST never, so an order is
// never placed twice by this package.
package rest
