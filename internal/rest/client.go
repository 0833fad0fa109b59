package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/go-querystring/query"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/internal/redact"
)

// DefaultMaxBodyBytes caps a response body when WithMaxBodyBytes is not
// given: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// DefaultUserAgent is sent when WithUserAgent is not given.
const DefaultUserAgent = "brokerkit (+https://github.com/brokerkit/brokerkit)"

// Client sends JSON requests to one API base URL. It is safe for concurrent
// use and immutable once built.
type Client struct {
	name   string
	base   string // absolute, ends in "/"
	hc     *http.Client
	header http.Header

	secretHeaders []string // canonical names of WithHeader's headers: credentials

	maxBody      int64
	fields       ErrorFields
	errorHook    func(*Error)
	isRateLimit  func(*http.Response, []byte) bool
	requestIDHdr []string // canonical header names

	retry RetryPolicy
	sleep func(context.Context, time.Duration) error
	now   func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithName names the broker in every error message ("tradestation: GET ...").
func WithName(name string) Option { return func(c *Client) { c.name = name } }

// WithUserAgent sets the User-Agent header of every request (DefaultUserAgent
// otherwise); an empty ua sends none.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.header["User-Agent"] = []string{ua} }
}

// WithHeader adds a header sent with every request, such as an application
// key the broker wants beside the bearer token. A per-request header of the
// same name replaces it. The header is treated as a credential: its value
// is removed from every error's text and the header from the request an
// Error keeps.
func WithHeader(key, value string) Option {
	return func(c *Client) {
		c.header.Add(key, value)
		if k := http.CanonicalHeaderKey(key); !slices.Contains(c.secretHeaders, k) {
			c.secretHeaders = append(c.secretHeaders, k)
		}
	}
}

// WithMaxBodyBytes caps response bodies at n bytes (DefaultMaxBodyBytes when
// n <= 0). A success body over the cap is an error matching ErrBodyTooLarge.
func WithMaxBodyBytes(n int64) Option {
	return func(c *Client) {
		if n <= 0 {
			n = DefaultMaxBodyBytes
		}
		c.maxBody = n
	}
}

// WithErrorFields tells the client where the broker puts the code, message
// and request ID in its error bodies. It replaces DefaultErrorFields.
func WithErrorFields(f ErrorFields) Option { return func(c *Client) { c.fields = f } }

// WithErrorHook registers a function that sees every *Error after the
// standard decoding, for error shapes ErrorFields cannot express. It may set
// Code, Message and RequestID, and may replace Err (for example with a
// *auth.RateLimitError built by RateLimitErrorFrom). It runs before the
// retry decision.
func WithErrorHook(hook func(e *Error)) Option { return func(c *Client) { c.errorHook = hook } }

// WithRateLimitCheck recognises a broker's non-standard rate-limit answer,
// such as TradeStation v2's 403 "Quota Exceeded" HTML page. match sees every
// non-2xx answer that is not a 429, with its capped body; when it returns
// true the error wraps a *auth.RateLimitError built from the answer's
// headers, and idempotent calls are retried like a 429.
func WithRateLimitCheck(match func(resp *http.Response, body []byte) bool) Option {
	return func(c *Client) { c.isRateLimit = match }
}

// WithRequestIDHeaders names the response headers that carry the broker's
// request ID, tried in order. It replaces DefaultRequestIDHeaders.
func WithRequestIDHeaders(names ...string) Option {
	return func(c *Client) {
		c.requestIDHdr = c.requestIDHdr[:0]
		for _, n := range names {
			c.requestIDHdr = append(c.requestIDHdr, http.CanonicalHeaderKey(n))
		}
	}
}

// WithRetry sets the retry budget for idempotent requests. Zero fields take
// their defaults; see RetryPolicy.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// DefaultRequestIDHeaders are the response headers searched for a request
// ID when WithRequestIDHeaders is not given.
var DefaultRequestIDHeaders = []string{"X-Request-Id", "X-Correlation-Id", "Request-Id", "X-Trace-Id"}

