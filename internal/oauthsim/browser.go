package oauthsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// Browser plays the user agent of a login: it opens the authorize URL,
// signs in on the consent page and approves (or declines), and returns the
// callback URL the server redirected to, without fetching it. It works
// against any server that serves the engine's consent form.
type Browser struct {
	hc       *http.Client
	visit    *http.Client
	username string
	password string
	decline  bool
}

// NewBrowser returns a browser that logs in as username over hc (nil means
// a client with a 30-second timeout). hc is copied and told not to follow
// redirects, so the callback is captured, not fetched.
func NewBrowser(hc *http.Client, username, password string) *Browser {
	c := &http.Client{Timeout: 30 * time.Second}
	if hc != nil {
		cp := *hc
		c = &cp
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Browser{hc: c, visit: c, username: username, password: password}
}

// NewHandlerBrowser returns a browser that talks to h in process, without
// a network: every request of the login goes to h whatever its host.
// LoginAndVisit still delivers the callback over the network.
func NewHandlerBrowser(h http.Handler, username, password string) *Browser {
	b := NewBrowser(&http.Client{Transport: handlerTransport{h}}, username, password)
	b.visit = NewBrowser(nil, "", "").hc
	return b
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	defer func() {
		// A handler that drops the connection (Fault.Cut) panics with
		// ErrAbortHandler, which only a server would recover.
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			resp, err = nil, fmt.Errorf("connection cut by the handler: %w", io.ErrUnexpectedEOF)
		}
	}()
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	resp = rec.Result()
	resp.Request = r
	return resp, nil
}

// Declining returns a copy of b that presses Deny: the callback then
// carries error=access_denied.
func (b *Browser) Declining() *Browser {
	c := *b
	c.decline = true
	return &c
}

// Token runs a whole login with p as an app does: auth.Begin, this
// browser at the consent page, then Flow.CompleteURL. Emulators' Login
// helpers are this with their seeded user.
func (b *Browser) Token(ctx context.Context, p auth.Provider, opts ...auth.FlowOption) (*auth.Token, error) {
	flow, err := auth.Begin(p, opts...)
	if err != nil {
		return nil, err
	}
	cb, err := b.Login(ctx, flow.URL)
	if err != nil {
		return nil, err
	}
	return flow.CompleteURL(ctx, p, cb)
}

// Login follows authURL as the user and returns the callback URL (with the
// code in its query, or for the implicit grant the token in its fragment,
// or an error parameter). It has the signature authtest.Config.Login wants.
func (b *Browser) Login(ctx context.Context, authURL string) (string, error) {
	resp, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", err
	}
	if loc, ok, err := location(resp, authURL); ok || err != nil {
		return loc, err // auto-approved, or an error sent back to the client
	}
	page, err := readPage(resp)
	if err != nil {
		return "", err
	}
	if !strings.Contains(page, `id="oauthsim-consent"`) {
		return "", fmt.Errorf("oauthsim browser: authorize answered HTTP %d without a consent form", resp.StatusCode)
	}
	form := url.Values{"username": {b.username}, "password": {b.password}, "decision": {"approve"}}
	if b.decline {
		form.Set("decision", "deny")
	}
	resp, err = b.do(ctx, http.MethodPost, authURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	loc, ok, err := location(resp, authURL)
	if err != nil {
		return "", err
	}
	if !ok {
		page, _ := readPage(resp)
		msg := "no redirect"
		if i := strings.Index(page, `role="alert">`); i >= 0 {
			msg, _, _ = strings.Cut(page[i+len(`role="alert">`):], "<")
		}
		return "", fmt.Errorf("oauthsim browser: consent answered HTTP %d: %s", resp.StatusCode, msg)
	}
	return loc, nil
}

// LoginAndVisit is Login followed by a GET of the callback URL, as a real
// browser would do: for loopback-listener logins. It fails when the
// callback answers with a status of 400 or more.
func (b *Browser) LoginAndVisit(ctx context.Context, authURL string) (string, error) {
	cb, err := b.Login(ctx, authURL)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cb, nil)
	if err != nil {
		return "", fmt.Errorf("oauthsim browser: callback URL: %w", redact(err))
	}
	resp, err := b.visit.Do(req)
	if err != nil {
		return "", fmt.Errorf("oauthsim browser: delivering the callback: %w", redact(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
	if resp.StatusCode >= 400 {
		return cb, fmt.Errorf("oauthsim browser: callback answered HTTP %d", resp.StatusCode)
	}
	return cb, nil
}

func (b *Browser) do(ctx context.Context, method, u string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("oauthsim browser: authorize URL: %w", redact(err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oauthsim browser: %s authorize: %w", method, redact(err))
	}
	return resp, nil
}

// location returns a redirect's absolute target; ok is false when resp is
// not a redirect. The body is closed for redirects.
func location(resp *http.Response, base string) (string, bool, error) {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return "", false, nil
	}
	defer resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", false, fmt.Errorf("oauthsim browser: HTTP %d without Location", resp.StatusCode)
	}
	bu, err := url.Parse(base)
	if err != nil {
		return "", false, errors.New("oauthsim browser: authorize URL does not parse")
	}
	lu, err := url.Parse(loc)
	if err != nil {
		return "", false, errors.New("oauthsim browser: Location does not parse")
	}
	return bu.ResolveReference(lu).String(), true, nil
}

func readPage(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", fmt.Errorf("oauthsim browser: reading page: %w", err)
	}
	return string(b), nil
}

// redact drops the URL from a *url.Error: callback and authorize URLs carry
// codes and states.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Signup follows authURL, an authorization request that opens the
// registration form (Config.Signup), and signs up with the browser's
// username as the email, its password and this display name. It returns
// the callback URL, as Login does; the new user can log in afterwards.
func (b *Browser) Signup(ctx context.Context, authURL, name string) (string, error) {
	resp, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", err
	}
	if loc, ok, err := location(resp, authURL); ok || err != nil {
		return loc, err
	}
	page, err := readPage(resp)
	if err != nil {
		return "", err
	}
	if !strings.Contains(page, `id="oauthsim-signup"`) {
		return "", fmt.Errorf("oauthsim browser: authorize answered HTTP %d without a sign-up form", resp.StatusCode)
	}
	form := url.Values{"email": {b.username}, "password": {b.password}, "name": {name}, "decision": {"signup"}}
	resp, err = b.do(ctx, http.MethodPost, authURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	loc, ok, err := location(resp, authURL)
	if err != nil {
		return "", err
	}
	if !ok {
		page, _ := readPage(resp)
		msg := "no redirect"
		if i := strings.Index(page, `role="alert">`); i >= 0 {
			msg, _, _ = strings.Cut(page[i+len(`role="alert">`):], "<")
		}
		return "", fmt.Errorf("oauthsim browser: sign-up answered HTTP %d: %s", resp.StatusCode, msg)
	}
	return loc, nil
}
