package oauthsim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// maxBody caps every request body the engine reads.
const maxBody = 1 << 20

// readParams collects a request's parameters: the query for GET, the form
// or (when allowJSON) JSON object body for POST. A repeated parameter is an
// error, as RFC 6749 §3.2 requires.
func readParams(w http.ResponseWriter, r *http.Request, allowJSON bool) (url.Values, error) {
	var v url.Values
	if r.Method == http.MethodGet {
		var err error
		if v, err = url.ParseQuery(r.URL.RawQuery); err != nil {
			return nil, errors.New("the query does not parse")
		}
	} else {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			return nil, fmt.Errorf("the body is unreadable or larger than %d bytes", maxBody)
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case mt == "application/json" && allowJSON:
			var obj map[string]any
			if err := json.Unmarshal(body, &obj); err != nil {
				return nil, errors.New("the body is not a JSON object")
			}
			v = url.Values{}
			for k, x := range obj {
				switch x := x.(type) {
				case string:
					v.Set(k, x)
				case float64, bool:
					v.Set(k, fmt.Sprint(x))
				case nil:
				default:
					return nil, fmt.Errorf("parameter %s is not a string", k)
				}
			}
		case mt == "application/x-www-form-urlencoded" || (mt == "" && len(body) == 0):
			if v, err = url.ParseQuery(string(body)); err != nil {
				return nil, errors.New("the form body does not parse")
			}
		default:
			return nil, fmt.Errorf("content type %q is not accepted", mt)
		}
	}
	if p := paramProblem(v); p != "" {
		return nil, errors.New(p)
	}
	return v, nil
}

// authenticateClient finds and checks the calling client per the wire's
// accepted methods. allowNoSecret accepts a confidential client's bare
// client_id (TradeStation revocation). proved is false when a confidential
// client was let through without its secret (allowNoSecret or
// PKCEWithoutSecret): the grant must then be one that allows it.
func (e *Engine) authenticateClient(r *http.Request, v url.Values, ep Endpoint, allowNoSecret bool) (c *Client, proved bool, oe *Error) {
	methods := e.cfg.Wire.ClientAuth
	if methods == 0 {
		methods = ClientAuthAny
	}
	bad := func(reason Reason, desc string) (*Client, bool, *Error) {
		return nil, false, oauthErr(ep, http.StatusUnauthorized, "invalid_client", reason, desc)
	}
	basicID, basicSecret, hasBasic := r.BasicAuth()
	paramID, paramSecret := v.Get("client_id"), v.Get("client_secret")
	var id, secret string
	switch {
	case hasBasic && paramSecret != "":
		return nil, false, oauthErr(ep, http.StatusBadRequest, "invalid_request", ReasonBadRequest,
			"the client authenticated with more than one method")
	case hasBasic:
		if methods&ClientAuthBasic == 0 {
			return bad(ReasonBadClientSecret, "HTTP Basic client authentication is not accepted")
		}
		var err1, err2 error
		id, err1 = url.QueryUnescape(basicID)
		secret, err2 = url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return bad(ReasonBadClientSecret, "Basic credentials are not form-encoded")
		}
		if paramID != "" && paramID != id {
			return nil, false, oauthErr(ep, http.StatusBadRequest, "invalid_request", ReasonBadRequest,
				"client_id differs from the Basic credentials")
		}
	case paramSecret != "":
		if methods&ClientAuthParams == 0 {
			return bad(ReasonBadClientSecret, "client_secret in the parameters is not accepted")
		}
		id, secret = paramID, paramSecret
	default:
		id = paramID
	}
	if id == "" {
		return bad(ReasonUnknownClient, "client authentication is missing")
	}
	e.mu.Lock()
	c, ok := e.clients[id]
	e.mu.Unlock()
	if !ok {
		return bad(ReasonUnknownClient, "unknown client")
	}
	switch {
	case c.Secret == "" && secret != "":
		return bad(ReasonBadClientSecret, "a public client has no secret")
	case c.Secret != "" && secret == "" && !allowNoSecret && !c.PKCEWithoutSecret:
		return bad(ReasonBadClientSecret, "client secret is missing")
	case c.Secret != "" && secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1:
		return bad(ReasonBadClientSecret, "client secret is wrong")
	}
	return c, c.Secret == "" || secret != "", nil
}

func secretMissing() *Error {
	return oauthErr(EndpointToken, http.StatusUnauthorized, "invalid_client", ReasonBadClientSecret, "client secret is missing")
}

