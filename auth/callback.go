package auth

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// CallbackHandler is the http.Handler for a redirect URI. For each
// callback it finds the login flow the request belongs to, completes it
// (every check of Flow.Complete, then the code exchange) and hands the
// token to OnToken. It answers only GET on its path; a failed callback gets
// a short page with a fixed message and a fitting status, never an echo of
// the query.
//
//	flows := &auth.FlowStore{}
//	// on login: flow, err := auth.Begin(p); err = flows.Put(flow); redirect to flow.URL
//	mux.Handle("/callback/tradestation", &auth.CallbackHandler{
//		Provider: p,
//		Path:     "/callback/tradestation",
//		FlowByState: flows.Take,
//		OnToken: func(w http.ResponseWriter, r *http.Request, tok *auth.Token) {
//			// save tok for the user, then send them into the app
//			http.Redirect(w, r, "/accounts", http.StatusFound)
//		},
//	})
type CallbackHandler struct {
	// Provider is the provider the flows were begun with. Give each
	// provider its own handler and redirect path (mix-up defence).
	Provider Provider
	// Path, when set, is the only path served; other paths get 404.
	Path string
	// FlowByState returns the flow begun with the callback's state
	// parameter, such as FlowStore.Take. A request whose state is missing,
	// repeated or overlong is refused without calling it, so a provider
	// that allows callbacks without state (Capabilities.AllowMissingState)
	// needs Flow instead. Set FlowByState or Flow.
	FlowByState func(ctx context.Context, state string) (*Flow, error)
	// Flow returns the flow the callback belongs to, from the user's
	// session, say; it is used when FlowByState is nil. Either should hand
	// out each flow once (remove it as it is loaded), so that a replayed
	// callback finds nothing. A nil flow and nil error mean "no such
	// login" and are answered as ErrStateMismatch.
	Flow func(r *http.Request) (*Flow, error)
	// OnToken receives the token and writes the response, typically a
	// redirect into the app. The flow is in the request's context
	// (FlowFromContext).
	OnToken func(w http.ResponseWriter, r *http.Request, tok *Token)
	// OnError, when set, writes the response for a failed callback (with
	// CallbackStatus as its status, say); nil means a short page with a
	// fixed message for the kind of failure and CallbackStatus's status,
	// never quoting the request or the error.
	OnError func(w http.ResponseWriter, r *http.Request, err error)
}

type flowContextKey struct{}

// FlowFromContext returns the flow a CallbackHandler completed, from the
// context of the request it passes to OnToken and OnError.
func FlowFromContext(ctx context.Context) (*Flow, bool) {
	f, ok := ctx.Value(flowContextKey{}).(*Flow)
	return f, ok && f != nil
}

// ServeHTTP implements http.Handler.
func (h *CallbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.Path != "" && r.URL.Path != h.Path {
		http.NotFound(w, r)
		return
	}
	// The callback URL holds the code: keep it out of caches and out of
	// the Referer of whatever the answer links to.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet {
		writeOnlyGet(w)
		return
	}
	onError := h.OnError
	if onError == nil {
		onError = func(w http.ResponseWriter, _ *http.Request, err error) { writeCallbackError(w, err) }
	}
	lookup := h.Flow
	if h.FlowByState != nil {
		lookup = flowByState(h.FlowByState)
	}
	if nilProvider(h.Provider) || lookup == nil || h.OnToken == nil {
		onError(w, r, errors.New("auth: CallbackHandler needs Provider, FlowByState or Flow, and OnToken"))
		return
	}
	f, err := lookup(r)
	if err == nil && f == nil {
		err = fmt.Errorf("auth: %s callback: no login in progress for this state: %w", h.Provider.Name(), ErrStateMismatch)
	}
	if err != nil {
		onError(w, r, err)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), flowContextKey{}, f))
	q, err := callbackQuery(r.URL.RawQuery)
	if err != nil {
		onError(w, r, err)
		return
	}
	tok, err := f.Complete(r.Context(), h.Provider, q)
	if err != nil {
		onError(w, r, err)
		return
	}
	h.OnToken(w, r, tok)
}

