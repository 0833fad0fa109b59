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
//	flows := auth.NewFlowStore()
//	mux.Handle("/callback/tradestation", &auth.CallbackHandler{
//		Provider: p,
//		Path:     "/callback/tradestation",
//		Flow:     auth.FlowByState(flows.Take),
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
	// Flow returns the flow the callback belongs to: looked up by the
	// state parameter (see FlowByState) or from the user's session. It
	// should hand out each flow once (remove it as it is loaded), so that
	// a replayed callback finds nothing. A nil flow and nil error mean "no
	// such login" and are answered as ErrStateMismatch.
	Flow func(r *http.Request) (*Flow, error)
	// OnToken receives the token and writes the response, typically a
	// redirect into the app. The flow is in the request's context
	// (FlowFromContext).
	OnToken func(w http.ResponseWriter, r *http.Request, tok *Token)
	// OnError, when set, writes the response for a failed callback; nil
	// means WriteCallbackError.
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
		onError = func(w http.ResponseWriter, _ *http.Request, err error) { WriteCallbackError(w, err) }
	}
	if h.Provider == nil || h.Flow == nil || h.OnToken == nil {
		onError(w, r, errors.New("auth: CallbackHandler needs Provider, Flow and OnToken"))
		return
	}
	f, err := h.Flow(r)
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

// FlowByState adapts a lookup keyed by the callback's state parameter to
// CallbackHandler.Flow. A request whose state is missing, repeated or
// overlong is refused without calling lookup.
func FlowByState(lookup func(ctx context.Context, state string) (*Flow, error)) func(*http.Request) (*Flow, error) {
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
// their session store instead; a Flow is plain JSON.
type FlowStore struct {
	mu    sync.Mutex
	flows map[string]*Flow
	// sweepAt is the size at which Put next drops expired flows: twice the
	// size after the last sweep, so a flood of logins costs each Put O(1)
	// on average rather than a scan of every pending flow.
	sweepAt int
	now     func() time.Time
}

// minSweep is the least sweepAt.
const minSweep = 64

// NewFlowStore returns an empty FlowStore.
func NewFlowStore() *FlowStore {
	return &FlowStore{flows: map[string]*Flow{}, now: time.Now}
}

// Put keeps f until its callback arrives or it expires. Expired flows are
// dropped as new ones are added. A nil flow is ignored.
func (s *FlowStore) Put(f *Flow) {
	if f == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.flows) >= s.sweepAt {
		s.sweep()
	}
	s.flows[f.State] = f
}

// sweep drops the expired flows. The caller holds s.mu.
func (s *FlowStore) sweep() {
	now := s.now()
	for k, f := range s.flows {
		if !now.Before(f.Expires) {
			delete(s.flows, k)
		}
	}
	s.sweepAt = max(2*len(s.flows), minSweep)
}

// Take removes and returns the flow begun with state; nil when there is
// none. An expired flow is returned too, so that Complete can say
// ErrFlowExpired rather than "unknown login".
func (s *FlowStore) Take(_ context.Context, state string) (*Flow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flows[state]
	delete(s.flows, state)
	return f, nil
}

// Len reports how many flows are pending; expired ones are dropped first.
func (s *FlowStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
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

// WriteCallbackError answers a failed callback with a short HTML page: the
// status from CallbackStatus and a fixed message for the kind of failure.
// Nothing from the request or the error text is written.
func WriteCallbackError(w http.ResponseWriter, err error) {
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
