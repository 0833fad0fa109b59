package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/internal/classify"
	"github.com/brokerkit/brokerkit/internal/origin"
)

// Transport is an http.RoundTripper that authorizes requests with a
// TokenSource: it sets the Authorization header and the provider's static
// headers (an API key, say) on a copy of each request.
//
// When the server answers 401 and RefreshOn says the token was refused, the
// Transport forces one refresh and sends the request once more, provided
// its body can be replayed (no body, or GetBody set, as http.NewRequest
// does for in-memory bodies). A request whose body cannot be replayed gets
// the 401 back, and the token is invalidated so that the next request
// refreshes first.
//
// It refuses to send a token over plain http to anything but a loopback
// address (ErrInsecureEndpoint).
//
// Credentials (the Authorization header and every Header) go only to the
// origin (scheme, host and port) the request was made to. A redirect
// within that origin is authorized like the first request; a redirect to
// another origin is refused, before anything is sent there, with an error
// matching ErrCrossOriginRedirect, whatever the http.Client's
// CheckRedirect says. Refusing rather than following without credentials
// is deliberate: the other origin would still get the request (after a
// 307 or 308, its body: an order, say), and an API that has moved answers
// an unauthenticated hop with a 401 the caller would misread as a dead
// token. The error names the two origins, never a path or query.
//
// Like every RoundTripper it returns 4xx and 5xx answers as responses, not
// errors; checkResponse turns them into the typed errors of this package.
// After a 2xx answer, or an accepted WebSocket upgrade, it lets a *Source
// slide the expiry of providers that prolong tokens on use.
type Transport struct {
	// Source supplies the tokens. Required. A *Source also gives the
	// Transport its refresh-and-retry, invalidation, sliding expiry and its
	// provider's refusal rule; any other TokenSource is asked for tokens
	// only.
	Source TokenSource
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Header is set on every request. Its values are treated as secrets:
	// String and Format print only the header names.
	Header http.Header
	// RefreshOn reports whether a 401 answer means the access token was
	// refused and a refresh may help. Nil means the provider's rule when it
	// has a TokenRefused method (see Provider), else a 401 whose Bearer
	// challenge says error="invalid_token" (RFC 6750).
	RefreshOn func(*http.Response) bool
}

// ErrCrossOriginRedirect means a server redirected an authorized request
// to another origin (scheme, host or port) and the redirect was refused
// rather than followed with the user's credentials.
var ErrCrossOriginRedirect = errors.New("redirect to another origin refused")

