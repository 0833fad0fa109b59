package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Defaults of a Source.
const (
	// defaultLeeway is how long before its expiry a token is refreshed.
	defaultLeeway = time.Minute
	// defaultRefreshTimeout bounds one refresh: taking the store's lock,
	// reading it, the token request and the save.
	defaultRefreshTimeout = 30 * time.Second
	// defaultSlideSaveInterval is the most often a sliding expiry is
	// written to the Store.
	defaultSlideSaveInterval = time.Minute
	// retryDelay is how long a source serves a still-valid token after a
	// failed early refresh before it tries again.
	retryDelay = 5 * time.Second
	// slideStep is the least a sliding expiry must move before the cached
	// token is replaced.
	slideStep = time.Second
)

// TokenSource supplies the current token of one user, refreshed as needed.
// It is the one thing a client needs from the token machinery: NewClient,
// every broker client and the Spotware session take a TokenSource, and
// *Source is the implementation that caches, refreshes and persists.
//
// A TokenSource that also has ForceRefresh(ctx, stale *Token) (*Token,
// error) — as *Source does — is asked for a new token when a server
// refuses stale; one without it makes such a call fail with the refusal.
type TokenSource interface {
	// TokenContext returns a token valid now, refreshing first when it is
	// due. It honours ctx for waiting, not for a refresh in flight.
	TokenContext(ctx context.Context) (*Token, error)
}

// SourceOption configures NewSource: a SourceOptions value, WithSourceClock
// or WithOnChange.
type SourceOption interface{ apply(*sourceOptions) }

type sourceOptions struct {
	leeway         time.Duration
	refreshTimeout time.Duration
	slideSave      time.Duration
	slideLifetime  time.Duration
	now            func() time.Time
	custom         bool // now was given: read it on every call
	onChange       func(old, new *Token)
}

// SourceOptions tunes a Source. A zero field keeps its default; a negative
// duration is refused by NewSource.
type SourceOptions struct {
	// Leeway is how long before expiry a token is refreshed (zero: a
	// minute). A token whose whole lifetime is shorter than twice Leeway
	// is refreshed at half its life instead. The rule is the same for a
	// token the source has just obtained, one it reads from the Store and
	// one it recovers after a failed Save: when the source obtains a token
	// shorter than twice Leeway, it records the lifetime in the token's
	// Extra ("expires_in", in seconds), so that the Store keeps it. A
	// stored token without a recorded lifetime is judged by the full
	// leeway.
	Leeway time.Duration
	// RefreshTimeout bounds a refresh (zero: 30 seconds). See Source for
	// why a refresh is not bound by its caller's context.
	RefreshTimeout time.Duration
	// SlidingLifetime is the lifetime a sliding-expiry provider grants on
	// every use. Zero: the lifetime of the token as issued (expires_in).
	SlidingLifetime time.Duration
	// SlideSaveInterval is how often, at most, a sliding expiry is
	// written to the Store (zero: once a minute).
	SlideSaveInterval time.Duration
	// Now, when set, is the source's clock instead of time.Now, for tests
	// that move an emulator's clock. The hot path then calls it on every
	// request; with the real clock it reads no clock at all (the refresh
	// scheduler marks the cached token stale at its refresh time).
	Now func() time.Time
	// OnChange is called after the source has obtained a new token from
	// the provider (a refresh) or been given one (SetToken), once the
	// token is in the Store. old is nil when there was none. It runs
	// before any caller receives the new token, so it must be quick and
	// must not call the source.
	OnChange func(old, new *Token)
}

func (s SourceOptions) apply(o *sourceOptions) {
	set := func(dst *time.Duration, v time.Duration) {
		if v != 0 {
			*dst = v
		}
	}
	set(&o.leeway, s.Leeway)
	set(&o.refreshTimeout, s.RefreshTimeout)
	set(&o.slideLifetime, s.SlidingLifetime)
	set(&o.slideSave, s.SlideSaveInterval)
	if s.Now != nil {
		o.now, o.custom = s.Now, true
	}
	if s.OnChange != nil {
		o.onChange = s.OnChange
	}
}

