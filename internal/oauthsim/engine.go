package oauthsim

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// Grant is what an access token stands for: who, for which client, with
// which scopes, for which audience, until when. Validate returns a copy.
type Grant struct {
	// ClientID is the client the token was issued to.
	ClientID string
	// UserID is the user who consented; empty for application-only tokens.
	UserID string
	// Username is the user's login name; empty for application-only tokens.
	Username string
	// Subject is UserID, or Config.AppOnlySubject (else the client ID) for
	// application-only tokens.
	Subject string
	// Scopes are the granted scopes.
	Scopes []string
	// Audience is the API the token is for (the authorize request's
	// audience, or Config.DefaultAudience).
	Audience string
	// AppOnly marks client-credentials tokens, which stand for no user.
	AppOnly bool
	// GrantType is how the token was obtained: "authorization_code",
	// "refresh_token", "client_credentials", "password" or "implicit".
	GrantType string
	// IssuedAt is when the access token was issued.
	IssuedAt time.Time
	// Expiry is when it lapses (moved forward by Validate in sliding mode).
	Expiry time.Time
}

// HasScope reports whether s was granted.
func (g *Grant) HasScope(s string) bool { return slices.Contains(g.Scopes, s) }

func (g *Grant) clone() *Grant {
	c := *g
	c.Scopes = slices.Clone(g.Scopes)
	return &c
}

// Engine is the authorization server: an http.Handler serving the
// authorize, token, revoke and userinfo endpoints in the shape its Wire
// describes, plus the resource-server side (Validate) that the emulator's
// API handlers call. Mount it beside the API routes on one server. All
// methods are safe for concurrent use.
type Engine struct {
	cfg     Config
	now     func() time.Time
	faults  *Faults
	handler http.Handler // faults in front of serve

	authorizePath, tokenPath, revokePath, userinfoPath string

	mu          sync.Mutex
	clients     map[string]*Client
	users       map[string]*User // by ID
	byUsername  map[string]*User
	autoApprove string
	codes       map[string]*codeRec
	access      map[string]*accessRec
	refresh     map[string]*refreshRec
	families    map[string]*family
	invalidated []string // access tokens revoked since the last notify
}

type codeRec struct {
	clientID     string
	userID       string
	redirectURI  string // as sent in the authorization request; "" if omitted
	challenge    string
	scopes       []string
	audience     string
	nonce        string
	expires      time.Time
	used         bool
	issuedAccess []string
	familyID     string
}

type accessRec struct {
	grant    Grant
	familyID string
	revoked  bool
}

type refreshRec struct {
	familyID string
	expires  time.Time // zero: never
	rotated  bool
}

type family struct {
	id       string
	clientID string
	userID   string
	scopes   []string
	audience string
	nonce    string
	deadline time.Time // zero: none
	pkce     bool      // begun by a code bound to a PKCE challenge
	revoked  bool
	access   []string
	refresh  []string
}

