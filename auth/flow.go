package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// defaultFlowTTL is how long a login flow stays valid when Begin is not
// told otherwise (FlowOptions.TTL).
const defaultFlowTTL = 10 * time.Minute

// maxParamLen bounds every callback parameter; real codes and states are far
// shorter.
const maxParamLen = 4096

// Flow is one login: the state that ties the callback to the browser that
// started it, the PKCE verifier, the redirect URI and a deadline. It is
// plain JSON, so an app can keep it in a server-side session between the
// redirect and the callback; it holds the PKCE verifier, so keep it where
// the browser cannot read it. Printed with fmt or logged with slog it shows
// neither its state nor its verifier; its JSON form, meant for storage, has
// both.
//
// Single use: one *Flow completes at most once, however many goroutines
// call Complete on it, and its Used field carries that through JSON.
// Copies are separate flows, though: a Flow value copied (or a JSON form
// stored twice, or read back twice) before its completion can be completed
// once per copy. The single-use guarantee across requests therefore comes
// from where the flow is kept: FlowStore.Take hands each pending flow out
// once, and a session store should do the same (delete the flow as it is
// read). The broker's one-time code is the last line of defence.
type Flow struct {
	// Provider is the name of the provider the flow was begun with.
	Provider string `json:"provider"`
	// State is the CSRF token sent to and echoed by the provider.
	State string `json:"state"`
	// Verifier is the PKCE code verifier; empty when the provider does not
	// support PKCE.
	Verifier string `json:"verifier,omitempty"`
	// RedirectURL is the redirect URI used by this flow, when it overrides
	// the provider's configured one.
	RedirectURL string `json:"redirect_url,omitempty"`
	// Issuer is the iss a callback must carry if it carries one (RFC 9207).
	Issuer string `json:"issuer,omitempty"`
	// Nonce is the OpenID Connect nonce sent with the authorization
	// request, which the ID token must carry back; empty when the provider
	// verifies no ID tokens or the login did not request openid.
	Nonce string `json:"nonce,omitempty"`
	// URL is where to send the user.
	URL string `json:"url"`
	// Expires is the deadline for the callback.
	Expires time.Time `json:"expires"`
	// Used is set once Complete has accepted a callback for this flow.
	Used bool `json:"used,omitempty"`

	// claimed is set atomically by the one Complete call that may exchange
	// the code. It is a plain integer rather than a mutex so that a Flow
	// can be copied (and printed by value) without vet complaints.
	claimed int32
	// now is the Begin clock. It is not part of the JSON form: a flow
	// restored from storage is checked against the wall clock.
	now func() time.Time
}

// FlowOption configures Begin: a FlowOptions value.
type FlowOption interface{ apply(*flowOptions) }

type flowOptions struct {
	scopes   []string
	redirect string
	ttl      time.Duration
	issuer   string
	extra    []AuthCodeOption
	now      func() time.Time
}

// FlowOptions tunes one login. A zero field keeps its default.
type FlowOptions struct {
	// Scopes are requested instead of the provider's defaults.
	Scopes []string
	// RedirectURL is used instead of the configured redirect URI. It must
	// be https, or http on a loopback address (as a loopback login on a
	// chosen port needs); a private-use-scheme redirect is configured on
	// the provider instead (Config.PrivateUseRedirect).
	RedirectURL string
	// TTL is how long the flow waits for its callback (zero: ten minutes;
	// negative is refused).
	TTL time.Duration
	// Issuer is the issuer a callback's iss parameter must equal.
	// Providers that implement Issuer() string supply it themselves.
	Issuer string
	// AuthParams are provider-specific authorization-URL parameters.
	AuthParams []AuthCodeOption
	// Now is the clock the flow's deadline is counted from and checked
	// against by Complete (an emulator's test clock, say); nil means
	// time.Now. A flow restored from JSON is checked against the wall
	// clock.
	Now func() time.Time
}

func (f FlowOptions) apply(o *flowOptions) {
	if f.Scopes != nil {
		o.scopes = f.Scopes
	}
	if f.RedirectURL != "" {
		o.redirect = f.RedirectURL
	}
	if f.TTL != 0 {
		o.ttl = f.TTL
	}
	if f.Issuer != "" {
		o.issuer = f.Issuer
	}
	o.extra = append(o.extra, f.AuthParams...)
	if f.Now != nil {
		o.now = f.Now
	}
}

