package oauthsim

import (
	"math"
	"slices"
	"strings"
	"time"
)

// tokenSet is one token-endpoint (or implicit) answer before encoding.
type tokenSet struct {
	access  string
	refresh string // returned in the answer when non-empty
	idToken string
	grant   *Grant
}

func (e *Engine) issuesRefresh(c *Client, scopes []string) bool {
	p := e.cfg.Refresh
	if p.Mode == RefreshNone || c.NoRefresh {
		return false
	}
	return p.RequireScope == "" || slices.Contains(scopes, p.RequireScope)
}

// newAccessLocked records an access token for g and returns it.
func (e *Engine) newAccessLocked(g *Grant, familyID string) string {
	tok := newSecret()
	e.access[tok] = &accessRec{grant: *g.clone(), familyID: familyID}
	if f, ok := e.families[familyID]; ok {
		f.access = append(f.access, tok)
	}
	return tok
}

func (e *Engine) newRefreshLocked(f *family, now time.Time) string {
	rt := newSecret()
	rec := &refreshRec{familyID: f.id}
	if ttl := e.cfg.Refresh.TTL; ttl > 0 {
		rec.expires = now.Add(ttl)
	}
	if !f.deadline.IsZero() && (rec.expires.IsZero() || f.deadline.Before(rec.expires)) {
		rec.expires = f.deadline
	}
	e.refresh[rt] = rec
	f.refresh = append(f.refresh, rt)
	return rt
}

// mintUserLocked issues the tokens of a user login: an access token and,
// when the policy says so, a new refresh-token family.
func (e *Engine) mintUserLocked(c *Client, u *User, grantType string, scopes []string, audience, nonce string, now time.Time) *tokenSet {
	g := &Grant{ClientID: c.ID, UserID: u.ID, Username: u.Username, Subject: u.ID,
		Scopes: slices.Clone(scopes), Audience: audience, GrantType: grantType,
		IssuedAt: now, Expiry: e.accessExpiry(grantType, now)}
	set := &tokenSet{grant: g}
	var f *family
	if grantType != "implicit" && e.issuesRefresh(c, scopes) {
		f = &family{id: newSecret(), clientID: c.ID, userID: u.ID, scopes: slices.Clone(scopes),
			audience: audience, nonce: nonce}
		if abs := e.cfg.Refresh.Absolute; abs > 0 {
			f.deadline = now.Add(abs)
		}
		e.families[f.id] = f
		set.refresh = e.newRefreshLocked(f, now)
	}
	fid := ""
	if f != nil {
		fid = f.id
	}
	set.access = e.newAccessLocked(g, fid)
	if e.cfg.Wire.Fields.IDToken != "" && slices.Contains(scopes, "openid") {
		set.idToken = e.idToken(c, u, scopes, nonce, now, g.Expiry)
	}
	return set
}

func (e *Engine) mintAppOnlyLocked(c *Client, scopes []string, audience string, now time.Time) (string, *Grant) {
	sub := e.cfg.AppOnlySubject
	if sub == "" {
		sub = c.ID
	}
	if audience == "" {
		audience = e.cfg.DefaultAudience
	}
	g := &Grant{ClientID: c.ID, Subject: sub, Scopes: slices.Clone(scopes), Audience: audience,
		AppOnly: true, GrantType: "client_credentials", IssuedAt: now,
		Expiry: e.accessExpiry("client_credentials", now)}
	return e.newAccessLocked(g, ""), g
}

// tokenBody builds a token answer in the wire's field names.
func (e *Engine) tokenBody(grantType string, set *tokenSet, now time.Time) map[string]any {
	f := e.cfg.Wire.Fields
	body := map[string]any{}
	put := func(name, def string, v any) {
		if n := nameOr(name, def); n != "" {
			body[n] = v
		}
	}
	put(f.AccessToken, "access_token", set.access)
	typ := f.TokenTypeValue
	if typ == "" {
		typ = "Bearer"
	}
	put(f.TokenType, "token_type", typ)
	put(f.ExpiresIn, "expires_in", expiresIn(set.grant.Expiry, now))
	if set.refresh != "" {
		put(f.RefreshToken, "refresh_token", set.refresh)
	}
	if len(set.grant.Scopes) > 0 {
		put(f.Scope, "scope", strings.Join(set.grant.Scopes, " "))
	}
	if f.Subject != "" {
		body[f.Subject] = set.grant.Subject
	}
	if f.IDToken != "" && set.idToken != "" {
		body[f.IDToken] = set.idToken
	}
	if f.Shape != nil {
		f.Shape(grantType, set.grant.clone(), body)
	}
	return body
}

// expiresIn is the whole seconds from now to exp, rounded up, at least 0.
func expiresIn(exp, now time.Time) int64 {
	d := exp.Sub(now)
	if d <= 0 {
		return 0
	}
	return int64(math.Ceil(d.Seconds()))
}
