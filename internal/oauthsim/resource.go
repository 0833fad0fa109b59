package oauthsim

import (
	"context"
	"net/http"
	"strings"
)

// ValidateOption adds a requirement to Validate.
type ValidateOption func(*validateOptions)

type validateOptions struct {
	audience string
	scopes   []string
	appOnly  bool
	noTouch  bool
}

// WithAudience requires the token to have been issued for aud (TradeStation:
// an AOP token is refused by the trading API and the other way round).
func WithAudience(aud string) ValidateOption {
	return func(o *validateOptions) { o.audience = aud }
}

// WithScopes requires every one of scopes.
func WithScopes(scopes ...string) ValidateOption {
	return func(o *validateOptions) { o.scopes = append(o.scopes, scopes...) }
}

// AllowAppOnly accepts application-only (client-credentials) tokens. By
// default they are refused with ErrAppOnly, because most routes act for a
// user (TradeStation v2 allows them for symbol lookup only).
func AllowAppOnly() ValidateOption {
	return func(o *validateOptions) { o.appOnly = true }
}

// WithoutTouch checks the token without prolonging a sliding expiry.
func WithoutTouch() ValidateOption {
	return func(o *validateOptions) { o.noTouch = true }
}

// BearerToken returns the token a request carries in the wire's token
// headers (scheme "Bearer", any case) or query parameters; empty when none.
func (e *Engine) BearerToken(r *http.Request) string {
	headers := e.cfg.Wire.TokenHeaders
	if len(headers) == 0 {
		headers = []string{"Authorization"}
	}
	for _, h := range headers {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get(h)), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			if tok = strings.TrimSpace(tok); tok != "" {
				return tok
			}
		}
	}
	for _, p := range e.cfg.Wire.TokenQueryParams {
		if tok := r.URL.Query().Get(p); tok != "" {
			return tok
		}
	}
	return ""
}

// Validate checks the bearer token of r and returns a copy of its grant,
// or a *TokenError. In sliding mode a successful check moves the token's
// expiry to now + AccessTTL (unless WithoutTouch).
func (e *Engine) Validate(r *http.Request, opts ...ValidateOption) (*Grant, error) {
	return e.ValidateToken(e.BearerToken(r), opts...)
}

// ValidateToken is Validate for a token already taken from its request.
func (e *Engine) ValidateToken(token string, opts ...ValidateOption) (*Grant, error) {
	var o validateOptions
	for _, opt := range opts {
		opt(&o)
	}
	if token == "" {
		return nil, &TokenError{Reason: ErrNoToken}
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.access[token]
	switch {
	case !ok:
		return nil, &TokenError{Reason: ErrUnknownToken}
	case a.revoked:
		return nil, &TokenError{Reason: ErrRevokedToken}
	case !now.Before(a.grant.Expiry):
		return nil, &TokenError{Reason: ErrExpiredToken}
	case a.grant.AppOnly && !o.appOnly:
		return nil, &TokenError{Reason: ErrAppOnly}
	case o.audience != "" && a.grant.Audience != o.audience:
		return nil, &TokenError{Reason: ErrWrongAudience, Detail: "want " + o.audience}
	}
	if s, ok := missing(a.grant.Scopes, o.scopes); ok {
		return nil, &TokenError{Reason: ErrInsufficientScope, Detail: "want " + s}
	}
	if e.cfg.Sliding && e.cfg.AccessExpiry == nil && !o.noTouch {
		a.grant.Expiry = now.Add(e.cfg.AccessTTL)
	}
	return a.grant.clone(), nil
}

type grantKey struct{}

// GrantFrom returns the grant Protect stored in ctx.
func GrantFrom(ctx context.Context) (*Grant, bool) {
	g, ok := ctx.Value(grantKey{}).(*Grant)
	return g, ok
}

// Protect wraps an API handler: it validates each request's token with
// opts and passes the grant on in the request context (GrantFrom), or calls
// onError, which writes the broker's 401 body (nil means WriteBearerError).
func (e *Engine) Protect(next http.Handler, onError func(http.ResponseWriter, *http.Request, error), opts ...ValidateOption) http.Handler {
	if onError == nil {
		onError = func(w http.ResponseWriter, _ *http.Request, err error) { WriteBearerError(w, err) }
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, err := e.Validate(r, opts...)
		if err != nil {
			onError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), grantKey{}, g)))
	})
}

// serveUserinfo answers the OIDC userinfo request: sub,
// preferred_username and the claims the token's scopes release
// (scopedClaims: email only with "email", name only with "profile").
func (e *Engine) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	g, err := e.Validate(r, WithoutTouch())
	if err != nil {
		WriteBearerError(w, err)
		return
	}
	e.mu.Lock()
	u, ok := e.users[g.UserID]
	var body map[string]any
	if ok {
		body = e.scopedClaims(u, g.Scopes)
		body["preferred_username"] = u.Username
	}
	e.mu.Unlock()
	if !ok {
		WriteBearerError(w, &TokenError{Reason: ErrRevokedToken})
		return
	}
	writeJSON(w, http.StatusOK, body)
}