// flowByState adapts CallbackHandler.FlowByState to the shape of
// CallbackHandler.Flow: the state parameter is read, and a request whose
// state is missing, repeated or overlong is refused without calling lookup.
func flowByState(lookup func(ctx context.Context, state string) (*Flow, error)) func(*http.Request) (*Flow, error) {
	return func(r *http.Request) (*Flow, error) {
		q, err := callbackQuery(r.URL.RawQuery)
		if err != nil {
			return nil, err
		}
		state, err := single(q, "state")
		if err != nil {
			return nil, err
		}
		if state == "" {
			return nil, fmt.Errorf("auth: callback without state: %w", ErrStateMismatch)
		}
		return lookup(r.Context(), state)
	}
}

// FlowStore keeps pending flows in memory, keyed by state, for an app that
// runs in one process. Take removes the flow it returns, so each callback
// is served at most once. Apps that run several processes keep flows in
// their session store instead; a Flow is plain JSON. The zero FlowStore
// is ready to use.
//
// The store holds at most Limit flows, so that a flood of login starts
// cannot exhaust memory (a pending flow takes about 700 bytes): once it is
// full, Put fails with ErrTooManyFlows until flows are taken or expire.
// Expired flows are dropped oldest first as flows are put, at O(1) cost per
// Put; until then they still count, and a flow given a longer TTL than
// those put after it holds them until it expires too.
type FlowStore struct {
	// Limit is the most flows kept at once; zero means 100,000 (about
	// 70 MB of pending logins, or some 160 login starts a second for a
	// ten-minute TTL).
	// Set it before the store is used.
	Limit int

	mu    sync.Mutex
	flows map[string]stored
	// order lists the Puts in the order they were made, from head on. An
	// entry whose flow was taken or put again is stale and skipped; stale
	// entries are compacted away before they outnumber the live ones.
	order []queued
	head  int
	seq   uint64 // numbers the Puts
	now   func() time.Time
}

// stored is a pending flow and the number of the Put that stored it.
type stored struct {
	flow *Flow
	seq  uint64
}

// queued is an entry of FlowStore.order: the state a flow was put under
// (kept in case the app changes the flow's afterwards) and the Put's
// number, so that a flow put again is told from its earlier entries.
type queued struct {
	state   string
	seq     uint64
	expires time.Time
}

// live reports whether q is the latest Put of a pending flow.
func (s *FlowStore) live(q queued) bool {
	st, ok := s.flows[q.state]
	return ok && st.seq == q.seq
}

// defaultFlowLimit is a FlowStore's Limit when none is set.
const defaultFlowLimit = 100_000

// ErrTooManyFlows means a FlowStore is full: too many logins are pending.
var ErrTooManyFlows = errors.New("too many pending logins")

// Put keeps f until its callback arrives or it expires, dropping expired
// flows first. Putting a flow with the state of a pending one replaces it.
// It fails with ErrTooManyFlows when the store holds Limit flows, and for
// a nil flow or one without state.
func (s *FlowStore) Put(f *Flow) error {
	if f == nil || f.State == "" {
		return errors.New("auth: FlowStore.Put needs a flow with a state")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flows == nil {
		s.flows = map[string]stored{}
	}
	s.dropExpired()
	limit := s.Limit
	if limit <= 0 {
		limit = defaultFlowLimit
	}
	if _, replacing := s.flows[f.State]; !replacing && len(s.flows) >= limit {
		return fmt.Errorf("auth: %w (%d)", ErrTooManyFlows, limit)
	}
	s.seq++
	s.flows[f.State] = stored{f, s.seq}
	s.order = append(s.order, queued{f.State, s.seq, f.Expires})
	if pending := len(s.order) - s.head; pending > 2*len(s.flows)+64 {
		s.compact()
	}
	return nil
}

// dropExpired pops expired and stale entries from the head of the order,
// stopping at the first live flow. The caller holds s.mu. Every entry is
// popped once, so the cost per Put is O(1) on average.
func (s *FlowStore) dropExpired() {
	now := s.clock()
	for s.head < len(s.order) {
		q := s.order[s.head]
		live := s.live(q)
		if live && now.Before(q.expires) {
			break
		}
		if live {
			delete(s.flows, q.state)
		}
		s.order[s.head] = queued{}
		s.head++
	}
	if s.head == len(s.order) {
		s.order, s.head = s.order[:0], 0
	}
}

// compact drops stale entries from the order, keeping its sequence. It
// runs only when stale entries outnumber the live ones, so its O(n) cost
// is paid for by the Puts (and Takes) that made them. The caller holds
// s.mu.
func (s *FlowStore) compact() {
	kept := s.order[:0]
	for _, q := range s.order[s.head:] {
		if s.live(q) {
			kept = append(kept, q)
		}
	}
	clear(s.order[len(kept):])
	s.order, s.head = kept, 0
}

// clock is the store's time source.
func (s *FlowStore) clock() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

// Take removes and returns the flow begun with state; nil when there is
// none. An expired flow is returned too, so that Complete can say
// ErrFlowExpired rather than "unknown login".
func (s *FlowStore) Take(_ context.Context, state string) (*Flow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.flows[state]
	delete(s.flows, state)
	return st.flow, nil
}

// pending reports how many flows are pending; expired ones are dropped
// first, wherever they are in the order.
func (s *FlowStore) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	for k, st := range s.flows {
		if !now.Before(st.flow.Expires) {
			delete(s.flows, k)
		}
	}
	s.compact()
	return len(s.flows)
}