// Begin starts a login with p: it creates the state (32 random bytes) and,
// when p supports PKCE, an S256 verifier and challenge, and returns the flow
// whose URL the user must visit.
func Begin(p Provider, opts ...FlowOption) (*Flow, error) {
	if nilProvider(p) {
		return nil, errors.New("auth: Begin needs a Provider")
	}
	o := flowOptions{ttl: defaultFlowTTL, now: time.Now}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	if o.ttl <= 0 {
		return nil, errors.New("auth: flow TTL must be positive")
	}
	if o.redirect != "" {
		if err := checkRedirectURL(o.redirect); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
	}
	state, err := randomString(32)
	if err != nil {
		return nil, err
	}
	f := &Flow{Provider: p.Name(), State: state, RedirectURL: o.redirect, Issuer: o.issuer,
		Expires: o.now().Add(o.ttl), now: o.now}
	if f.Issuer == "" {
		if ip, ok := p.(interface{ Issuer() string }); ok {
			f.Issuer = ip.Issuer()
		}
	}
	caps := p.Capabilities()
	if caps.RequireIssuer && f.Issuer == "" {
		return nil, fmt.Errorf("auth: %s requires iss on callbacks but no issuer is known (FlowOptions.Issuer)", f.Provider)
	}
	var ac []AuthCodeOption
	if caps.PKCE {
		f.Verifier = oauth2.GenerateVerifier()
		ac = append(ac, s256ChallengeOption(f.Verifier))
	}
	if len(o.scopes) > 0 {
		ac = append(ac, paramOption{"scope", strings.Join(o.scopes, " ")})
	}
	if np, ok := p.(interface{ wantsNonce([]string) bool }); ok && np.wantsNonce(o.scopes) {
		if f.Nonce, err = randomString(32); err != nil {
			return nil, err
		}
		ac = append(ac, paramOption{"nonce", f.Nonce})
	}
	if o.redirect != "" {
		ac = append(ac, paramOption{"redirect_uri", o.redirect})
	}
	ac = append(ac, o.extra...)
	f.URL = p.AuthCodeURL(state, ac...)
	return f, nil
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CodeParamser is implemented by providers whose callbacks may carry the
// code under other names (TradeStation v2's auth_code, for example).
type CodeParamser interface {
	CodeParams() []string
}

// Complete checks a callback's query against the flow and, only when every
// check passes, exchanges the code. The checks run in this order: the state
// (constant time; ErrStateMismatch), iss (ErrIssuerMismatch; required when
// the provider's Capabilities say RequireIssuer, else checked when
// present), the error parameter (an *OAuthError; access_denied matches
// ErrAccessDenied), the deadline (ErrFlowExpired), single use
// (ErrFlowUsed), and the code (ErrMissingCode). The state comes first so
// that an error callback without this login's state, which anyone can
// send, is a mismatch and not "the user declined". A callback without
// state passes only as Capabilities.AllowMissingState describes.
//
// Complete is single use per *Flow (see Flow): of two calls on the same
// pointer only one exchanges; two copies of one Flow are not protected
// against each other.
func (f *Flow) Complete(ctx context.Context, p Provider, query url.Values) (*Token, error) {
	now := time.Now
	if f.now != nil {
		now = f.now
	}
	return f.complete(ctx, p, query, now())
}

// CompleteURL is Complete for a whole callback URL, as a loopback listener
// or a test browser receives it.
func (f *Flow) CompleteURL(ctx context.Context, p Provider, callback string) (*Token, error) {
	u, err := url.Parse(callback)
	if err != nil {
		return nil, fmt.Errorf("auth: %w: callback URL does not parse", ErrBadCallback)
	}
	q, err := callbackQuery(u.RawQuery)
	if err != nil {
		return nil, err
	}
	return f.Complete(ctx, p, q)
}

func single(q url.Values, key string) (string, error) {
	vals := q[key]
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", fmt.Errorf("auth: %w: parameter %q repeated", ErrBadCallback, key)
	case len(vals[0]) > maxParamLen:
		return "", fmt.Errorf("auth: %w: parameter %q too long", ErrBadCallback, key)
	}
	return vals[0], nil
}

