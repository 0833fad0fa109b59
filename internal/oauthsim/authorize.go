package oauthsim

import (
	"crypto/subtle"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/internal/origin"
)

// maxParam bounds every authorization parameter; genuine ones are far
// shorter.
const maxParam = 2048

// authzRequest is a checked authorization request.
type authzRequest struct {
	client       *Client
	redirectURI  string // where to send the answer
	redirectSent string // as the request spelled it; "" when omitted
	responseType string // "code" or "token"
	state        string
	scopes       []string
	audience     string
	challenge    string
	nonce        string
}

// matchRedirect reports whether requested matches registered: exactly, or
// for a loopback http URI in any port (RFC 8252 §7.3).
func matchRedirect(registered, requested string, exactLoopbackPort bool) bool {
	if registered == requested {
		return true
	}
	if exactLoopbackPort {
		return false
	}
	ru, err1 := url.Parse(registered)
	qu, err2 := url.Parse(requested)
	if err1 != nil || err2 != nil || ru.Scheme != "http" || qu.Scheme != "http" {
		return false
	}
	if !origin.IsLoopback(ru.Hostname()) || !origin.EqualHost(ru.Hostname(), qu.Hostname()) {
		return false
	}
	if qu.User != nil || qu.Fragment != "" || qu.Opaque != "" || ru.Opaque != "" {
		return false
	}
	if p := qu.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return false
		}
	}
	rp, qp := ru.EscapedPath(), qu.EscapedPath()
	if rp == "" {
		rp = "/"
	}
	if qp == "" {
		qp = "/"
	}
	return rp == qp && ru.RawQuery == qu.RawQuery
}

// paramProblem describes the first parameter of v that is repeated (RFC
// 6749 §3.1, §3.2) or longer than maxParam; "" when there is none.
func paramProblem(v url.Values) string {
	for k, vals := range v {
		if len(vals) > 1 {
			return "parameter " + k + " is repeated"
		}
		if len(vals) == 1 && len(vals[0]) > maxParam {
			return "parameter " + k + " is too long"
		}
	}
	return ""
}

// checkAuthorize validates an authorization request. An error with a nil
// request must be shown to the user (no trustworthy redirect URI); an error
// with a request goes back to its redirect URI.
func (e *Engine) checkAuthorize(q url.Values) (*authzRequest, *Error) {
	page := func(reason Reason, code, desc string) (*authzRequest, *Error) {
		return nil, oauthErr(EndpointAuthorize, http.StatusBadRequest, code, reason, desc)
	}
	if p := paramProblem(q); p != "" {
		return page(ReasonBadRequest, "invalid_request", p)
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		return page(ReasonBadRequest, "invalid_request", "client_id is missing")
	}
	e.mu.Lock()
	c, ok := e.clients[clientID]
	e.mu.Unlock()
	if !ok {
		return page(ReasonUnknownClient, "invalid_client", "unknown client_id")
	}
	ar := &authzRequest{client: c, redirectSent: q.Get("redirect_uri"), state: q.Get("state"), nonce: q.Get("nonce")}
	switch {
	case ar.redirectSent != "":
		for _, reg := range c.RedirectURIs {
			if matchRedirect(reg, ar.redirectSent, e.cfg.ExactLoopbackPort) {
				ar.redirectURI = ar.redirectSent
				break
			}
		}
		if ar.redirectURI == "" {
			return page(ReasonRedirectMismatch, "invalid_request", "redirect_uri is not registered for this client")
		}
	case len(c.RedirectURIs) == 1:
		ar.redirectURI = c.RedirectURIs[0]
	default:
		return page(ReasonBadRequest, "invalid_request", "redirect_uri is missing")
	}

	back := func(reason Reason, code, desc string) (*authzRequest, *Error) {
		return ar, oauthErr(EndpointAuthorize, http.StatusBadRequest, code, reason, desc)
	}
	rt := q.Get("response_type")
	switch {
	case rt == "" && e.cfg.Wire.RequireResponseType:
		return back(ReasonResponseTypeInvalid, "invalid_request", "response_type is missing")
	case rt == "" || rt == "code":
		ar.responseType = "code"
	case rt == "token" && e.cfg.Implicit:
		ar.responseType = "token"
	default:
		return back(ReasonResponseTypeInvalid, "unsupported_response_type", "response_type must be code")
	}
	for _, p := range e.cfg.Wire.RequireAuthorizeParams {
		if q.Get(p) == "" {
			return back(ReasonBadRequest, "invalid_request", p+" is required")
		}
	}

	ar.scopes = strings.Fields(q.Get("scope"))
	if len(ar.scopes) == 0 {
		ar.scopes = slices.Clone(e.cfg.DefaultScopes)
	}
	if s, ok := missing(ar.scopes, e.cfg.RequiredScopes); ok {
		return back(ReasonScope, "invalid_scope", "scope must include "+s)
	}
	var oe *Error
	if ar.audience, oe = e.allowed(c, ar.scopes, q, EndpointAuthorize); oe != nil {
		return ar, oe
	}

	if e.cfg.PKCE != PKCEUnsupported {
		ch, method := q.Get("code_challenge"), q.Get("code_challenge_method")
		switch {
		case ch == "" && method != "":
			return back(ReasonBadRequest, "invalid_request", "code_challenge_method without code_challenge")
		case ch == "" && e.cfg.PKCE == PKCERequired:
			return back(ReasonBadRequest, "invalid_request", "code_challenge is required (S256)")
		case ch != "" && method != "S256":
			return back(ReasonBadRequest, "invalid_request", "code_challenge_method must be S256")
		case ch != "" && !validChallenge(ch):
			return back(ReasonBadRequest, "invalid_request", "code_challenge is not a base64url SHA-256 value")
		}
		ar.challenge = ch
		if ar.responseType == "token" && ch != "" {
			return back(ReasonBadRequest, "invalid_request", "PKCE does not apply to response_type=token")
		}
	}
	return ar, nil
}