// CallbackStatus is the HTTP status a callback answer should carry for
// err: 403 when the user declined, 400 for a callback that does not fit
// its flow, 502 when the broker failed the code exchange, 504 when it took
// too long, 500 otherwise.
func CallbackStatus(err error) int {
	var oe *OAuthError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrAccessDenied) && errors.As(err, &oe) && oe.Endpoint == "authorize":
		return http.StatusForbidden
	case errors.Is(err, ErrStateMismatch), errors.Is(err, ErrIssuerMismatch), errors.Is(err, ErrBadCallback),
		errors.Is(err, ErrMissingCode), errors.Is(err, ErrFlowExpired), errors.Is(err, ErrFlowUsed):
		return http.StatusBadRequest
	case errors.As(err, &oe) && oe.Endpoint == "authorize":
		return http.StatusBadRequest
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.As(err, &oe), errors.Is(err, ErrUnavailable), errors.Is(err, ErrInvalidResponse),
		errors.Is(err, ErrInvalidClient):
		return http.StatusBadGateway
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// callbackMessage is the fixed text shown for err. It never quotes the
// error, whose text may hold values from the query or the broker.
func callbackMessage(err error) string {
	switch {
	case errors.Is(err, ErrAccessDenied) && CallbackStatus(err) == http.StatusForbidden:
		return "The login was declined. You can close this window or start the login again."
	case errors.Is(err, ErrFlowUsed):
		return "This login has already been completed."
	case errors.Is(err, ErrFlowExpired):
		return "This login took too long. Please start it again."
	case errors.Is(err, ErrStateMismatch):
		return "This answer does not belong to a login in progress. Please start the login again."
	case errors.Is(err, ErrIssuerMismatch):
		return "The answer came from an unexpected server. Please start the login again."
	}
	switch CallbackStatus(err) {
	case http.StatusBadRequest:
		return "The broker's answer was incomplete or malformed. Please start the login again."
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return "The broker did not complete the login. Please try again in a moment."
	}
	return "The login could not be completed."
}

// writeCallbackError answers a failed callback with a short HTML page: the
// status from CallbackStatus and a fixed message for the kind of failure.
// Nothing from the request or the error text is written.
func writeCallbackError(w http.ResponseWriter, err error) {
	writePage(w, CallbackStatus(err), "Login failed", callbackMessage(err))
}

// callbackQuery parses a callback's raw query; a malformed one is
// ErrBadCallback.
func callbackQuery(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("auth: %w: callback query does not parse", ErrBadCallback)
	}
	return q, nil
}

// writeOnlyGet answers a redirect URI requested with another method.
func writeOnlyGet(w http.ResponseWriter) {
	w.Header().Set("Allow", http.MethodGet)
	writePage(w, http.StatusMethodNotAllowed, "Login failed", "This address only accepts the broker's redirect.")
}

// writePage writes a minimal self-contained HTML page.
func writePage(w http.ResponseWriter, status int, title, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	t, m := html.EscapeString(title), html.EscapeString(msg)
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>"+
		"<body><h1>%s</h1><p>%s</p></body></html>\n", t, t, m)
}
