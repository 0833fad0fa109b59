package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
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
}

func newApp(key []byte, store auth.Store, brokers []*broker, log *slog.Logger, emulated bool) *app {
	a := &app{sessions: newSessions(key), store: store, brokers: brokers, byName: map[string]*broker{}, log: log, emulated: emulated}
	for _, b := range brokers {
		a.byName[b.name] = b
	}
	return a
}

// routes mounts the dashboard, one login and one logout path per broker,
// and each broker's own callback path.
func (a *app) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.dashboard)
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
	return mux, nil
}

// current returns the request's session, starting one (and setting its
// cookie) when there is none. A cookie this server did not sign is refused
// with 400 and deleted; it never selects a session.
func (a *app) current(w http.ResponseWriter, r *http.Request) (*session, bool) {
	s, err := a.sessions.lookup(r)
	if err != nil {
		clearCookie(w, r)
		http.Error(w, "Your session cookie is not valid and has been deleted. Reload the page to start over.", http.StatusBadRequest)
		return nil, false
	}
	if s == nil {
		if s, err = a.sessions.start(w, r); err != nil {
			http.Error(w, "cannot start a session", http.StatusInternalServerError)
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
	s, ok := a.current(w, r)
	if !ok {
		return
	}
	flow, err := auth.Begin(b.tokens.Provider())
	if err != nil {
		a.log.Error("begin login", "broker", b.name, "err", err)
		http.Error(w, "cannot start the login", http.StatusInternalServerError)
		return
	}
	s.putFlow(b.name, flow)
	http.Redirect(w, r, flow.URL, http.StatusFound)
}

// callback is the broker's redirect URI. auth.CallbackHandler completes the
// session's pending flow (error=, state in constant time, iss, deadline,
// single use, then the code exchange) and answers failures with a fixed
// page and the right status: a wrong or missing state is a 400 and links
// nothing.
func (a *app) callback(b *broker) http.Handler {
	return &auth.CallbackHandler{
		Provider: b.tokens.Provider(),
		Path:     b.callback,
		Flow: func(r *http.Request) (*auth.Flow, error) {
			s, err := a.sessions.lookup(r)
			if s == nil || err != nil {
				return nil, nil // no login of ours: answered as a state mismatch
			}
			return s.takeFlow(b.name), nil
		},
		OnToken: func(w http.ResponseWriter, r *http.Request, tok *auth.Token) {
			s, _ := a.sessions.lookup(r)
			if s == nil { // the session ended during the exchange
				auth.WriteCallbackError(w, auth.ErrStateMismatch)
				return
			}
			ctx := r.Context()
			if err := b.tokens.SetToken(ctx, s.id, tok); err != nil {
				a.log.Error("store token", "broker", b.name, "err", err)
				http.Error(w, "cannot store the token", http.StatusInternalServerError)
				return
			}
			if b.afterLogin != nil {
				if err := b.afterLogin(ctx, s.id); err != nil {
					a.log.Warn("after login", "broker", b.name, "err", err)
				}
			}
			http.Redirect(w, r, "/", http.StatusFound)
		},
		OnError: func(w http.ResponseWriter, r *http.Request, err error) {
			a.log.Info("callback refused", "broker", b.name, "err", err)
			auth.WriteCallbackError(w, err)
		},
	}
}

// logout revokes (where the broker can) and forgets the user's token.
// It is a POST: SameSite=Lax keeps other sites from sending it with the
// cookie.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	b := a.byName[r.PathValue("broker")]
	if b == nil {
		http.NotFound(w, r)
		return
	}
	s, ok := a.current(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	if err := b.tokens.Logout(ctx, s.id); err != nil {
		a.log.Warn("logout", "broker", b.name, "err", err) // the token is deleted all the same
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