func (e *Engine) serveToken(w http.ResponseWriter, r *http.Request) {
	methods := e.cfg.Wire.TokenMethods
	if len(methods) == 0 {
		methods = []string{http.MethodPost}
	}
	if !slices.Contains(methods, r.Method) {
		w.Header().Set("Allow", strings.Join(methods, ", "))
		e.writeError(w, r, oauthErr(EndpointToken, http.StatusMethodNotAllowed, "invalid_request",
			ReasonMethodNotAllowed, "the token endpoint does not accept "+r.Method))
		return
	}
	v, err := readParams(w, r, e.cfg.Wire.TokenJSON)
	if err != nil {
		e.writeError(w, r, oauthErr(EndpointToken, http.StatusBadRequest, "invalid_request", ReasonBadRequest, err.Error()))
		return
	}
	defer e.notify()
	c, proved, oe := e.authenticateClient(r, v, EndpointToken, false)
	if oe != nil {
		e.writeError(w, r, oe)
		return
	}
	pkceOnly := !proved
	grantType := v.Get("grant_type")
	now := e.now()
	var set *tokenSet
	switch grantType {
	case "authorization_code":
		set, oe = e.exchangeCode(c, v, pkceOnly, now)
	case "refresh_token":
		set, oe = e.refreshGrant(c, v, pkceOnly, now)
	case "client_credentials":
		if oe = secretMissing(); !pkceOnly {
			set, oe = e.clientCredentials(c, v, now)
		}
	case "password":
		if oe = secretMissing(); !pkceOnly {
			set, oe = e.passwordGrant(c, v, now)
		}
	case "":
		oe = oauthErr(EndpointToken, http.StatusBadRequest, "invalid_request", ReasonBadRequest, "grant_type is missing")
	default:
		oe = unsupportedGrant(grantType)
	}
	if oe != nil {
		e.writeError(w, r, oe)
		return
	}
	writeJSON(w, http.StatusOK, e.tokenBody(grantType, set, now))
}

func unsupportedGrant(gt string) *Error {
	return oauthErr(EndpointToken, http.StatusBadRequest, "unsupported_grant_type", ReasonGrantUnsupported,
		"grant type "+gt+" is not supported")
}

func invalidGrant(reason Reason, desc string) *Error {
	return oauthErr(EndpointToken, http.StatusBadRequest, "invalid_grant", reason, desc)
}

// s256 is the RFC 7636 S256 transform.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validVerifier checks RFC 7636 §4.1: 43 to 128 unreserved characters.
func validVerifier(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' ||
			r == '-' || r == '.' || r == '_' || r == '~') {
			return false
		}
	}
	return true
}

