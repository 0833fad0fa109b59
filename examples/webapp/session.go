package main

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// cookieName is the session cookie. It holds a random session ID and its
// HMAC, nothing else: login flows and tokens stay on the server. With
// Secure cookies it is sent as "__Host-" + cookieName, a name browsers
// accept only from a secure origin, for the whole host, with no Domain: a
// sibling subdomain cannot plant it.
const cookieName = "brokerkit_session"

const (
	// sessionTTL is how long an idle session with a linked broker lives.
	sessionTTL = 12 * time.Hour
	// pendingTTL is how long an idle session without one lives: long
	// enough for a login at the broker.
	pendingTTL = 30 * time.Minute
	// maxPending and maxLinked cap the sessions kept in memory. When
	// either kind is full, the least recently seen session of that kind
	// ends, so a flood of new visitors never pushes out linked users.
	maxPending = 50_000
	maxLinked  = 50_000
	// maxFlows is how many logins to one broker a session keeps pending;
	// a further one drops the oldest.
	maxFlows = 4
)

// errForgedCookie means a session cookie whose signature does not verify.
var errForgedCookie = errors.New("session cookie is not signed by this server")

// session is one browser's state. Its fields other than flows never
// change: linking a broker replaces the whole session (see rotate).
//
// This example has no accounts of its own, so each browser is a user:
// user keys the token store. It is random, is never sent to the browser,
// and survives the rotation of the session ID. An app with its own users
// keys the store by its user ID instead.
type session struct {
	id   string // in the cookie
	user string // keys the token store
	csrf string // the token the session's forms carry

	mu    sync.Mutex
	flows map[string][]*auth.Flow // pending logins, by broker, oldest first

	// Guarded by sessions.mu.
	linked bool
	seen   time.Time
	elem   *list.Element
}

// putFlow keeps f until the broker's callback arrives. Logins to the same
// broker stay side by side, so that a second login (another tab, or a
// link on another site) cannot replace the one the user is completing.
func (s *session) putFlow(broker string, f *auth.Flow, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.flows[broker]
	kept := fs[:0]
	for _, old := range fs {
		if now.Before(old.Expires) {
			kept = append(kept, old)
		}
	}
	if len(kept) >= maxFlows {
		kept = kept[len(kept)-maxFlows+1:]
	}
	s.flows[broker] = append(kept, f)
}

// takeFlow removes and returns the pending login to broker whose state is
// state (compared in constant time), so that a callback is served at most
// once. A callback whose state matches no pending login gets nil and
// leaves every login in place: a forged callback, error= or not, cannot
// spend the real one.
func (s *session) takeFlow(broker, state string) *auth.Flow {
	if state == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.flows[broker]
	for i, f := range fs {
		if subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) == 1 {
			s.flows[broker] = append(fs[:i:i], fs[i+1:]...)
			return f
		}
	}
	return nil
}

// sessions signs cookies and keeps sessions in memory, each kind (pending,
// linked) in a list from least to most recently seen: expiring and
// evicting take the front, so starting a session costs O(1).
type sessions struct {
	key []byte // HMAC-SHA256 key
	// secure marks every cookie Secure (and names it __Host-), for a
	// server behind a proxy that terminates TLS. Without it a cookie is
	// Secure when its request came over TLS.
	secure bool
	// ended, when set, is called (outside the lock) with the user of
	// each linked session that expires or is evicted, to drop its tokens.
	ended func(user string)
	now   func() time.Time

	mu      sync.Mutex
	byID    map[string]*session
	users   map[string]int // sessions per user: two callbacks may rotate one session twice
	pending *list.List
	linked  *list.List
}

func newSessions(key []byte) *sessions {
	return &sessions{key: key, now: time.Now, byID: map[string]*session{}, users: map[string]int{},
		pending: list.New(), linked: list.New()}
}

