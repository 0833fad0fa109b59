package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// app is the web back end: sessions, the brokers and their handlers.
type app struct {
	sessions *sessions
	store    auth.Store // every broker's tokens
	brokers  []*broker
	byName   map[string]*broker
	log      *slog.Logger
	emulated bool
	secure   bool // Secure cookies and HSTS: served over TLS, directly or behind a proxy
}

func newApp(key []byte, store auth.Store, brokers []*broker, log *slog.Logger, emulated, secure bool) *app {
	a := &app{sessions: newSessions(key), store: store, brokers: brokers, byName: map[string]*broker{},
		log: log, emulated: emulated, secure: secure}
	a.sessions.secure = secure
	a.sessions.ended = a.forget
	for _, b := range brokers {
		a.byName[b.name] = b
	}
	return a
}

// forget drops the tokens of a user whose session has ended: nobody can
// reach them any more (each browser is a user here).
func (a *app) forget(user string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, b := range a.brokers {
		b.tokens.Forget(user)
		if err := a.store.Delete(ctx, auth.Key(b.name, user)); err != nil {
			a.log.Warn("drop token of ended session", "broker", b.name, "err", err)
		}
	}
}

// routes mounts the dashboard, one login and one logout path per broker,
// and each broker's own callback path. Every answer carries the security
// headers, and a state-changing request from another origin is refused
// before it reaches a handler (http.CrossOriginProtection: Sec-Fetch-Site,
// else Origin against Host).
func (a *app) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.dashboard)
	mux.HandleFunc("GET /style.css", serveStyle)
	mux.HandleFunc("GET /login/{broker}", a.login)
	mux.HandleFunc("POST /logout/{broker}", a.logout)
	seen := map[string]string{}
	for _, b := range a.brokers {
		if other, ok := seen[b.callback]; ok {
			return nil, fmt.Errorf("brokers %s and %s share the callback path %s: give each broker its own redirect URL",
				other, b.name, b.callback)
		}
		seen[b.callback] = b.name
		mux.Handle("GET "+b.callback, a.callback(b))
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path)
		a.message(w, http.StatusForbidden, "Request refused",
			"This request was sent by another site, so nothing was changed. Use the buttons on your dashboard.")
	}))
	return a.headers(cop.Handler(mux)), nil
}

// contentPolicy lets pages load only this app's style sheet, post forms
// only to this app, and be framed by nobody.
const contentPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers sets the security headers on every answer. Referrer-Policy
// same-origin keeps this app's URLs out of other sites' logs and still
// lets browsers send Origin on this app's own forms.
func (a *app) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if a.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// session returns the request's session; with create, it starts one (and
// sets its cookie) when there is none. A cookie this server did not sign
// is refused with 400 and deleted; it never selects a session.
func (a *app) session(w http.ResponseWriter, r *http.Request, create bool) (*session, bool) {
	s, err := a.sessions.lookup(r)
	if err != nil {
		a.sessions.clearCookie(w, r)
		a.message(w, http.StatusBadRequest, "Session not valid",
			"Your session cookie is not valid and has been deleted. Reload the page to start over.")
		return nil, false
	}
	if s == nil && create {
		if s, err = a.sessions.start(w, r); err != nil {
			a.log.Error("start session", "err", err)
			a.message(w, http.StatusInternalServerError, "Something went wrong", "A session could not be started. Try again.")
			return nil, false
		}
	}
	return s, true
}

// login begins a flow with the broker, keeps it in the session (on the
// server: it holds the PKCE verifier) and sends the browser to the broker.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	b := a.byName[r.PathValue("broker")]
	if b == nil {
		http.NotFound(w, r)
		return
	}
	s, ok := a.session(w, r, true)
	if !ok {
		return
	}
	flow, err := auth.Begin(b.tokens.Provider())
	if err != nil {
		a.log.Error("begin login", "broker", b.name, "err", err)
		a.message(w, http.StatusInternalServerError, "Login not started",
			"The login with "+b.name+" could not be started. Try again in a few minutes.")
		return
	}
	s.putFlow(b.name, flow, time.Now())
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, flow.URL, http.StatusFound)
}