// New returns a Client for the API at baseURL, which must be an absolute
// https URL (http only on a loopback host, for tests and emulators) without
// query, fragment or user info. Request paths are joined to it keeping its
// path: with base "https://api.example.com/v3" the path "brokerage/accounts"
// (or "/brokerage/accounts") becomes "https://api.example.com/v3/brokerage/accounts".
//
// hc should carry the authentication transport. New works on a copy of
// it whose redirect rule refuses, with an error matching
// auth.ErrCrossOriginRedirect, any redirect that leaves the base URL's
// origin (scheme, host, port): the static headers (an application key)
// and whatever the transport adds are sent to that origin only, whatever
// transport hc has. Redirects within the origin are left to hc's own
// CheckRedirect (Go's default: up to 10). A nil hc means a client with
// DefaultTimeout; a given hc keeps its own timeout (the broker helpers set
// none, and calls are bounded by their context).
func New(baseURL string, hc *http.Client, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		// Not quoted: a malformed URL may still hold user info.
		return nil, errors.New("rest: base URL is not an absolute http(s) URL")
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("rest: base URL for %s must not carry user info, query or fragment", u.Host)
	}
	if err := origin.CheckEndpoint(baseURL); err != nil {
		return nil, fmt.Errorf("rest: base URL: %w", err)
	}
	base := u.String()
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	c := &Client{
		base:    base,
		hc:      SameOriginClient(hc, u),
		header:  http.Header{},
		maxBody: DefaultMaxBodyBytes,
		fields:  DefaultErrorFields,
		sleep:   sleepCtx,
		now:     time.Now,
	}
	for _, n := range DefaultRequestIDHeaders {
		c.requestIDHdr = append(c.requestIDHdr, http.CanonicalHeaderKey(n))
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.header.Get("Accept") == "" {
		c.header.Set("Accept", "application/json")
	}
	if _, set := c.header["User-Agent"]; !set {
		c.header.Set("User-Agent", DefaultUserAgent)
	}
	c.retry = c.retry.withDefaults()
	return c, nil
}

// DefaultTimeout bounds a whole call (connection, headers and body) of a
// Client built with a nil *http.Client: the same 30 seconds the broker
// providers give their token requests.
const DefaultTimeout = 30 * time.Second