// Source hands out one user's token at one provider, refreshing it
// ahead of expiry and persisting every new token in a Store before any
// caller sees it. It is safe for concurrent use, and it satisfies
// golang.org/x/oauth2.TokenSource.
//
// The cached token is read without a lock and without reading the clock:
// one scheduler for the whole process (a min-heap of refresh times and a
// single timer set for the earliest) marks each cached token stale at its
// refresh time, looking at the wall clock at least once a minute while it
// holds tokens, so that a suspended machine or a stepped clock is noticed.
// No timer or goroutine exists per token, and nothing wakes while no token
// is cached. Once the refresh time has passed, one refresh runs for all
// callers (single flight). While the token is still valid that refresh
// runs in the background (refresh ahead): callers keep getting the valid
// token and none waits for the network; only callers holding an expired or
// refused token wait. Either way the new token is handed out only after
// the Store took it. If the Store is also a Locker (or
// wraps one, see Store), the refresh takes the key's lock, re-reads the
// Store and refreshes only if the stored token is still stale, so sources
// and processes sharing a rotating refresh token never spend it twice. A
// source over a Store that is no Locker coordinates only its own callers:
// give every key one source, or use a Manager, which locks per key itself.
//
// Contexts: a refresh runs under the context of the caller that started
// it with its cancellation removed (context.WithoutCancel: values such as
// tracing spans stay) and bounded by SourceOptions.RefreshTimeout. Each caller waits
// only as long as its own context allows and then gets its context's error;
// the refresh carries on for the others. Two reasons: a rotating refresh
// token that the server has already spent must not be lost because the
// request that carried it was cancelled, and one caller's cancellation must
// not fail the callers who share its refresh. No context is ever kept
// beyond the refresh it started.
//
// When the provider refuses the refresh token (invalid_grant), or has no
// refresh grant and the token has lapsed, callers get an error matching
// ErrReauthRequired. The source remembers the refusal and does not ask the
// provider again until the Store holds another token or ForceRefresh is
// called.
//
// The tokens it returns are shared: treat them as read-only (Clone one to
// change it).
type Source struct {
	*sourceCore
	key string

	cur atomic.Pointer[entry]

	// rmu serializes the writers of the cache and the store within this
	// process: a refresh, SetToken and a sliding-expiry save.
	rmu sync.Mutex

	flight atomic.Pointer[flight] // the refresh in progress, if any

	mu sync.Mutex
	// tr holds the state few sources ever need (failures, sliding
	// saves); nil until one does, so that a
	// healthy source stays small. Once set it stays; its fields other
	// than lastSlideSave are guarded by mu.
	tr atomic.Pointer[trouble]
}

// sourceCore is what the sources of one Manager share: everything but the
// key and the per-key state.
type sourceCore struct {
	p     Provider
	caps  Capabilities
	store Store
	// shared is store when it can hand out and keep tokens without a
	// copy (MemoryStore), so that a token is held once; nil otherwise.
	shared sharingStore
	o      sourceOptions
	// locker is the Store's lock (found through Unwrap), or the one a
	// Manager lends for a Store that has none; nil: none.
	locker Locker
}

// trouble is the rarely needed state of a Source.
type trouble struct {
	lastSlideSave atomic.Int64

	failed   *failure // a refusal remembered until the store changes
	rejected string   // an access token a resource server refused
	backoff  time.Time
	unsaved  *Token // a refreshed token the store would not take
	// unsavedFrom is the token unsaved was refreshed from: unsaved is
	// saved later only over that token, never over a logout or a login.
	unsavedFrom *Token
}

// trouble returns s.tr, creating it; s.mu must be held.
func (s *Source) trouble() *trouble {
	tr := s.tr.Load()
	if tr == nil {
		tr = &trouble{}
		s.tr.Store(tr)
	}
	return tr
}

