package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// cookieName is the session cookie. It holds a random session ID and its
// HMAC, nothing else: login flows and tokens stay on the server.
const cookieName = "brokerkit_session"

// sessionTTL is how long an idle session lives.
const sessionTTL = 12 * time.Hour

// errForgedCookie means a session cookie whose signature does not verify.
var errForgedCookie = errors.New("session cookie is not signed by this server")

// session is one browser's state. The session ID also names the user in
// the token store: this example has no accounts of its own, so each
// browser is a user. An app with its own users keys the store by its user
// ID instead, keeps the session ID to the cookie, and gives the browser a
// new session ID when the user signs in to the app (against session
// fixation).
type session struct {
	id string

	mu    sync.Mutex
	flows map[string]*auth.Flow // pending logins, by broker
	seen  time.Time
}

// putFlow keeps f until the broker's callback arrives; a newer login to
// the same broker replaces it.
func (s *session) putFlow(broker string, f *auth.Flow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flows[broker] = f
}

// takeFlow removes and returns the pending login to broker, so that a
// callback is served at most once.
func (s *session) takeFlow(broker string) *auth.Flow {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flows[broker]
	delete(s.flows, broker)
	return f
}

// sessions signs cookies and keeps sessions in memory.
type sessions struct {
	key []byte // HMAC-SHA256 key

	mu   sync.Mutex
	byID map[string]*session
}

func newSessions(key []byte) *sessions {
	return &sessions{key: key, byID: map[string]*session{}}
}

func (ss *sessions) sign(id string) string {
	m := hmac.New(sha256.New, ss.key)
	m.Write([]byte("session:" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify returns the session ID of a cookie value "id.signature".
func (ss *sessions) verify(value string) (string, error) {
	id, sig, ok := strings.Cut(value, ".")
	if !ok || id == "" || !hmac.Equal([]byte(sig), []byte(ss.sign(id))) {
		return "", errForgedCookie
	}
	return id, nil
}

// lookup returns the request's session, or nil when it has none (no
// cookie, or a signed cookie for a session that has ended). A cookie that
// is not signed by this server gives errForgedCookie.
func (ss *sessions) lookup(r *http.Request) (*session, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, nil
	}
	id, err := ss.verify(c.Value)
	if err != nil {
		return nil, err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s == nil || time.Since(s.seen) > sessionTTL {
		delete(ss.byID, id)
		return nil, nil
	}
	s.seen = time.Now()
	return s, nil
}

// start creates a session and sets its cookie: HttpOnly, so scripts cannot
// read it; SameSite=Lax, so other sites' forms do not carry it (the
// redirect back from a broker is a top-level GET, which still does);
// Secure when the request came over TLS.
func (ss *sessions) start(w http.ResponseWriter, r *http.Request) (*session, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	s := &session{id: base64.RawURLEncoding.EncodeToString(b), flows: map[string]*auth.Flow{}, seen: time.Now()}
	ss.mu.Lock()
	for id, old := range ss.byID {
		if time.Since(old.seen) > sessionTTL {
			delete(ss.byID, id)
		}
	}
	ss.byID[s.id] = s
	ss.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.id + "." + ss.sign(s.id), Path: "/",
		MaxAge: int(sessionTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
	return s, nil
}

// clear deletes the session cookie from the browser.
func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}