// SameOriginClient returns a copy of hc (a DefaultTimeout client when nil)
// that follows redirects only within base's origin; a redirect elsewhere
// is an error matching auth.ErrCrossOriginRedirect. Within the origin,
// hc's own CheckRedirect still rules. New uses it; so does any broker
// request made outside a Client that carries a credential.
func SameOriginClient(hc *http.Client, base *url.URL) *http.Client {
	c := &http.Client{Timeout: DefaultTimeout}
	if hc != nil {
		cp := *hc
		c = &cp
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !origin.Same(base, req.URL) {
			return fmt.Errorf("redirect from %s to %s: %w", origin.Of(base), origin.Of(req.URL), auth.ErrCrossOriginRedirect)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return c
}

// StreamClient returns the HTTP client for answers that last (a chunked
// stream, a WebSocket upgrade): the client's own, with its credentials
// kept to the base URL's origin, but with no Timeout, which would cut a
// healthy stream; the stream's stall detection bounds it instead.
func (c *Client) StreamClient() *http.Client {
	cp := *c.hc
	cp.Timeout = 0
	return &cp
}

// BaseURL returns the base URL requests are joined to, ending in "/".
func (c *Client) BaseURL() string { return c.base }

// Request describes one call. Only Method and Path are required.
type Request struct {
	// Method is the HTTP method ("GET", "POST", ...); empty means GET.
	Method string
	// Path is joined to the client's base URL. Build it with Pathf so that
	// caller-supplied segments (account IDs, symbols) are escaped. A query
	// written into Path is kept, and Query is appended to it.
	Path string
	// Query is encoded into the query string: a struct with go-querystring
	// `url:"..."` tags (or a pointer to one), or url.Values. nil means none.
	Query any
	// Body is encoded as JSON and sent with Content-Type application/json.
	// nil means no body. A json.RawMessage is sent as is.
	Body any
	// Header holds extra headers for this call only; they replace the
	// client's static headers of the same name.
	Header http.Header
	// Idempotent marks a PUT, DELETE or PATCH as safe to repeat, so that it
	// is retried like a GET. It has no effect on POST, which is never
	// retried.
	Idempotent bool
}

// Get sends a GET to path with the query encoded from query (nil for none)
// and decodes a 2xx JSON answer into out (nil to discard it).
func (c *Client) Get(ctx context.Context, path string, query, out any) (*Response, error) {
	return c.Do(ctx, Request{Method: http.MethodGet, Path: path, Query: query}, out)
}

// Post sends body as JSON to path and decodes a 2xx JSON answer into out
// (nil to discard it). It is never retried.
func (c *Client) Post(ctx context.Context, path string, body, out any) (*Response, error) {
	return c.Do(ctx, Request{Method: http.MethodPost, Path: path, Body: body}, out)
}

// Do sends r and decodes a 2xx JSON answer into out (nil to discard it; an
// empty body leaves out untouched). Any other answer is an *Error; see
// Error for what it matches. Transport failures match auth.ErrUnavailable
// and never quote the URL, whose query may hold secrets. The returned
// *Response is non-nil whenever an answer arrived, error or not.
//
// A 2xx answer means the broker carried the request out. When its body
// cannot be read or decoded, the error matches auth.ErrInvalidResponse and,
// for a request that is not idempotent, never auth.ErrUnavailable: a POST
// whose answer was cut must not look retryable, or an order could be placed
// twice. With out nil the body is drained and ignored.
//
// Idempotent requests are retried within the client's RetryPolicy. Once
// ctx is done no further attempt is made; a wait between attempts cut short
// by ctx returns an error matching both ctx.Err() and the last failure.
func (c *Client) Do(ctx context.Context, r Request, out any) (*Response, error) {
	if ctx == nil {
		return nil, errors.New("rest: nil context")
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	target, err := c.url(r.Path, r.Query)
	if err != nil {
		return nil, err
	}
	var body []byte
	if r.Body != nil {
		if body, err = json.Marshal(r.Body); err != nil {
			return nil, fmt.Errorf("%s%s %s: encoding request body: %w", c.prefix(), method, pathOnly(r.Path), err)
		}
	}
	if out != nil {
		// Checked before sending: a POST must not reach the broker when
		// its answer cannot be stored.
		if rv := reflect.ValueOf(out); rv.Kind() != reflect.Pointer || rv.IsNil() {
			return nil, fmt.Errorf("rest: %s %s: out must be a non-nil pointer, not %T", method, pathOnly(r.Path), out)
		}
	}
	retryable := isIdempotent(method, r.Idempotent)

	var (
		resp   *Response
		waited time.Duration
	)
	for attempt := 1; ; attempt++ {
		resp, err = c.once(ctx, method, target, body, r.Header, out, retryable)
		if resp != nil {
			resp.Attempts = attempt
		}
		if err == nil || !retryable || attempt >= c.retry.MaxAttempts || !shouldRetry(err) {
			return resp, err
		}
		if ctx.Err() != nil {
			return resp, err
		}
		wait, ok := c.retry.wait(attempt, err, c.now(), c.retry.MaxWait-waited)
		if !ok {
			return resp, err
		}
		if dl, has := ctx.Deadline(); has && c.now().Add(wait).After(dl) {
			return resp, err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return resp, fmt.Errorf("%s%s %s: %w while waiting to retry after: %w", c.prefix(), method, pathOnly(r.Path), serr, err)
		}
		waited += wait
	}
}

// url joins path and the encoded query to the base URL.
func (c *Client) url(path string, q any) (string, error) {
	path = strings.TrimLeft(path, "/")
	// Joining is concatenation, so nothing can leave the base URL's host;
	// an absolute URL or a fragment here is a caller's mistake.
	if p, _, _ := strings.Cut(path, "?"); strings.Contains(p, "://") || strings.Contains(path, "#") {
		return "", fmt.Errorf("rest: path %q must be relative to the base URL", pathOnly(path))
	}
	if q == nil {
		return c.base + path, nil
	}
	var enc string
	switch v := q.(type) {
	case url.Values:
		enc = v.Encode()
	default:
		vals, err := query.Values(q)
		if err != nil {
			return "", fmt.Errorf("rest: encoding query for %s: %w", pathOnly(path), err)
		}
		enc = vals.Encode()
	}
	if enc == "" {
		return c.base + path, nil
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return c.base + path + sep + enc, nil
}

// once sends one attempt and reads its answer.
func (c *Client) once(ctx context.Context, method, target string, body []byte, extra http.Header, out any, idempotent bool) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		// The message of a *url.Error quotes the URL; keep only the path.
		return nil, fmt.Errorf("%s%s %s: building request: %w", c.prefix(), method, pathOnly(target), redactURLError(err))
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for k, v := range extra {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hresp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, req, err)
	}
	resp := c.newResponse(hresp)
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		return resp, c.errorFrom(req, resp)
	}
	return resp, c.decode(req, resp, out, idempotent)
}

// prefix is the "name: " that starts every error message.
func (c *Client) prefix() string {
	if c.name == "" {
		return ""
	}
	return c.name + ": "
}

// isIdempotent reports whether a request may be sent again. A POST is
// never, however its method is spelt: servers that fold method case would
// place an order twice.
func isIdempotent(method string, marked bool) bool {
	switch {
	case method == http.MethodGet, method == http.MethodHead, method == http.MethodOptions:
		return true
	case strings.EqualFold(method, http.MethodPost):
		return false
	}
	return marked
}

// pathOnly strips the query and fragment from a URL or path, for error
// messages: queries may carry tokens or keys.
func pathOnly(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return u.EscapedPath()
	}
	return s
}

// redactURLError drops the URL from a *url.Error, keeping its cause.
func redactURLError(err error) error { return redact.URLError(err) }