// name is the cookie's name.
func (ss *sessions) name() string {
	if ss.secure {
		return "__Host-" + cookieName
	}
	return cookieName
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

// ttl is how long s lives idle. The caller holds ss.mu.
func (s *session) ttl() time.Duration {
	if s.linked {
		return sessionTTL
	}
	return pendingTTL
}

// lookup returns the request's session, or nil when it has none (no
// cookie, or a signed cookie for a session that has ended). A cookie that
// is not signed by this server gives errForgedCookie.
func (ss *sessions) lookup(r *http.Request) (*session, error) {
	c, err := r.Cookie(ss.name())
	if err != nil {
		return nil, nil
	}
	id, err := ss.verify(c.Value)
	if err != nil {
		return nil, err
	}
	var ended []string
	defer func() { ss.end(ended) }()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s == nil {
		return nil, nil
	}
	now := ss.now()
	if now.Sub(s.seen) > s.ttl() {
		ended = ss.removeLocked(s, ended)
		return nil, nil
	}
	s.seen = now
	ss.listOf(s).MoveToBack(s.elem)
	return s, nil
}

// listOf is the list s is kept in. The caller holds ss.mu.
func (ss *sessions) listOf(s *session) *list.List {
	if s.linked {
		return ss.linked
	}
	return ss.pending
}

// removeLocked forgets s and adds its user to ended when it had a linked
// broker and was the user's last session. The caller holds ss.mu.
func (ss *sessions) removeLocked(s *session, ended []string) []string {
	delete(ss.byID, s.id)
	ss.listOf(s).Remove(s.elem)
	if ss.users[s.user]--; ss.users[s.user] > 0 {
		return ended
	}
	delete(ss.users, s.user)
	if s.linked {
		ended = append(ended, s.user)
	}
	return ended
}

// makeRoomLocked drops the expired sessions at the front of l, then the
// least recently seen one while l holds max or more. Each session is
// dropped once, so this is O(1) per added session over time. The caller
// holds ss.mu.
func (ss *sessions) makeRoomLocked(l *list.List, limit int, now time.Time, ended []string) []string {
	for e := l.Front(); e != nil; e = l.Front() {
		s := e.Value.(*session)
		if now.Sub(s.seen) <= s.ttl() && l.Len() < limit {
			break
		}
		ended = ss.removeLocked(s, ended)
	}
	return ended
}

// end lets go of the tokens of ended users.
func (ss *sessions) end(users []string) {
	if ss.ended == nil {
		return
	}
	for _, u := range users {
		ss.ended(u)
	}
}

// start creates a session and sets its cookie.
func (ss *sessions) start(w http.ResponseWriter, r *http.Request) (*session, error) {
	user, err := randomID()
	if err != nil {
		return nil, err
	}
	return ss.add(w, r, user, map[string][]*auth.Flow{}, false, nil)
}

// rotate replaces old, once it has a linked broker, with a session under
// a new ID (and a new CSRF token) for the same user and pending logins,
// and sets its cookie. Whoever knew the old ID, because they planted that
// cookie in this browser, is left with a session that has ended.
func (ss *sessions) rotate(w http.ResponseWriter, r *http.Request, old *session) (*session, error) {
	old.mu.Lock()
	flows := make(map[string][]*auth.Flow, len(old.flows))
	for b, fs := range old.flows {
		flows[b] = append([]*auth.Flow(nil), fs...)
	}
	old.mu.Unlock()
	return ss.add(w, r, old.user, flows, true, old)
}

// add keeps a new session for user, in place of replaced when that is
// set, and sets its cookie: HttpOnly, so scripts cannot read it;
// SameSite=Lax, so other sites' forms do not carry it (the redirect back
// from a broker is a top-level GET, which still does); Secure when the
// switch is on or the request came over TLS.
func (ss *sessions) add(w http.ResponseWriter, r *http.Request, user string, flows map[string][]*auth.Flow,
	linked bool, replaced *session) (*session, error) {
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	csrf, err := randomID()
	if err != nil {
		return nil, err
	}
	s := &session{id: id, user: user, csrf: csrf, flows: flows, linked: linked}
	var ended []string
	ss.mu.Lock()
	ss.users[user]++                                         // first, so that no removal below ends this user
	if replaced != nil && ss.byID[replaced.id] == replaced { // not yet replaced by a concurrent callback
		ended = ss.removeLocked(replaced, ended)
	}
	s.seen = ss.now()
	l, limit := ss.pending, maxPending
	if linked {
		l, limit = ss.linked, maxLinked
	}
	ended = ss.makeRoomLocked(l, limit, s.seen, ended)
	s.elem = l.PushBack(s)
	ss.byID[s.id] = s
	ss.mu.Unlock()
	ss.end(ended)

	http.SetCookie(w, &http.Cookie{
		Name: ss.name(), Value: s.id + "." + ss.sign(s.id), Path: "/",
		MaxAge: int(sessionTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: ss.secure || r.TLS != nil,
	})
	return s, nil
}

// checkCSRF reports whether token is s's CSRF token, in constant time.
func (s *session) checkCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

func randomID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// clearCookie deletes the session cookie from the browser.
func (ss *sessions) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: ss.name(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: ss.secure || r.TLS != nil})
}