// callback is the broker's redirect URI. auth.CallbackHandler completes the
// session's pending flow (error=, state in constant time, iss, deadline,
// single use, then the code exchange) and answers failures with a fixed
// page and the right status. The flow is taken from the session only when
// the callback's state is that flow's: a wrong or missing state is a 400
// that links nothing and spends nothing.
func (a *app) callback(b *broker) http.Handler {
	return &auth.CallbackHandler{
		Provider: b.tokens.Provider(),
		Path:     b.callback,
		Flow: func(r *http.Request) (*auth.Flow, error) {
			s, err := a.sessions.lookup(r)
			if s == nil || err != nil {
				return nil, nil // no login of ours: answered as a state mismatch
			}
			q, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil || len(q["state"]) != 1 {
				return nil, nil
			}
			return s.takeFlow(b.name, q.Get("state")), nil
		},
		OnToken: func(w http.ResponseWriter, r *http.Request, tok *auth.Token) {
			s, _ := a.sessions.lookup(r)
			if s == nil { // the session ended during the exchange
				a.callbackFailed(w, r, b, auth.ErrStateMismatch)
				return
			}
			ctx := r.Context()
			if err := b.tokens.SetToken(ctx, s.user, tok); err != nil {
				a.log.Error("store token", "broker", b.name, "err", err)
				a.message(w, http.StatusInternalServerError, "Login not completed",
					"Your "+b.name+" login could not be saved. Try again in a few minutes.")
				return
			}
			if err := b.afterLogin(ctx, s.user); err != nil {
				a.log.Warn("after login", "broker", b.name, "err", err)
			}
			// A new session ID now that the session holds a broker: a
			// cookie planted before the login no longer reaches it.
			if _, err := a.sessions.rotate(w, r, s); err != nil {
				a.log.Error("rotate session", "err", err)
				a.message(w, http.StatusInternalServerError, "Something went wrong", "Your session could not be renewed. Try again.")
				return
			}
			http.Redirect(w, r, "/", http.StatusFound)
		},
		OnError: func(w http.ResponseWriter, r *http.Request, err error) { a.callbackFailed(w, r, b, err) },
	}
}

// callbackFailed logs why a callback failed and tells the user in words,
// with a way back.
func (a *app) callbackFailed(w http.ResponseWriter, _ *http.Request, b *broker, err error) {
	a.log.Info("callback refused", "broker", b.name, "err", err)
	status := auth.CallbackStatus(err)
	var msg string
	switch {
	case status == http.StatusForbidden:
		msg = "You declined the request at " + b.name + ", so nothing was linked. You can link it at any time from your dashboard."
	case errors.Is(err, auth.ErrFlowUsed):
		msg = "This login has already been completed."
	case errors.Is(err, auth.ErrFlowExpired):
		msg = "This login took too long. Start it again from your dashboard."
	case errors.Is(err, auth.ErrStateMismatch):
		msg = "This answer does not belong to a login in progress in this browser, so it was ignored. " +
			"Start the login from your dashboard."
	case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		msg = b.name + " did not complete the login. Try again in a few minutes."
	case status == http.StatusBadRequest:
		msg = "The answer from " + b.name + " was incomplete or malformed. Start the login again from your dashboard."
	default:
		msg = "The login with " + b.name + " could not be completed. Try again in a few minutes."
	}
	a.message(w, status, "Login not completed", msg)
}

// logout revokes (where the broker can) and forgets the user's token. It
// is a POST that must carry the session's CSRF token, from the dashboard's
// form; the cross-origin check in routes refuses it from other sites even
// before that. SameSite=Lax alone would not do: another port of the same
// host, or a sibling subdomain, is the same site.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	b := a.byName[r.PathValue("broker")]
	if b == nil {
		http.NotFound(w, r)
		return
	}
	s, ok := a.session(w, r, false)
	if !ok {
		return
	}
	if s == nil {
		a.message(w, http.StatusForbidden, "Logout refused",
			"Your session has ended, so there is nothing to log out of here.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if r.ParseForm() != nil || !s.checkCSRF(r.PostForm.Get("csrf")) {
		a.log.Warn("logout without a valid CSRF token refused", "broker", b.name)
		a.message(w, http.StatusForbidden, "Logout refused",
			"This logout did not come from your dashboard in this browser, so nothing was changed.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	if err := b.tokens.Logout(ctx, s.user); err != nil {
		a.log.Warn("logout", "broker", b.name, "err", err) // the token is deleted all the same
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// message answers with a short page that says what happened and links
// back to the dashboard.
func (a *app) message(w http.ResponseWriter, status int, title, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := messagePage.Execute(w, struct{ Title, Message string }{title, msg}); err != nil {
		a.log.Error("render message", "err", err)
	}
}

var messagePage = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<h1>{{.Title}}</h1>
<p id="message">{{.Message}}</p>
<p><a href="/" id="back">Back to your brokers</a></p>
</body>
</html>
`))