func (f *Flow) complete(ctx context.Context, p Provider, q url.Values, now time.Time) (*Token, error) {
	if nilProvider(p) {
		return nil, errors.New("auth: Complete needs the Provider the flow was begun with")
	}
	if p.Name() != f.Provider {
		return nil, fmt.Errorf("auth: flow was begun with %s, not %s: %w", f.Provider, p.Name(), ErrStateMismatch)
	}
	caps := p.Capabilities()
	if err := f.checkState(caps, q); err != nil {
		return nil, err
	}
	iss, err := single(q, "iss")
	if err != nil {
		return nil, err
	}
	switch {
	case caps.RequireIssuer && iss == "":
		return nil, fmt.Errorf("auth: %s callback: %w: no iss, which this provider always sends", f.Provider, ErrIssuerMismatch)
	case caps.RequireIssuer && f.Issuer == "":
		return nil, fmt.Errorf("auth: %s callback: %w: no expected issuer to check iss against", f.Provider, ErrIssuerMismatch)
	case iss != "" && f.Issuer != "" && iss != f.Issuer:
		return nil, fmt.Errorf("auth: %s callback: %w: got %q", f.Provider, ErrIssuerMismatch, cleanText(iss))
	}
	if code, err := single(q, "error"); err != nil {
		return nil, err
	} else if code != "" {
		desc, _ := single(q, "error_description")
		uri, _ := single(q, "error_uri")
		return nil, &OAuthError{Provider: f.Provider, Endpoint: "authorize", Code: cleanText(code),
			Description: cleanText(desc), URI: cleanText(uri)}
	}
	if !now.Before(f.Expires) {
		return nil, fmt.Errorf("auth: %s callback: %w", f.Provider, ErrFlowExpired)
	}
	code, err := callbackCode(p, q)
	if err != nil {
		return nil, err
	}
	if code == "" {
		// Used is not read here: the claim's winner may be writing it.
		if atomic.LoadInt32(&f.claimed) != 0 {
			return nil, fmt.Errorf("auth: %s callback: %w", f.Provider, ErrFlowUsed)
		}
		return nil, fmt.Errorf("auth: %s callback: %w", f.Provider, ErrMissingCode)
	}
	// Only the caller that wins the claim reads and writes Used, so two
	// concurrent callbacks cannot both exchange, and Used is never read
	// while it is written.
	if !atomic.CompareAndSwapInt32(&f.claimed, 0, 1) || f.Used {
		return nil, fmt.Errorf("auth: %s callback: %w", f.Provider, ErrFlowUsed)
	}
	f.Used = true
	var opts []AuthCodeOption
	if f.Verifier != "" {
		opts = append(opts, verifierOption(f.Verifier))
	}
	if f.Nonce != "" {
		opts = append(opts, nonceOption(f.Nonce))
	}
	if f.RedirectURL != "" {
		opts = append(opts, paramOption{"redirect_uri", f.RedirectURL})
	}
	return p.Exchange(ctx, code, opts...)
}

// checkState accepts q when its one state parameter is the flow's. A
// callback with no state parameter at all passes only when caps allow it
// (AllowMissingState), the flow has a PKCE verifier to bind the code, and
// the callback is not an error, which nothing would bind.
func (f *Flow) checkState(caps Capabilities, q url.Values) error {
	state, err := single(q, "state")
	if err != nil {
		return err
	}
	if _, present := q["state"]; !present && caps.AllowMissingState && f.Verifier != "" && len(q["error"]) == 0 {
		return nil
	}
	if f.State == "" || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 {
		return fmt.Errorf("auth: %s callback: %w", f.Provider, ErrStateMismatch)
	}
	return nil
}

func callbackCode(p Provider, q url.Values) (string, error) {
	names := []string{"code"}
	if cp, ok := p.(CodeParamser); ok {
		names = cp.CodeParams()
	}
	for _, n := range names {
		c, err := single(q, n)
		if err != nil {
			return "", err
		}
		if c != "" {
			return c, nil
		}
	}
	return "", nil
}

// String describes the flow without its state or verifier.
func (f Flow) String() string {
	return fmt.Sprintf("auth.Flow{provider=%s expires=%s pkce=%t used=%t}", f.Provider,
		f.Expires.UTC().Format(time.RFC3339), f.Verifier != "", f.Used)
}

// Format makes every fmt verb print the redacted String.
func (f Flow) Format(s fmt.State, verb rune) { formatRedacted(s, verb, f.String()) }

// LogValue gives log/slog a view of the flow without its state or
// verifier; without it slog's JSON handler would marshal them.
func (f Flow) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("provider", f.Provider),
		slog.Time("expires", f.Expires),
		slog.Bool("pkce", f.Verifier != ""),
		slog.Bool("used", f.Used),
	)
}