// maxDrain bounds how much of a refused answer is read to reuse the
// connection.
const maxDrain = 64 << 10

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Source == nil {
		closeBody(req)
		return nil, errors.New("auth: Transport has no Source")
	}
	if req.Response != nil && req.URL != nil {
		// A redirect hop: http.Client has already copied the first
		// request's headers (an API key set by the caller among them).
		first := origin.First(req)
		if first == nil || !origin.Same(first.URL, req.URL) {
			closeBody(req)
			from := "an unknown origin"
			if first != nil {
				from = origin.Of(first.URL)
			}
			return nil, fmt.Errorf("auth: redirect from %s to %s: %w", from, origin.Of(req.URL), ErrCrossOriginRedirect)
		}
	}
	if req.URL == nil || (req.URL.Scheme != "https" && !origin.IsLoopback(req.URL.Hostname())) {
		closeBody(req)
		scheme, host := "", ""
		if req.URL != nil {
			scheme, host = req.URL.Scheme, req.URL.Host
		}
		return nil, fmt.Errorf("auth: not sending a token to %s://%s: %w", scheme, host, ErrInsecureEndpoint)
	}
	ctx := req.Context()
	tok, err := t.Source.TokenContext(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	resp, err := t.send(t.authorize(req, tok, req.Body))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && t.refreshOn(resp) {
		if !replayable {
			t.invalidate(tok)
			return resp, nil
		}
		body := req.Body
		if req.GetBody != nil && body != nil && body != http.NoBody {
			if body, err = req.GetBody(); err != nil {
				// Cannot replay after all: the caller gets the 401.
				t.invalidate(tok)
				return resp, nil
			}
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		resp.Body.Close()
		tok, err = t.forceRefresh(ctx, tok)
		if err != nil {
			if body != nil {
				body.Close()
			}
			return nil, err
		}
		resp, err = t.send(t.authorize(req, tok, body))
		if err != nil {
			return nil, err
		}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 || resp.StatusCode == http.StatusSwitchingProtocols {
		// An accepted WebSocket upgrade used the token as well.
		// Persisting a slid expiry is best effort: the answer arrived, and
		// the next touch tries again.
		if src, ok := t.Source.(*Source); ok {
			_ = src.touch(ctx, tok)
		}
	}
	return resp, nil
}

// refresher is the part of *Source the Transport uses after a refusal;
// another TokenSource may have it too.
type refresher interface {
	ForceRefresh(ctx context.Context, stale *Token) (*Token, error)
}

// forceRefresh asks the source for a token to replace the refused stale
// one; a source that cannot refresh on demand leaves the refusal standing.
func (t *Transport) forceRefresh(ctx context.Context, stale *Token) (*Token, error) {
	if r, ok := t.Source.(refresher); ok {
		return r.ForceRefresh(ctx, stale)
	}
	return nil, fmt.Errorf("auth: the server refused the token and its source cannot refresh on demand: %w", ErrReauthRequired)
}

// invalidate marks tok refused, so that the next request refreshes first.
func (t *Transport) invalidate(tok *Token) {
	if src, ok := t.Source.(*Source); ok {
		src.invalidate(tok)
	}
}

// NewClient returns an *http.Client whose requests carry src's token, as
// a Transport over http.DefaultTransport sends them: the token goes only to
// each request's own origin, over https or to loopback; a refused token is
// refreshed once and the request sent again; no client-wide timeout is set
// (bound each call with its context). It is the one authorized client every
// broker client and the Manager use.
func NewClient(src TokenSource) *http.Client {
	return &http.Client{Transport: &Transport{Source: src}}
}

// send passes r to the base transport. The response keeps its request,
// as net/http's own transport does, so that a redirect hop can be traced
// back to the origin of its chain even through a base that forgets it.
func (t *Transport) send(r *http.Request) (*http.Response, error) {
	resp, err := t.base().RoundTrip(r)
	if resp != nil && resp.Request == nil {
		resp.Request = r
	}
	return resp, err
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) refreshOn(resp *http.Response) bool {
	if t.RefreshOn != nil {
		return t.RefreshOn(resp)
	}
	if src, ok := t.Source.(*Source); ok {
		if d, ok := src.p.(refusalDetector); ok {
			return d.TokenRefused(resp)
		}
	}
	return classify.InvalidToken(resp)
}

// refusalDetector is a provider whose APIs refuse a token other than with
// RFC 6750's invalid_token challenge (a bare 401, say); see Provider.
// Transport asks it when its RefreshOn is nil, so the broker's rule is data
// of the provider rather than something every app must know.
type refusalDetector interface {
	// TokenRefused reports whether resp means the access token was refused.
	TokenRefused(resp *http.Response) bool
}

// authorize returns a copy of req with body, the static headers and tok's
// Authorization header. The caller's request is never modified.
func (t *Transport) authorize(req *http.Request, tok *Token, body io.ReadCloser) *http.Request {
	r := req.Clone(req.Context())
	r.Body = body
	for k, vs := range t.Header {
		r.Header.Del(k)
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	tok.setAuthHeader(r)
	return r
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// describe names the transport's key and header names, never a header's
// value.
func (t *Transport) describe() string {
	names := make([]string, 0, len(t.Header))
	for k := range t.Header {
		names = append(names, http.CanonicalHeaderKey(k))
	}
	sort.Strings(names)
	key := ""
	if src, ok := t.Source.(*Source); ok {
		key = src.Key()
	}
	return fmt.Sprintf("auth.Transport{key=%s headers=%s}", key, strings.Join(names, ","))
}

// Format makes every fmt verb print the transport's key and header names,
// so header values never reach a log line.
func (t *Transport) Format(f fmt.State, verb rune) { formatRedacted(f, verb, t.describe()) }

// checkResponse returns nil for a response below 400 and a typed error for
// the rest:
//   - 401 or 403 with a Bearer challenge: an *OAuthError (Endpoint
//     "resource") whose Code is the challenge's error (invalid_token
//     matches ErrInvalidToken, insufficient_scope ErrInsufficientScope
//     and fills Scope);
//     the challenge's text is cleaned and cut like every server text that
//     reaches an error;
//   - 401 without one: an *HTTPError wrapped to match ErrInvalidToken;
//   - 429: *RateLimitError (Retry-After and X-RateLimit-* read), matching
//     ErrRateLimited and ErrUnavailable;
//   - anything else: *HTTPError, matching ErrUnavailable for 5xx and 408.
//
// It reads at most 512 bytes of the body, for HTTPError.Body, and puts them
// back, so the caller can still decode a broker's own error document.
func checkResponse(resp *http.Response) error {
	if resp.StatusCode < 400 {
		return nil
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		if c, ok := classify.Bearer(resp.Header); ok && c.Params["error"] != "" {
			sec := requestSecrets(resp.Request) // the bearer token, above all
			e := &OAuthError{Endpoint: "resource", Code: cleanText(c.Params["error"], sec...),
				Description: cleanText(c.Params["error_description"], sec...), URI: cleanText(c.Params["error_uri"], sec...),
				StatusCode: resp.StatusCode}
			if strings.EqualFold(e.Code, "insufficient_scope") {
				e.Scope = strings.Fields(cleanText(c.Params["scope"], sec...))
			}
			return e
		}
	case http.StatusTooManyRequests:
		return newRateLimitError(resp.StatusCode, resp.Header, time.Now(), "")
	}
	e := httpErrorFrom("", resp.StatusCode, resp.Header, peekBody(resp, 512), requestSecrets(resp.Request)...)
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%w: %w", ErrInvalidToken, e)
	}
	return e
}

// peekBody reads up to n bytes of resp's body and puts them back in front
// of the rest.
func peekBody(resp *http.Response, n int) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	buf := make([]byte, n)
	k, _ := io.ReadFull(resp.Body, buf)
	buf = buf[:k]
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), resp.Body), resp.Body}
	return buf
}