// validChallenge accepts the 43-character base64url encoding of 32 bytes.
func validChallenge(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (e *Engine) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		e.writeError(w, r, oauthErr(EndpointAuthorize, http.StatusMethodNotAllowed, "invalid_request",
			ReasonMethodNotAllowed, "authorize takes GET (and POST from the consent page)"))
		return
	}
	q := r.URL.Query()
	ar, oe := e.checkAuthorize(q)
	if oe != nil {
		if ar == nil {
			e.writeError(w, r, oe)
			return
		}
		e.redirectError(w, r, ar, oe)
		return
	}
	e.mu.Lock()
	auto := e.byUsername[e.autoApprove]
	e.mu.Unlock()

	signup := e.cfg.Signup != nil && (q.Get("enableRegistration") == "true" && q.Get("page") == "signup" ||
		q.Get("screen_hint") == "signup")
	if r.Method == http.MethodGet {
		if auto != nil && !signup {
			e.approve(w, r, ar, auto)
			return
		}
		if signup {
			e.signupPage(w, r, ar, http.StatusOK, "")
			return
		}
		e.consentPage(w, r, ar, http.StatusOK, "")
		return
	}

	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil || paramProblem(r.PostForm) != "" {
		e.consentPage(w, r, ar, http.StatusBadRequest, "The form could not be read.")
		return
	}
	decision := r.PostForm.Get("decision")
	if signup && decision == "signup" {
		e.register(w, r, ar)
		return
	}
	if decision == "deny" {
		e.redirectError(w, r, ar, oauthErr(EndpointAuthorize, http.StatusBadRequest, "access_denied",
			ReasonDenied, "the user declined the request"))
		return
	}
	if decision != "approve" {
		e.consentPage(w, r, ar, http.StatusBadRequest, "Choose Allow or Deny.")
		return
	}
	u := e.checkUser(r.PostForm.Get("username"), r.PostForm.Get("password"))
	if u == nil {
		e.consentPage(w, r, ar, http.StatusUnauthorized, "Authorization failed: wrong username or password.")
		return
	}
	e.approve(w, r, ar, u)
}

// checkUser returns the user whose credentials these are, or nil.
func (e *Engine) checkUser(username, password string) *User {
	e.mu.Lock()
	u, ok := e.byUsername[username]
	e.mu.Unlock()
	if !ok || password == "" {
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(password), []byte(u.Password)) != 1 {
		return nil
	}
	return u
}