// forgetTrouble drops what failures left behind; s.mu must be held.
func (s *Source) forgetTrouble() {
	if tr := s.tr.Load(); tr != nil {
		tr.failed, tr.rejected, tr.backoff, tr.unsaved, tr.unsavedFrom = nil, "", time.Time{}, nil, nil
	}
}

// publish makes e (nil: nothing) the cached entry and schedules it.
func (s *Source) publish(e *entry) {
	old := s.cur.Swap(e)
	if !s.o.custom {
		refreshScheduler.remove(old)
		refreshScheduler.add(e)
	}
}

// replace makes e the cached entry if old still is.
func (s *Source) replace(old, e *entry) bool {
	if !s.cur.CompareAndSwap(old, e) {
		return false
	}
	if !s.o.custom {
		refreshScheduler.remove(old)
		refreshScheduler.add(e)
	}
	return true
}

// entry is one cached token with what the hot path needs. It does not
// change once published.
type entry struct {
	tok *Token
	o2  atomic.Pointer[oauth2.Token] // built on the first Token call
	// refreshAt is when tok is due for a refresh, in Unix nanoseconds of
	// the wall clock; math.MaxInt64: never.
	refreshAt int64
	// idx is the entry's place in the refresh scheduler plus one; zero
	// when it is not there.
	idx atomic.Int32
	// stale is set by the scheduler at refreshAt (real clock only).
	stale atomic.Bool
}

// nowNano reads the source's clock: the custom one when given, else the
// wall clock (which also notices a suspended machine or a stepped clock).
func (c *sourceCore) nowNano() int64 {
	if c.o.custom {
		return c.o.now().UnixNano()
	}
	return time.Now().UnixNano()
}

// valid reports whether e's token has not expired at now (Unix ns).
func (e *entry) valid(now int64) bool {
	exp := e.tok.Expiry
	return exp.IsZero() || now < exp.UnixNano()
}

// oauth2Token returns e's token as an oauth2.Token, converted once.
func (e *entry) oauth2Token() *oauth2.Token {
	if o := e.o2.Load(); o != nil {
		return o
	}
	o := e.tok.OAuth2()
	if !e.o2.CompareAndSwap(nil, o) {
		return e.o2.Load()
	}
	return o
}

type flight struct {
	done chan struct{}
	// closed is set (under the source's mu) when Close or a logout ran
	// while the flight did: it leaves the cache alone. loggedOut is set
	// by a logout: the flight fails.
	closed, loggedOut bool
	e                 *entry
	err               error
	// refused is set when e holds a token refused (invalidate) while the
	// flight ran.
	refused bool
	// ahead is the still-valid entry a refresh ahead replaces; nil when
	// callers wait for the flight.
	ahead *entry
}

type failure struct {
	err          error
	access, rtok string
}

// NewSource returns a source for the token stored under key (see Key).
// The token is read from store on first use; SetToken installs one after a
// login.
func NewSource(p Provider, store Store, key string, opts ...SourceOption) (*Source, error) {
	if nilProvider(p) {
		return nil, errors.New("auth: token source needs a Provider")
	}
	if store == nil {
		return nil, errors.New("auth: token source needs a Store")
	}
	if key == "" {
		return nil, errors.New("auth: token source needs a key")
	}
	o, err := sourceConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Source{sourceCore: newCore(p, store, o), key: key}, nil
}

