package auth

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Token is an OAuth 2.0 token as a broker issued it. It keeps every field of
// the token response: the well-known ones as fields, the rest in Extra, so
// that a token written to a Store and read back has lost nothing.
//
// A Token never prints its secrets: String, Format (every verb, %#v included)
// and LogValue show the provider, type, expiry and scopes, and only whether
// an access or refresh token is present, also when the Token sits inside
// another value printed with fmt. Its JSON encoding (the field tags) is the
// one place that writes the secrets, because it is what a Store persists;
// so hand slog the Token
// itself, not a struct or slice holding one, which slog's JSON handler
// would encode with encoding/json.
type Token struct {
	// AccessToken is the bearer credential sent to the broker's API.
	AccessToken string `json:"access_token"`
	// TokenType is the header scheme, normalized ("Bearer" for "bearer",
	// "AccessToken", a null or missing type).
	TokenType string `json:"token_type,omitempty"`
	// RefreshToken obtains new access tokens; empty when none was issued.
	RefreshToken string `json:"refresh_token,omitempty"`
	// Expiry is when the access token lapses; zero means unknown or never.
	Expiry time.Time `json:"expiry,omitzero"`
	// RefreshExpiry is when the refresh token lapses, when the broker says
	// (an absolute session limit, for example); zero means unknown or never.
	RefreshExpiry time.Time `json:"refresh_expiry,omitzero"`
	// Scopes are the granted scopes, when the response listed them.
	Scopes []string `json:"scopes,omitempty"`
	// Subject identifies the user when the token response names them
	// (TradeStation v2's userid, for example).
	Subject string `json:"subject,omitempty"`
	// Audience is the API the token was issued for, when the provider
	// distinguishes several (TradeStation's trading API and its AOP API).
	Audience string `json:"audience,omitempty"`
	// IDClaims are the claims of the ID token that came with this token,
	// set only when the provider verified it (Config.OIDC): who logged in
	// (Subject, Email, Name). Nil without a verified ID token.
	IDClaims *Claims `json:"id_claims,omitempty"`
	// Provider is the name of the provider that issued the token.
	Provider string `json:"provider,omitempty"`
	// Extra holds every other field of the token response, verbatim.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// Clone returns a deep copy of t.
func (t *Token) Clone() *Token {
	if t == nil {
		return nil
	}
	c := *t
	if t.Scopes != nil {
		c.Scopes = append([]string(nil), t.Scopes...)
	}
	c.IDClaims = t.IDClaims.clone()
	if t.Extra != nil {
		c.Extra = make(map[string]json.RawMessage, len(t.Extra))
		for k, v := range t.Extra {
			c.Extra[k] = append(json.RawMessage(nil), v...)
		}
	}
	return &c
}

// Type returns the scheme for the Authorization header ("Bearer" unless the
// provider issued another recognised type).
// It runs on every request a Transport sends, so it does not allocate.
func (t *Token) Type() string {
	switch {
	case t == nil:
		return "Bearer"
	case strings.EqualFold(t.TokenType, "mac"):
		return "MAC"
	case strings.EqualFold(t.TokenType, "basic"):
		return "Basic"
	default:
		return "Bearer"
	}
}

// setAuthHeader sets the Authorization header of r from t.
func (t *Token) setAuthHeader(r *http.Request) {
	if t == nil || t.AccessToken == "" {
		return // no credential is better than an empty one
	}
	r.Header.Set("Authorization", t.Type()+" "+t.AccessToken)
}

// expiresWithin reports whether the access token lapses within d of now.
// A token without an expiry never does.
func (t *Token) expiresWithin(now time.Time, d time.Duration) bool {
	return t != nil && !t.Expiry.IsZero() && !now.Add(d).Before(t.Expiry)
}

// Valid reports whether t has an access token that has not expired at now.
func (t *Token) Valid(now time.Time) bool {
	return t != nil && t.AccessToken != "" && !t.expiresWithin(now, 0)
}

// OAuth2 converts t to a golang.org/x/oauth2 token, extras included. A nil
// t converts to nil (which oauth2 treats as an invalid token).
func (t *Token) OAuth2() *oauth2.Token {
	if t == nil {
		return nil
	}
	o := &oauth2.Token{
		AccessToken:  t.AccessToken,
		TokenType:    t.Type(),
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry,
	}
	if len(t.Extra) == 0 {
		return o
	}
	extra := make(map[string]any, len(t.Extra))
	for k, v := range t.Extra {
		var x any
		if json.Unmarshal(v, &x) == nil {
			extra[k] = x
		}
	}
	return o.WithExtra(extra)
}

// redacted stands in for a secret in printed output: "redacted" when s is
// set, "none" when it is empty.
func redacted(s string) string {
	if s == "" {
		return "none"
	}
	return "redacted"
}

// formatRedacted is the Format method of every type here that holds a
// secret: whatever the verb, it prints the type's redacted description s,
// quoted for %q.
func formatRedacted(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// String describes t without its secrets.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString("auth.Token{")
	if t.Provider != "" {
		fmt.Fprintf(&b, "provider=%s ", t.Provider)
	}
	fmt.Fprintf(&b, "type=%s access=%s refresh=%s", t.Type(), redacted(t.AccessToken), redacted(t.RefreshToken))
	if !t.Expiry.IsZero() {
		fmt.Fprintf(&b, " expiry=%s", t.Expiry.UTC().Format(time.RFC3339))
	}
	if !t.RefreshExpiry.IsZero() {
		fmt.Fprintf(&b, " refresh_expiry=%s", t.RefreshExpiry.UTC().Format(time.RFC3339))
	}
	if t.Subject != "" {
		fmt.Fprintf(&b, " subject=%s", t.Subject)
	}
	if t.Audience != "" {
		fmt.Fprintf(&b, " audience=%s", t.Audience)
	}
	if len(t.Scopes) > 0 {
		fmt.Fprintf(&b, " scopes=%q", strings.Join(t.Scopes, " "))
	}
	if len(t.Extra) > 0 {
		fmt.Fprintf(&b, " extra=%d fields", len(t.Extra))
	}
	b.WriteString("}")
	return b.String()
}

// Format makes every fmt verb print the redacted String.
func (t Token) Format(f fmt.State, verb rune) { formatRedacted(f, verb, t.String()) }

// LogValue gives log/slog a view of t without secrets: what String shows,
// as attributes.
func (t Token) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("provider", t.Provider),
		slog.String("type", t.Type()),
		slog.String("access", redacted(t.AccessToken)),
		slog.String("refresh", redacted(t.RefreshToken)),
	}
	if !t.Expiry.IsZero() {
		attrs = append(attrs, slog.Time("expiry", t.Expiry))
	}
	if !t.RefreshExpiry.IsZero() {
		attrs = append(attrs, slog.Time("refresh_expiry", t.RefreshExpiry))
	}
	if t.Subject != "" {
		attrs = append(attrs, slog.String("subject", t.Subject))
	}
	if t.Audience != "" {
		attrs = append(attrs, slog.String("audience", t.Audience))
	}
	if len(t.Scopes) > 0 {
		attrs = append(attrs, slog.String("scopes", strings.Join(t.Scopes, " ")))
	}
	return slog.GroupValue(attrs...)
}