// New checks cfg and returns an engine serving it.
func New(cfg Config) (*Engine, error) {
	if cfg.Name == "" {
		cfg.Name = "oauthsim"
	}
	if cfg.CodeTTL < 0 || cfg.AccessTTL < 0 || cfg.Refresh.TTL < 0 || cfg.Refresh.Absolute < 0 ||
		cfg.ClientCredentialsTTL < 0 || cfg.ImplicitTTL < 0 {
		return nil, errors.New("oauthsim: lifetimes must not be negative")
	}
	if cfg.CodeTTL == 0 {
		cfg.CodeTTL = time.Minute
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = time.Hour
	}
	switch cfg.PKCE {
	case PKCEOptional, PKCERequired, PKCEUnsupported:
	default:
		return nil, fmt.Errorf("oauthsim: unknown PKCE mode %d", cfg.PKCE)
	}
	switch cfg.Refresh.Mode {
	case RefreshNone, RefreshStatic, RefreshRotate:
	default:
		return nil, fmt.Errorf("oauthsim: unknown refresh mode %d", cfg.Refresh.Mode)
	}
	for _, m := range cfg.Wire.TokenMethods {
		if m != http.MethodGet && m != http.MethodPost {
			return nil, fmt.Errorf("oauthsim: token method %q is neither GET nor POST", m)
		}
	}
	if cfg.Wire.ClientAuth&^ClientAuthAny != 0 {
		return nil, fmt.Errorf("oauthsim: unknown client authentication set %d", cfg.Wire.ClientAuth)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.Issuer != "" && cfg.Wire.Fields.IDToken != "" {
		if _, err := signingKey(); err != nil {
			return nil, fmt.Errorf("oauthsim: generating the ID-token key: %w", err)
		}
	}
	e := &Engine{
		cfg:           cfg,
		now:           now,
		authorizePath: nameOr(cfg.Wire.AuthorizePath, defaultAuthorizePath),
		tokenPath:     nameOr(cfg.Wire.TokenPath, defaultTokenPath),
		revokePath:    nameOr(cfg.Wire.RevokePath, defaultRevokePath),
		userinfoPath:  nameOr(cfg.Wire.UserinfoPath, defaultUserinfoPath),
		clients:       map[string]*Client{},
		users:         map[string]*User{},
		byUsername:    map[string]*User{},
		codes:         map[string]*codeRec{},
		access:        map[string]*accessRec{},
		refresh:       map[string]*refreshRec{},
		families:      map[string]*family{},
	}
	e.faults = newFaults(e)
	e.handler = e.faults.Wrap(http.HandlerFunc(e.serve))
	for _, c := range cfg.Clients {
		if err := e.AddClient(c); err != nil {
			return nil, err
		}
	}
	for _, u := range cfg.Users {
		if err := e.AddUser(u); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// AddClient registers c. Its redirect URIs must be absolute URLs without a
// fragment.
func (e *Engine) AddClient(c Client) error {
	if c.ID == "" {
		return errors.New("oauthsim: client needs an ID")
	}
	for _, ru := range c.RedirectURIs {
		u, err := url.Parse(ru)
		if err != nil || u.Scheme == "" || u.Fragment != "" {
			return fmt.Errorf("oauthsim: client %s: redirect URI %q must be absolute and have no fragment", c.ID, ru)
		}
	}
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.Scopes = slices.Clone(c.Scopes)
	c.Audiences = slices.Clone(c.Audiences)
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.clients[c.ID]; dup {
		return fmt.Errorf("oauthsim: client %s registered twice", c.ID)
	}
	e.clients[c.ID] = &c
	return nil
}

// AddUser seeds u. ID and Username must be unique.
func (e *Engine) AddUser(u User) error {
	if u.ID == "" || u.Username == "" {
		return errors.New("oauthsim: user needs an ID and a username")
	}
	claims := make(map[string]any, len(u.Claims))
	for k, v := range u.Claims {
		claims[k] = v
	}
	u.Claims = claims
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.users[u.ID]; dup {
		return fmt.Errorf("oauthsim: user ID %s seeded twice", u.ID)
	}
	if _, dup := e.byUsername[u.Username]; dup {
		return fmt.Errorf("oauthsim: username %s seeded twice", u.Username)
	}
	e.users[u.ID] = &u
	e.byUsername[u.Username] = &u
	return nil
}

// SetAutoApprove makes the authorize endpoint skip the consent page and
// approve at once as the user with this username: the automated path for
// programs that have no browser (the quickstart). Empty turns it off.
func (e *Engine) SetAutoApprove(username string) {
	e.mu.Lock()
	e.autoApprove = username
	e.mu.Unlock()
}

// Now returns the engine's clock reading.
func (e *Engine) Now() time.Time { return e.now() }

// Faults returns the engine's fault injector. Faults set on it apply to the
// engine's endpoints and to every handler wrapped with Faults().Wrap.
func (e *Engine) Faults() *Faults { return e.faults }

// Endpoint returns the auth.Endpoint of an engine mounted at baseURL (the
// emulator's server URL), for configuring the SDK under test.
func (e *Engine) Endpoint(baseURL string) auth.Endpoint {
	base := strings.TrimSuffix(baseURL, "/")
	ep := auth.Endpoint{AuthURL: base + e.authorizePath, TokenURL: base + e.tokenPath}
	if e.revokePath != "" {
		ep.RevokeURL = base + e.revokePath
	}
	return ep
}

// UserinfoURL returns the userinfo URL of an engine mounted at baseURL;
// empty when the endpoint is off.
func (e *Engine) UserinfoURL(baseURL string) string {
	if e.userinfoPath == "" {
		return ""
	}
	return strings.TrimSuffix(baseURL, "/") + e.userinfoPath
}

// Handles reports whether path is one of the engine's endpoints, for
// emulators that route by hand (case-insensitively when the wire folds
// path case).
func (e *Engine) Handles(path string) bool { return e.route(path) != "" }

// Mount registers the engine's endpoints on mux. With Wire.FoldPathCase,
// route with Handles instead: ServeMux matches case-sensitively.
func (e *Engine) Mount(mux *http.ServeMux) {
	for _, p := range []string{e.authorizePath, e.tokenPath, e.revokePath, e.userinfoPath} {
		if p != "" {
			mux.Handle(p, e)
		}
	}
	if e.oidcOn() {
		mux.Handle(discoveryPath, e)
		mux.Handle(jwksPath, e)
	}
}

func (e *Engine) route(path string) Endpoint {
	eq := func(a, b string) bool {
		if b == "" {
			return false
		}
		if e.cfg.Wire.FoldPathCase {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	switch {
	case eq(path, e.authorizePath):
		return EndpointAuthorize
	case eq(path, e.tokenPath):
		return EndpointToken
	case eq(path, e.revokePath):
		return EndpointRevoke
	case eq(path, e.userinfoPath):
		return EndpointUserinfo
	case e.oidcOn() && path == discoveryPath:
		return endpointDiscovery
	case e.oidcOn() && path == jwksPath:
		return endpointJWKS
	}
	return ""
}

// ServeHTTP serves the engine's endpoints, after any fault injected for the
// request's path. Other paths get 404.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.handler.ServeHTTP(w, r)
}

func (e *Engine) serve(w http.ResponseWriter, r *http.Request) {
	switch e.route(r.URL.Path) {
	case EndpointAuthorize:
		e.serveAuthorize(w, r)
	case EndpointToken:
		e.serveToken(w, r)
	case EndpointRevoke:
		e.serveRevoke(w, r)
	case EndpointUserinfo:
		e.serveUserinfo(w, r)
	case endpointDiscovery:
		e.serveDiscovery(w, r)
	case endpointJWKS:
		e.serveJWKS(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (e *Engine) writeError(w http.ResponseWriter, r *http.Request, oe *Error) {
	ew := e.cfg.Wire.Errors
	if ew == nil {
		ew = JSONErrors
	}
	ew(w, r, oe)
}

// newSecret returns 32 random bytes, base64url: the form of every code and
// token the engine issues.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24: it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

func (e *Engine) accessExpiry(grantType string, issued time.Time) time.Time {
	if e.cfg.AccessExpiry != nil {
		return e.cfg.AccessExpiry(issued)
	}
	ttl := e.cfg.AccessTTL
	switch {
	case grantType == "client_credentials" && e.cfg.ClientCredentialsTTL > 0:
		ttl = e.cfg.ClientCredentialsTTL
	case grantType == "implicit" && e.cfg.ImplicitTTL > 0:
		ttl = e.cfg.ImplicitTTL
	}
	return issued.Add(ttl)
}

// IssueRequest asks Issue for tokens without a login, for emulator tests
// that need a valid token quickly.
type IssueRequest struct {
	// ClientID must be registered.
	ClientID string
	// UserID must be seeded; empty issues an application-only token.
	UserID string
	// Scopes are recorded on the grant as given.
	Scopes []string
	// Audience is recorded on the grant as given.
	Audience string
}

// Issued is what Issue minted.
type Issued struct {
	// AccessToken is the bearer token.
	AccessToken string
	// RefreshToken is set when the refresh policy issues one.
	RefreshToken string
	// Grant is what the access token stands for.
	Grant Grant
}

// Issue mints tokens as a successful login (or, with no user, a
// client-credentials grant) would, honouring the refresh policy.
func (e *Engine) Issue(req IssueRequest) (*Issued, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.clients[req.ClientID]
	if !ok {
		return nil, fmt.Errorf("oauthsim: unknown client %s", req.ClientID)
	}
	now := e.now()
	if req.UserID == "" {
		tok, g := e.mintAppOnlyLocked(c, req.Scopes, req.Audience, now)
		return &Issued{AccessToken: tok, Grant: *g}, nil
	}
	u, ok := e.users[req.UserID]
	if !ok {
		return nil, fmt.Errorf("oauthsim: unknown user %s", req.UserID)
	}
	set := e.mintUserLocked(c, u, "authorization_code", req.Scopes, req.Audience, "", now)
	return &Issued{AccessToken: set.access, RefreshToken: set.refresh, Grant: *set.grant}, nil
}

// Invalidate makes token (an access or refresh token) unusable at once, as
// if the broker had dropped the session: a refresh token takes its whole
// family and that family's access tokens with it. It reports whether the
// token was known.
func (e *Engine) Invalidate(token string) bool {
	defer e.notify()
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.access[token]; ok {
		e.revokeAccessLocked(token)
		return true
	}
	if rt, ok := e.refresh[token]; ok {
		e.revokeFamilyLocked(rt.familyID)
		return true
	}
	return false
}

// InvalidateUser revokes every token issued for the user with this ID, as
// a password change or a broker-side logout would.
func (e *Engine) InvalidateUser(userID string) {
	defer e.notify()
	e.mu.Lock()
	defer e.mu.Unlock()
	for tok, a := range e.access {
		if a.grant.UserID == userID {
			e.revokeAccessLocked(tok)
		}
	}
	for id, f := range e.families {
		if f.userID == userID {
			e.revokeFamilyLocked(id)
		}
	}
}

func (e *Engine) revokeFamilyLocked(id string) {
	f, ok := e.families[id]
	if !ok {
		return
	}
	f.revoked = true
	for _, at := range f.access {
		e.revokeAccessLocked(at)
	}
}

// revokeAccessLocked revokes one access token and queues it for
// OnInvalidate.
func (e *Engine) revokeAccessLocked(tok string) {
	a, ok := e.access[tok]
	if !ok || a.revoked {
		return
	}
	a.revoked = true
	if e.cfg.OnInvalidate != nil {
		e.invalidated = append(e.invalidated, tok)
	}
}

// notify hands the access tokens revoked so far to OnInvalidate. Call it
// without the lock.
func (e *Engine) notify() {
	if e.cfg.OnInvalidate == nil {
		return
	}
	e.mu.Lock()
	toks := e.invalidated
	e.invalidated = nil
	e.mu.Unlock()
	if len(toks) > 0 {
		e.cfg.OnInvalidate(toks)
	}
}

// Refresh runs the refresh_token grant outside HTTP, for brokers that also
// refresh over another channel (cTrader's ProtoOARefreshTokenReq). It
// shares rotation state with the token endpoint. The error is an *Error.
func (e *Engine) Refresh(clientID, refreshToken string) (*Issued, error) {
	defer e.notify()
	e.mu.Lock()
	c, ok := e.clients[clientID]
	e.mu.Unlock()
	if !ok {
		return nil, oauthErr(EndpointToken, http.StatusUnauthorized, "invalid_client", ReasonUnknownClient, "unknown client")
	}
	set, oe := e.refreshGrant(c, url.Values{"refresh_token": {refreshToken}}, false, e.now())
	if oe != nil {
		return nil, oe
	}
	return &Issued{AccessToken: set.access, RefreshToken: set.refresh, Grant: *set.grant}, nil
}

// missing returns the first of want that is not in have; ok is false when
// have holds them all.
func missing(have, want []string) (s string, ok bool) {
	for _, s := range want {
		if !slices.Contains(have, s) {
			return s, true
		}
	}
	return "", false
}

// allowed checks a request's scopes against Client.Scopes and its audience
// (the wire's audience parameter, else Config.DefaultAudience) against
// Client.Audiences, and returns the audience. Every grant that takes
// scopes and an audience from its request checks them here.
func (e *Engine) allowed(c *Client, scopes []string, v url.Values, ep Endpoint) (string, *Error) {
	if len(c.Scopes) > 0 {
		if s, ok := missing(c.Scopes, scopes); ok {
			return "", oauthErr(ep, http.StatusBadRequest, "invalid_scope", ReasonScope, "scope "+s+" is not allowed for this client")
		}
	}
	aud := v.Get(nameOr(e.cfg.Wire.AudienceParam, "audience"))
	if aud == "" {
		aud = e.cfg.DefaultAudience
	}
	if len(c.Audiences) > 0 && !slices.Contains(c.Audiences, aud) {
		return "", oauthErr(ep, http.StatusBadRequest, "invalid_request", ReasonBadRequest, "audience is not allowed for this client")
	}
	return aud, nil
}