// sourceConfig checks opts and returns them applied to the defaults.
func sourceConfig(opts []SourceOption) (sourceOptions, error) {
	o := sourceOptions{leeway: defaultLeeway, refreshTimeout: defaultRefreshTimeout,
		slideSave: defaultSlideSaveInterval, now: time.Now}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	if o.leeway < 0 {
		return o, fmt.Errorf("auth: negative leeway %s", o.leeway)
	}
	if o.slideLifetime < 0 {
		return o, fmt.Errorf("auth: negative sliding lifetime %s", o.slideLifetime)
	}
	if o.slideSave < 0 {
		return o, fmt.Errorf("auth: negative slide save interval %s", o.slideSave)
	}
	if o.refreshTimeout <= 0 {
		return o, fmt.Errorf("auth: refresh timeout must be positive, got %s", o.refreshTimeout)
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o, nil
}

func newCore(p Provider, store Store, o sourceOptions) *sourceCore {
	c := &sourceCore{p: p, caps: p.Capabilities(), store: store, o: o, locker: findLocker(store)}
	c.shared, _ = store.(sharingStore)
	return c
}

// Key returns the store key the source reads and writes.
func (s *Source) Key() string { return s.key }

// Token implements golang.org/x/oauth2.TokenSource. A refresh it starts
// runs under context.Background, bounded by the refresh timeout; prefer
// TokenContext where a context is at hand.
func (s *Source) Token() (*oauth2.Token, error) {
	if e := s.cached(context.Background()); e != nil {
		return e.oauth2Token(), nil
	}
	e, err := s.slow(context.Background())
	if err != nil {
		return nil, err
	}
	return e.oauth2Token(), nil
}

// TokenContext returns a token that is valid for at least the leeway,
// refreshing it first when needed. ctx bounds how long this caller waits.
func (s *Source) TokenContext(ctx context.Context) (*Token, error) {
	if e := s.cached(ctx); e != nil {
		return e.tok, nil
	}
	e, err := s.slow(ctx)
	if err != nil {
		return nil, err
	}
	return e.tok, nil
}

// cached returns the cached entry when a caller may have it without
// waiting: before its refresh time, or after it while the token is still
// valid, in which case one background refresh is started (refresh ahead).
// Nil means the caller must wait for a refresh (slow).
func (s *Source) cached(ctx context.Context) *entry {
	e := s.cur.Load()
	if e == nil {
		return nil
	}
	if !s.o.custom {
		// The scheduler marks the entry stale at its refresh time: no
		// clock is read until then.
		if !e.stale.Load() {
			return e
		}
	} else if s.nowNano() < e.refreshAt {
		return e
	}
	if !e.valid(s.nowNano()) {
		return nil
	}
	if s.flight.Load() == nil {
		s.ahead(ctx, e)
	}
	return e
}

// ahead starts a background refresh of e unless one runs already or e is
// no longer the cached entry.
func (s *Source) ahead(ctx context.Context, e *entry) {
	s.mu.Lock()
	if s.flight.Load() == nil && s.cur.Load() == e {
		f := &flight{done: make(chan struct{}), ahead: e}
		s.flight.Store(f)
		go s.run(context.WithoutCancel(ctx), f)
	}
	s.mu.Unlock()
}

// slow joins the refresh in flight, or starts one.
func (s *Source) slow(ctx context.Context) (*entry, error) {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Joining a flight takes no lock, so that a storm of callers does
		// not queue on a mutex.
		f := s.flight.Load()
		if f == nil {
			s.mu.Lock()
			if e := s.cur.Load(); e != nil && s.nowNano() < e.refreshAt {
				s.mu.Unlock()
				return e, nil
			}
			if f = s.flight.Load(); f == nil {
				f = &flight{done: make(chan struct{})}
				s.flight.Store(f)
				go s.run(context.WithoutCancel(ctx), f)
			}
			s.mu.Unlock()
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil {
			return nil, f.err
		}
		// A flight that began before an invalidate may return the token
		// that was just refused: go round once more.
		if !f.refused || attempt > 0 {
			return f.e, nil
		}
	}
}

func (s *Source) run(ctx context.Context, f *flight) {
	ctx, cancel := context.WithTimeout(ctx, s.o.refreshTimeout)
	defer cancel()
	s.rmu.Lock()
	t, at, err := s.refresh(ctx)
	s.mu.Lock()
	var e *entry
	switch {
	case err != nil:
		if a := f.ahead; a != nil && !f.closed && s.cur.Load() == a {
			// A refresh ahead failed and nobody waited for it: keep
			// serving the valid token and try again a little later,
			// not on every call.
			at := time.Unix(0, s.nowNano()).Add(retryDelay)
			if exp := a.tok.Expiry; !exp.IsZero() && exp.Before(at) {
				at = exp
			}
			s.replace(a, &entry{tok: a.tok, refreshAt: at.UnixNano()})
		}
	case f.loggedOut:
		// The user logged out while this refresh ran: its token is in
		// no store any more, and no caller gets it.
		err = fmt.Errorf("auth: %s: logged out: %w", s.key, ErrReauthRequired)
	default:
		e = s.newEntry(t, at)
		if !f.closed {
			// Otherwise closed while this refresh ran: the waiting
			// callers get the token, the closed source keeps nothing.
			s.publish(e)
		}
	}
	f.e, f.err = e, err
	tr := s.tr.Load()
	f.refused = e != nil && tr != nil && e.tok.AccessToken == tr.rejected
	s.flight.Store(nil)
	s.mu.Unlock()
	s.rmu.Unlock()
	close(f.done)
}

// refresh does the work of one flight and returns the token to serve and
// when to refresh it. It runs alone: the flight is the in-process lock, the
// store's Locker the cross-process one.
func (s *Source) refresh(ctx context.Context) (*Token, time.Time, error) {
	if l := s.locker; l != nil {
		unlock, err := l.Lock(ctx, s.key)
		if err != nil {
			return nil, time.Time{}, err
		}
		defer unlock()
	}
	stored, err := s.loadLocked(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	now := s.o.now()

	s.mu.Lock()
	var failed *failure
	var rejected string
	var backoff time.Time
	if tr := s.tr.Load(); tr != nil {
		failed, rejected, backoff = tr.failed, tr.rejected, tr.backoff
		if failed != nil && (failed.access != stored.AccessToken || failed.rtok != stored.RefreshToken) {
			failed, tr.failed = nil, nil // the store holds another token now
		}
	}
	s.mu.Unlock()
	if failed != nil {
		return nil, time.Time{}, failed.err
	}

	refused := stored.AccessToken == rejected
	if !refused && stored.AccessToken != "" && !s.stale(stored, now) {
		return stored, s.refreshAt(stored), nil
	}
	usable := !refused && stored.Valid(now)

	if !s.caps.Refresh || stored.RefreshToken == "" {
		if usable {
			// Nothing can renew it; serve it until it lapses.
			return stored, stored.Expiry, nil
		}
		why := "the access token has lapsed and the provider has no refresh grant"
		if s.caps.Refresh {
			why = "the access token has lapsed and there is no refresh token"
		}
		if refused {
			why = "the provider refused the access token and it cannot be refreshed"
		}
		return nil, time.Time{}, s.fail(stored, fmt.Errorf("auth: %s: %s: %w", s.key, why, ErrReauthRequired))
	}
	if !stored.RefreshExpiry.IsZero() && !now.Before(stored.RefreshExpiry) {
		return nil, time.Time{}, s.fail(stored, fmt.Errorf("auth: %s: the refresh token expired at %s: %w",
			s.key, stored.RefreshExpiry.UTC().Format(time.RFC3339), ErrReauthRequired))
	}
	if usable && now.Before(backoff) {
		return stored, backoff, nil
	}

	nt, err := s.p.Refresh(ctx, stored)
	if err != nil {
		if errors.Is(err, ErrReauthRequired) {
			return nil, time.Time{}, s.fail(stored, err)
		}
		if usable {
			// The token still works: keep serving it and try again a
			// little later rather than fail every caller now.
			s.mu.Lock()
			s.trouble().backoff = now.Add(retryDelay)
			s.mu.Unlock()
			at := now.Add(retryDelay)
			if !stored.Expiry.IsZero() && stored.Expiry.Before(at) {
				at = stored.Expiry
			}
			return stored, at, nil
		}
		return nil, time.Time{}, fmt.Errorf("auth: %s: refresh: %w", s.key, err)
	}
	if nt.Provider == "" {
		nt.Provider = s.p.Name()
	}
	s.noteLifetime(nt, now)
	if err := s.save(ctx, nt); err != nil {
		// The old refresh token may be spent already: keep the new one
		// and save it before anything else next time.
		s.mu.Lock()
		tr := s.trouble()
		tr.unsaved, tr.unsavedFrom = nt, stored
		s.mu.Unlock()
		return nil, time.Time{}, fmt.Errorf("auth: %s: saving the refreshed token: %w", s.key, err)
	}
	s.mu.Lock()
	if tr := s.tr.Load(); tr != nil {
		tr.rejected, tr.backoff, tr.failed = "", time.Time{}, nil
	}
	s.mu.Unlock()
	if s.o.onChange != nil {
		s.o.onChange(stored, nt)
	}
	return nt, s.refreshAt(nt), nil
}

// loadLocked reads the store. A refreshed token the store refused earlier
// is saved first, if the store still holds the token it replaces: not over
// a logout (the store is empty) or a newer login.
func (s *Source) loadLocked(ctx context.Context) (*Token, error) {
	var unsaved, from *Token
	s.mu.Lock()
	if tr := s.tr.Load(); tr != nil {
		unsaved, from = tr.unsaved, tr.unsavedFrom
	}
	s.mu.Unlock()
	t, err := s.load(ctx)
	if unsaved != nil && (err == nil || errors.Is(err, ErrNoToken)) {
		if err == nil && sameToken(t, from) {
			if err := s.save(ctx, unsaved); err != nil {
				return nil, fmt.Errorf("auth: %s: saving the refreshed token: %w", s.key, err)
			}
			t = unsaved
		}
		s.mu.Lock()
		if tr := s.tr.Load(); tr != nil && tr.unsaved == unsaved {
			tr.unsaved, tr.unsavedFrom = nil, nil
		}
		s.mu.Unlock()
	}
	switch {
	case err == nil:
		return t, nil
	case errors.Is(err, ErrNoToken):
		return nil, fmt.Errorf("auth: %s: not logged in: %w: %w", s.key, ErrReauthRequired, err)
	default:
		return nil, fmt.Errorf("auth: %s: loading the token: %w", s.key, err)
	}
}

// fail remembers that t cannot be renewed and drops it from the cache.
func (s *Source) fail(t *Token, err error) error {
	s.mu.Lock()
	s.trouble().failed = &failure{err: err, access: t.AccessToken, rtok: t.RefreshToken}
	s.mu.Unlock()
	s.publish(nil)
	return err
}

// load reads the key from the store; the token may be the store's own
// (see sharingStore), so it is never changed.
func (s *Source) load(ctx context.Context) (*Token, error) {
	if s.shared != nil {
		return s.shared.loadShared(ctx, s.key)
	}
	return s.store.Load(ctx, s.key)
}

// save writes t, which nobody changes afterwards, to the store.
func (s *Source) save(ctx context.Context, t *Token) error {
	if s.shared != nil {
		return s.shared.saveShared(ctx, s.key, t)
	}
	return s.store.Save(ctx, s.key, t)
}

// sameToken reports whether a and b carry the same credentials.
func sameToken(a, b *Token) bool {
	return a != nil && b != nil && a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken
}

// refreshAt is when t must be refreshed, decided from t alone, whether the
// source has just obtained it, read it from the Store or recovered it: the
// leeway before its expiry, or half its lifetime before its expiry when
// that lifetime (recorded by noteLifetime) is shorter than twice the
// leeway, so that a short-lived token is not stale on arrival. Zero means
// never.
func (s *Source) refreshAt(t *Token) time.Time {
	if t.Expiry.IsZero() {
		return time.Time{}
	}
	lead := s.o.leeway
	if life := s.issuedLifetime(t); life > 0 && life/2 < lead {
		lead = life / 2
	}
	return t.Expiry.Round(0).Add(-lead)
}

// stale reports whether t is due for a refresh at now (see refreshAt).
func (s *Source) stale(t *Token, now time.Time) bool {
	at := s.refreshAt(t)
	return !at.IsZero() && !now.Before(at)
}

// newEntry prepares t for the hot path, to be refreshed at refreshAt
// (zero: never).
func (s *Source) newEntry(t *Token, refreshAt time.Time) *entry {
	at := int64(math.MaxInt64)
	if !refreshAt.IsZero() {
		at = refreshAt.UnixNano()
	}
	return &entry{tok: t, refreshAt: at}
}

// lifetimeField is the token field that keeps a sliding token's lifetime
// across restarts: the token response's own expires_in, in seconds.
const lifetimeField = "expires_in"

// lifetimeFields is lifetimeField as the name list seconds reads.
var lifetimeFields = []string{lifetimeField}

// noteLifetime records the lifetime of a token the source has just
// obtained in its Extra, so that a Store keeps it: a sliding-expiry token
// slides by it, and refreshAt needs it for a token shorter than twice the
// leeway. (For a longer token the leeway decides alone, so its Extra is
// left as the provider sent it.) Whole seconds are written as an integer,
// as expires_in is on the wire.
func (s *Source) noteLifetime(t *Token, now time.Time) {
	if t.Expiry.IsZero() {
		return
	}
	if _, ok := t.Extra[lifetimeField]; ok {
		return
	}
	life := t.Expiry.Sub(now).Round(time.Millisecond)
	if life <= 0 || (!s.caps.SlidingExpiry && life >= 2*s.o.leeway) {
		return
	}
	if t.Extra == nil {
		t.Extra = map[string]json.RawMessage{}
	}
	t.Extra[lifetimeField] = json.RawMessage(strconv.FormatFloat(life.Seconds(), 'f', -1, 64))
}

// issuedLifetime is how long t lives from its issue (or, for a sliding
// token, from its last use); zero when unknown.
func (s *Source) issuedLifetime(t *Token) time.Duration {
	if s.caps.SlidingExpiry && s.o.slideLifetime > 0 {
		return s.o.slideLifetime
	}
	d, _, err := seconds(t.Extra, lifetimeFields)
	if err != nil {
		return 0
	}
	return d
}

// lifetime is how far a use slides t's expiry; zero for providers without
// sliding expiry.
func (s *Source) lifetime(t *Token) time.Duration {
	if !s.caps.SlidingExpiry {
		return 0
	}
	return s.issuedLifetime(t)
}

// SetToken installs t, typically just after a login: it saves t to the
// Store, forgets any remembered refusal and serves t from now on.
func (s *Source) SetToken(ctx context.Context, t *Token) error {
	if t == nil || (t.AccessToken == "" && t.RefreshToken == "") {
		return errors.New("auth: SetToken needs a token with an access or refresh token")
	}
	t = t.Clone()
	if t.Provider == "" {
		t.Provider = s.p.Name()
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	now := s.o.now()
	s.noteLifetime(t, now)
	if l := s.locker; l != nil {
		unlock, err := l.Lock(ctx, s.key)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if err := s.save(ctx, t); err != nil {
		return fmt.Errorf("auth: %s: saving the token: %w", s.key, err)
	}
	s.mu.Lock()
	s.forgetTrouble()
	s.mu.Unlock()
	var old *Token
	if e := s.cur.Load(); e != nil {
		old = e.tok
	}
	if s.o.onChange != nil {
		s.o.onChange(old, t)
	}
	if t.AccessToken == "" {
		// A refresh token alone: the first call trades it.
		s.publish(nil)
		return nil
	}
	s.publish(s.newEntry(t, s.refreshAt(t)))
	return nil
}

// invalidate tells the source that a resource server refused stale (an
// access token it handed out); nil means the current token. The next call
// refreshes, unless another caller has already replaced stale. It also
// forgets a remembered refusal, so the provider is asked once more.
func (s *Source) invalidate(stale *Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cur.Load()
	if stale == nil && e != nil {
		stale = e.tok
	}
	if stale != nil && e != nil && e.tok.AccessToken != stale.AccessToken {
		return
	}
	if stale != nil {
		s.trouble().rejected = stale.AccessToken
	}
	if tr := s.tr.Load(); tr != nil {
		tr.failed = nil
		tr.backoff = time.Time{}
	}
	s.replace(e, nil)
}

// Close lets go of the cached token; the stored token is kept, and a later
// call loads it again. A long-running server calls it (through
// Manager.Forget) for users it stops serving, so that idle users hold no
// memory. Close does not wait for a refresh in flight:
// that refresh still saves its token and answers its callers, but the
// closed source does not cache it.
func (s *Source) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.flight.Load(); f != nil {
		f.closed = true
	}
	s.publish(nil)
}

// endSession is Close for a logout: a refresh in flight fails rather than
// hand out its token, and everything remembered about the old session is
// dropped. The Store is left to the caller (Manager.Logout deletes).
func (s *Source) endSession() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetTrouble()
	if f := s.flight.Load(); f != nil {
		f.closed, f.loggedOut = true, true
	}
	s.publish(nil)
}

// ForceRefresh replaces stale even though it has not expired, because a
// resource server refused it (a 401 invalid_token), and returns the new
// token. If another caller has already replaced stale, it returns that
// token without asking the provider again.
func (s *Source) ForceRefresh(ctx context.Context, stale *Token) (*Token, error) {
	s.invalidate(stale)
	return s.TokenContext(ctx)
}

// touch records that the provider just accepted used (the token a request
// carried). For providers with sliding expiry (Capabilities.SlidingExpiry)
// it moves the token's expiry to now plus its lifetime, and writes that to
// the Store at most once per slide-save interval. For other providers it
// does nothing. Transport calls it after every successful response.
func (s *Source) touch(ctx context.Context, used *Token) error {
	if !s.caps.SlidingExpiry {
		return nil
	}
	e := s.cur.Load()
	if e == nil || (used != nil && e.tok != used) {
		return nil
	}
	life := s.lifetime(e.tok)
	if life <= 0 {
		return nil
	}
	now := s.o.now()
	exp := now.Add(life)
	if exp.Sub(e.tok.Expiry) < slideStep {
		return nil
	}
	nt := e.tok.Clone()
	nt.Expiry = exp
	ne := s.newEntry(nt, s.refreshAt(nt))
	if !s.replace(e, ne) {
		return nil
	}
	tr := s.tr.Load()
	if tr == nil {
		s.mu.Lock()
		tr = s.trouble()
		s.mu.Unlock()
	}
	last := tr.lastSlideSave.Load()
	if last != 0 && now.UnixNano()-last < int64(s.o.slideSave) {
		return nil
	}
	if !tr.lastSlideSave.CompareAndSwap(last, now.UnixNano()) {
		return nil
	}
	return s.saveSlide(ctx, nt)
}

// saveSlide writes a slid expiry, but only over the same token: a refresh
// or a login that saved another token in the meantime wins.
func (s *Source) saveSlide(ctx context.Context, nt *Token) error {
	if !s.rmu.TryLock() {
		// A refresh or a login is writing a newer token right now.
		s.tr.Load().lastSlideSave.Store(0)
		return nil
	}
	defer s.rmu.Unlock()
	if l := s.locker; l != nil {
		unlock, err := l.Lock(ctx, s.key)
		if err != nil {
			return err
		}
		defer unlock()
	}
	stored, err := s.load(ctx)
	if err != nil {
		return fmt.Errorf("auth: %s: saving sliding expiry: %w", s.key, err)
	}
	if stored.AccessToken != nt.AccessToken || !stored.Expiry.Before(nt.Expiry) {
		return nil
	}
	if err := s.save(ctx, nt); err != nil {
		return fmt.Errorf("auth: %s: saving sliding expiry: %w", s.key, err)
	}
	return nil
}

// String describes the source by provider and key, never its tokens.
func (s *Source) String() string {
	return "auth.Source{provider=" + s.p.Name() + " key=" + s.key + "}"
}

// Format makes every fmt verb print String.
func (s *Source) Format(f fmt.State, verb rune) { formatRedacted(f, verb, s.String()) }