// exchangeCode is the authorization_code grant. pkceOnly means the client
// did not show its secret: only a PKCE-bound code will do.
func (e *Engine) exchangeCode(c *Client, v url.Values, pkceOnly bool, now time.Time) (*tokenSet, *Error) {
	code := v.Get("code")
	if code == "" {
		return nil, oauthErr(EndpointToken, http.StatusBadRequest, "invalid_request", ReasonBadRequest, "code is missing")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, ok := e.codes[code]
	if !ok || rec.clientID != c.ID {
		// A code of another client is reported like an unknown one, so
		// that a client cannot probe for other clients' codes.
		return nil, invalidGrant(ReasonCodeUnknown, "authorization code is unknown")
	}
	if pkceOnly && (rec.challenge == "" || e.cfg.PKCE == PKCEUnsupported) {
		// Not consumed: the caller has not proved it is the client.
		return nil, secretMissing()
	}
	if rec.used {
		// RFC 6749 §4.1.2: a reused code should revoke what it issued.
		for _, at := range rec.issuedAccess {
			e.revokeAccessLocked(at)
		}
		e.revokeFamilyLocked(rec.familyID)
		return nil, invalidGrant(ReasonCodeUsed, "authorization code was already used")
	}
	rec.used = true
	if !now.Before(rec.expires) {
		return nil, invalidGrant(ReasonCodeExpired, "authorization code expired")
	}
	ru := v.Get("redirect_uri")
	if rec.redirectURI != "" && ru != rec.redirectURI {
		return nil, invalidGrant(ReasonRedirectMismatch, "redirect_uri differs from the authorization request")
	}
	if e.cfg.PKCE != PKCEUnsupported {
		verifier := v.Get("code_verifier")
		switch {
		case rec.challenge == "" && verifier != "":
			return nil, invalidGrant(ReasonVerifierMismatch, "code_verifier sent but the authorization request had no challenge")
		case rec.challenge != "" && verifier == "":
			return nil, invalidGrant(ReasonVerifierMismatch, "code_verifier is missing")
		case rec.challenge != "" && !validVerifier(verifier):
			return nil, invalidGrant(ReasonVerifierMismatch, "code_verifier is malformed")
		case rec.challenge != "" && subtle.ConstantTimeCompare([]byte(s256(verifier)), []byte(rec.challenge)) != 1:
			return nil, invalidGrant(ReasonVerifierMismatch, "code_verifier does not match the challenge")
		}
	}
	u, ok := e.users[rec.userID]
	if !ok {
		return nil, invalidGrant(ReasonCodeUnknown, "the user of this code no longer exists")
	}
	set := e.mintUserLocked(c, u, "authorization_code", rec.scopes, rec.audience, rec.nonce, now)
	rec.issuedAccess = append(rec.issuedAccess, set.access)
	if rt, ok := e.refresh[set.refresh]; ok {
		rec.familyID = rt.familyID
		e.families[rt.familyID].pkce = rec.challenge != ""
	}
	return set, nil
}

// refreshGrant is the refresh_token grant. pkceOnly means the client did
// not show its secret: only a login begun with PKCE may refresh so.
func (e *Engine) refreshGrant(c *Client, v url.Values, pkceOnly bool, now time.Time) (*tokenSet, *Error) {
	pol := e.cfg.Refresh
	if pol.Mode == RefreshNone {
		return nil, unsupportedGrant("refresh_token")
	}
	tok := v.Get("refresh_token")
	if tok == "" {
		return nil, oauthErr(EndpointToken, http.StatusBadRequest, "invalid_request", ReasonBadRequest, "refresh_token is missing")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, ok := e.refresh[tok]
	var f *family
	if ok {
		f = e.families[rec.familyID]
	}
	if !ok || f == nil || f.clientID != c.ID {
		return nil, invalidGrant(ReasonRefreshUnknown, "refresh token is unknown")
	}
	if pkceOnly && !f.pkce {
		return nil, secretMissing()
	}
	switch {
	case f.revoked:
		return nil, invalidGrant(ReasonRefreshRevoked, "refresh token was revoked")
	case rec.rotated:
		if pol.ReuseRevokesFamily {
			e.revokeFamilyLocked(f.id)
		}
		return nil, invalidGrant(ReasonRefreshReused, "refresh token was already used")
	case !rec.expires.IsZero() && !now.Before(rec.expires):
		return nil, invalidGrant(ReasonRefreshExpired, "refresh token expired")
	}
	scopes := f.scopes
	if s := v.Get("scope"); s != "" {
		scopes = strings.Fields(s)
		if sc, ok := missing(f.scopes, scopes); ok {
			return nil, oauthErr(EndpointToken, http.StatusBadRequest, "invalid_scope", ReasonScope,
				"scope "+sc+" was not granted to this refresh token")
		}
	}
	u, ok := e.users[f.userID]
	if !ok {
		return nil, invalidGrant(ReasonRefreshRevoked, "the user of this refresh token no longer exists")
	}
	g := &Grant{ClientID: c.ID, UserID: u.ID, Username: u.Username, Subject: u.ID, Scopes: slices.Clone(scopes),
		Audience: f.audience, GrantType: "refresh_token", IssuedAt: now,
		Expiry: e.accessExpiry("refresh_token", now)}
	if pol.RevokeOldAccess {
		for _, at := range f.access {
			e.revokeAccessLocked(at)
		}
	}
	set := &tokenSet{grant: g, access: e.newAccessLocked(g, f.id)}
	switch {
	case pol.Mode == RefreshRotate:
		rec.rotated = true
		set.refresh = e.newRefreshLocked(f, now)
	case pol.ReturnOnRefresh:
		set.refresh = tok
	}
	if e.cfg.Wire.Fields.IDToken != "" && slices.Contains(scopes, "openid") {
		set.idToken = e.idToken(c, u, g.Scopes, f.nonce, now, g.Expiry)
	}
	return set, nil
}

func (e *Engine) clientCredentials(c *Client, v url.Values, now time.Time) (*tokenSet, *Error) {
	if !e.cfg.ClientCredentials {
		return nil, unsupportedGrant("client_credentials")
	}
	if c.Secret == "" || c.NoClientCredentials {
		return nil, oauthErr(EndpointToken, http.StatusBadRequest, "unauthorized_client", ReasonGrantUnsupported,
			"this client may not use client_credentials")
	}
	scopes := strings.Fields(v.Get("scope"))
	aud, oe := e.allowed(c, scopes, v, EndpointToken)
	if oe != nil {
		return nil, oe
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	tok, g := e.mintAppOnlyLocked(c, scopes, aud, now)
	return &tokenSet{access: tok, grant: g}, nil
}

func (e *Engine) passwordGrant(c *Client, v url.Values, now time.Time) (*tokenSet, *Error) {
	if !e.cfg.Password {
		return nil, unsupportedGrant("password")
	}
	u := e.checkUser(v.Get("username"), v.Get("password"))
	if u == nil {
		return nil, invalidGrant(ReasonLoginFailed, "wrong username or password")
	}
	scopes := strings.Fields(v.Get("scope"))
	if len(scopes) == 0 {
		scopes = slices.Clone(e.cfg.DefaultScopes)
	}
	aud, oe := e.allowed(c, scopes, v, EndpointToken)
	if oe != nil {
		return nil, oe
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mintUserLocked(c, u, "password", scopes, aud, "", now), nil
}