// approve answers a consented request: a code in the query, or for the
// implicit grant an access token in the fragment.
func (e *Engine) approve(w http.ResponseWriter, r *http.Request, ar *authzRequest, u *User) {
	now := e.now()
	params := url.Values{}
	if ar.responseType == "token" {
		e.mu.Lock()
		set := e.mintUserLocked(ar.client, u, "implicit", ar.scopes, ar.audience, ar.nonce, now)
		e.mu.Unlock()
		for k, v := range e.tokenBody("implicit", set, now) {
			if v == nil {
				continue
			}
			params.Set(k, fmt.Sprint(v))
		}
		e.addStateAndIssuer(params, ar)
		http.Redirect(w, r, withFragment(ar.redirectURI, params), http.StatusFound)
		return
	}
	code := newSecret()
	e.mu.Lock()
	e.sweepCodesLocked(now)
	e.codes[code] = &codeRec{clientID: ar.client.ID, userID: u.ID, redirectURI: ar.redirectSent,
		challenge: ar.challenge, scopes: ar.scopes, audience: ar.audience, nonce: ar.nonce,
		expires: now.Add(e.cfg.CodeTTL)}
	e.mu.Unlock()
	params.Set(nameOr(e.cfg.Wire.CodeParam, "code"), code)
	e.addStateAndIssuer(params, ar)
	http.Redirect(w, r, withQuery(ar.redirectURI, params), http.StatusFound)
}

// addStateAndIssuer echoes state and adds iss, as the wire says.
func (e *Engine) addStateAndIssuer(params url.Values, ar *authzRequest) {
	if ar.state != "" && !e.cfg.Wire.OmitState {
		params.Set("state", ar.state)
	}
	if e.cfg.Wire.SendIssuer && e.cfg.Issuer != "" {
		params.Set("iss", e.cfg.Issuer)
	}
}

// sweepCodesLocked forgets expired codes once there are many, so that a
// long-running emulator does not grow without bound. Used codes are kept
// until they expire, so that a replay is still recognised as one.
func (e *Engine) sweepCodesLocked(now time.Time) {
	if len(e.codes) < maxCodes {
		return
	}
	for c, rec := range e.codes {
		if !now.Before(rec.expires) {
			delete(e.codes, c)
		}
	}
}

// maxCodes is the number of stored codes that triggers a sweep.
const maxCodes = 1024

// redirectError sends an error back to the client's redirect URI.
func (e *Engine) redirectError(w http.ResponseWriter, r *http.Request, ar *authzRequest, oe *Error) {
	params := url.Values{"error": {oe.Code}, "error_description": {oe.Description}}
	e.addStateAndIssuer(params, ar)
	if ar.responseType == "token" {
		http.Redirect(w, r, withFragment(ar.redirectURI, params), http.StatusFound)
		return
	}
	http.Redirect(w, r, withQuery(ar.redirectURI, params), http.StatusFound)
}

// withQuery adds params to u's query, keeping what the registered URI
// already had.
func withQuery(u string, params url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + params.Encode()
}

func withFragment(u string, params url.Values) string { return u + "#" + params.Encode() }

var consentTmpl = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to {{.Server}}</title></head>
<body>
<h1>Sign in to {{.Server}}</h1>
<p>The application <strong>{{.Client}}</strong> asks for access to your account{{if .Scopes}} with the scopes <code>{{.Scopes}}</code>{{end}}.</p>
{{if .Message}}<p role="alert">{{.Message}}</p>{{end}}
<form method="post" action="{{.Action}}" id="oauthsim-consent">
<p><label>Username <input name="username" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>
<p><button name="decision" value="approve" type="submit">Allow</button>
<button name="decision" value="deny" type="submit">Deny</button></p>
</form>
</body></html>
`))

// consentPage renders the login-and-consent form. It posts back to the
// same URL, so the authorization request is checked again on submit.
func (e *Engine) consentPage(w http.ResponseWriter, r *http.Request, ar *authzRequest, status int, msg string) {
	data := struct {
		Server, Client, Scopes, Message, Action string
	}{e.cfg.Name, ar.client.ID, strings.Join(ar.scopes, " "), msg, r.URL.RequestURI()}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = consentTmpl.Execute(w, data)
}
