package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/auth"
)

// exchangeRecorder is a Provider whose Exchange records each call instead
// of contacting a server. It renders the options it receives through a
// Standard's AuthCodeURL, the one public way to read an AuthCodeOption.
type exchangeRecorder struct {
	name      string
	caps      auth.Capabilities
	issuer    string
	codeNames []string // when set, it implements CodeParamser

	render *auth.Standard
	calls  atomic.Int32
	mu     sync.Mutex
	codes  []string
	params []url.Values
	err    error // returned by Exchange when set
}

func newExchangeRecorder(t testing.TB, pkce bool) *exchangeRecorder {
	t.Helper()
	r, err := auth.NewStandard(auth.Config{Name: "render", ClientID: "render", AuthStyle: auth.AuthStylePublic,
		OmitResponseType: true,
		Endpoint:         auth.Endpoint{AuthURL: "https://render.invalid/a", TokenURL: "https://render.invalid/t"}})
	require.NoError(t, err)
	return &exchangeRecorder{name: "fake", caps: auth.Capabilities{PKCE: pkce}, render: r}
}

func (p *exchangeRecorder) Name() string                    { return p.name }
func (p *exchangeRecorder) Capabilities() auth.Capabilities { return p.caps }
func (p *exchangeRecorder) AuthCodeURL(state string, opts ...auth.AuthCodeOption) string {
	return "https://as.invalid/authorize?" + p.options(append(opts, auth.SetParam("state", state))).Encode()
}

func (p *exchangeRecorder) options(opts []auth.AuthCodeOption) url.Values {
	u, _ := url.Parse(p.render.AuthCodeURL("", opts...))
	q := u.Query()
	q.Del("client_id")
	return q
}

func (p *exchangeRecorder) Exchange(_ context.Context, code string, opts ...auth.AuthCodeOption) (*auth.Token, error) {
	p.calls.Add(1)
	p.mu.Lock()
	p.codes = append(p.codes, code)
	p.params = append(p.params, p.options(opts))
	p.mu.Unlock()
	if p.err != nil {
		return nil, p.err
	}
	return &auth.Token{AccessToken: "access-for-" + code, Provider: p.name}, nil
}

func (p *exchangeRecorder) Refresh(context.Context, *auth.Token) (*auth.Token, error) {
	return nil, auth.ErrUnsupported
}

func (p *exchangeRecorder) ClientCredentials(context.Context, ...string) (*auth.Token, error) {
	return nil, auth.ErrUnsupported
}

// issuerProvider adds Issuer() to the recorder.
type issuerProvider struct{ *exchangeRecorder }

func (p issuerProvider) Issuer() string { return p.issuer }

// codeParamProvider adds CodeParams() to the recorder.
type codeParamProvider struct{ *exchangeRecorder }

func (p codeParamProvider) CodeParams() []string { return p.codeNames }

func TestBegin(t *testing.T) {
	p := newExchangeRecorder(t, true)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f, err := auth.Begin(p, auth.FlowOptions{Scopes: []string{"openid", "Trade"}, TTL: time.Minute,
		Now: func() time.Time { return at }, RedirectURL: "http://127.0.0.1:31022/cb"},
		auth.FlowOptions{AuthParams: []auth.AuthCodeOption{auth.SetParam("audience", "aud")}})
	require.NoError(t, err)
	assert.Equal(t, "fake", f.Provider)
	assert.Len(t, f.State, 43, "32 random bytes, base64url")
	assert.Len(t, f.Verifier, 43)
	assert.Equal(t, at.Add(time.Minute), f.Expires)
	assert.Equal(t, "http://127.0.0.1:31022/cb", f.RedirectURL)
	u, err := url.Parse(f.URL)
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, f.State, q.Get("state"))
	assert.Equal(t, oauth2.S256ChallengeFromVerifier(f.Verifier), q.Get("code_challenge"))
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Equal(t, "openid Trade", q.Get("scope"))
	assert.Equal(t, "aud", q.Get("audience"))
	assert.Equal(t, "http://127.0.0.1:31022/cb", q.Get("redirect_uri"))

	g, err := auth.Begin(p)
	require.NoError(t, err)
	assert.NotEqual(t, f.State, g.State)
	assert.NotEqual(t, f.Verifier, g.Verifier)
	assert.WithinDuration(t, time.Now().Add(auth.DefaultFlowTTL), g.Expires, 5*time.Second)

	np := newExchangeRecorder(t, false)
	h, err := auth.Begin(np)
	require.NoError(t, err)
	assert.Empty(t, h.Verifier)
	assert.NotContains(t, h.URL, "code_challenge")

	_, err = auth.Begin(p, auth.FlowOptions{TTL: -time.Minute})
	assert.Error(t, err)
	_, err = auth.Begin(p, auth.FlowOptions{RedirectURL: "http://app.example.com/cb"})
	assert.ErrorIs(t, err, auth.ErrInsecureEndpoint)

	ip := issuerProvider{newExchangeRecorder(t, false)}
	ip.issuer = "https://as.example"
	i, err := auth.Begin(ip)
	require.NoError(t, err)
	assert.Equal(t, "https://as.example", i.Issuer)
	i, err = auth.Begin(ip, auth.FlowOptions{Issuer: "https://other.example"})
	require.NoError(t, err)
	assert.Equal(t, "https://other.example", i.Issuer, "an explicit issuer wins")
}

func cbQuery(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return q
}

func TestCompleteSuccess(t *testing.T) {
	p := newExchangeRecorder(t, true)
	f, err := auth.Begin(p, auth.FlowOptions{RedirectURL: "http://127.0.0.1:5000/cb"})
	require.NoError(t, err)
	tok, err := f.Complete(context.Background(), p, cbQuery("code", "c-1", "state", f.State))
	require.NoError(t, err)
	assert.Equal(t, "access-for-c-1", tok.AccessToken)
	require.Equal(t, []string{"c-1"}, p.codes)
	assert.Equal(t, url.Values{"code_verifier": {f.Verifier}, "redirect_uri": {"http://127.0.0.1:5000/cb"}}, p.params[0])
	assert.True(t, f.Used)
}

// TestCompleteRejects covers every callback the flow must refuse before any
// code exchange.
func TestCompleteRejects(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name   string
		query  func(f *auth.Flow) url.Values
		target error
	}{
		{"state mismatch", func(f *auth.Flow) url.Values { return cbQuery("code", "c", "state", f.State+"x") }, auth.ErrStateMismatch},
		{"state prefix", func(f *auth.Flow) url.Values { return cbQuery("code", "c", "state", f.State[:10]) }, auth.ErrStateMismatch},
		{"state missing", func(f *auth.Flow) url.Values { return cbQuery("code", "c") }, auth.ErrStateMismatch},
		{"state empty", func(f *auth.Flow) url.Values { return cbQuery("code", "c", "state", "") }, auth.ErrStateMismatch},
		{"access denied", func(f *auth.Flow) url.Values {
			return cbQuery("error", "access_denied", "error_description", "The user declined", "state", f.State)
		}, auth.ErrAccessDenied},
		{"missing code", func(f *auth.Flow) url.Values { return cbQuery("state", f.State) }, auth.ErrMissingCode},
		{"empty code", func(f *auth.Flow) url.Values { return cbQuery("state", f.State, "code", "") }, auth.ErrMissingCode},
		{"issuer mismatch", func(f *auth.Flow) url.Values {
			return cbQuery("code", "c", "state", f.State, "iss", "https://evil.example")
		}, auth.ErrIssuerMismatch},
		{"repeated state", func(f *auth.Flow) url.Values { return cbQuery("code", "c", "state", f.State, "state", f.State) }, auth.ErrBadCallback},
		{"repeated code", func(f *auth.Flow) url.Values { return cbQuery("code", "c", "code", "d", "state", f.State) }, auth.ErrBadCallback},
		{"repeated error", func(f *auth.Flow) url.Values { return cbQuery("error", "a", "error", "b", "state", f.State) }, auth.ErrBadCallback},
		{"repeated iss", func(f *auth.Flow) url.Values {
			return cbQuery("code", "c", "state", f.State, "iss", "https://as.example", "iss", "https://as.example")
		}, auth.ErrBadCallback},
		{"overlong code", func(f *auth.Flow) url.Values { return cbQuery("code", long, "state", f.State) }, auth.ErrBadCallback},
		{"overlong state", func(f *auth.Flow) url.Values { return cbQuery("code", "c", "state", long) }, auth.ErrBadCallback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := issuerProvider{newExchangeRecorder(t, true)}
			p.issuer = "https://as.example"
			f, err := auth.Begin(p)
			require.NoError(t, err)
			tok, err := f.Complete(context.Background(), p, tc.query(f))
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.ErrorIs(t, err, tc.target)
			assert.Zero(t, p.calls.Load(), "no exchange on a refused callback")
			assert.False(t, f.Used, "a refused callback does not consume the flow")

			// The genuine callback still works afterwards.
			_, err = f.Complete(context.Background(), p, cbQuery("code", "good", "state", f.State, "iss", "https://as.example"))
			require.NoError(t, err)
			assert.Equal(t, int32(1), p.calls.Load())
		})
	}
}

func TestCompleteAccessDeniedDetails(t *testing.T) {
	p := newExchangeRecorder(t, false)
	f, err := auth.Begin(p)
	require.NoError(t, err)
	_, err = f.Complete(context.Background(), p, cbQuery("error", "access_denied",
		"error_description", "User cancelled", "error_uri", "https://as.example/e", "state", f.State))
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "authorize", oe.Endpoint)
	assert.Equal(t, "fake", oe.Provider)
	assert.Equal(t, "User cancelled", oe.Description)
	assert.Equal(t, "https://as.example/e", oe.URI)
	assert.Equal(t, 0, oe.StatusCode)
}

func TestCompleteReplay(t *testing.T) {
	p := newExchangeRecorder(t, true)
	f, err := auth.Begin(p)
	require.NoError(t, err)
	q := cbQuery("code", "once", "state", f.State)
	_, err = f.Complete(context.Background(), p, q)
	require.NoError(t, err)
	_, err = f.Complete(context.Background(), p, q)
	assert.ErrorIs(t, err, auth.ErrFlowUsed)
	_, err = f.Complete(context.Background(), p, cbQuery("code", "other", "state", f.State))
	assert.ErrorIs(t, err, auth.ErrFlowUsed)
	_, err = f.Complete(context.Background(), p, cbQuery("state", f.State))
	assert.ErrorIs(t, err, auth.ErrFlowUsed, "a used flow says so even without a code")
	assert.Equal(t, int32(1), p.calls.Load())
}

// TestCompleteConcurrentReplay sends the same callback from many
// goroutines: exactly one exchanges.
func TestCompleteConcurrentReplay(t *testing.T) {
	p := newExchangeRecorder(t, true)
	f, err := auth.Begin(p)
	require.NoError(t, err)
	q := cbQuery("code", "race", "state", f.State)
	var wg sync.WaitGroup
	var ok, used atomic.Int32
	for range 16 {
		wg.Go(func() {
			_, err := f.Complete(context.Background(), p, q)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, auth.ErrFlowUsed):
				used.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), ok.Load())
	assert.Equal(t, int32(15), used.Load())
	assert.Equal(t, int32(1), p.calls.Load())
}

func TestCompleteExpired(t *testing.T) {
	p := newExchangeRecorder(t, true)
	now := time.Now()
	f, err := auth.Begin(p, auth.FlowOptions{TTL: time.Minute, Now: func() time.Time { return now }})
	require.NoError(t, err)
	now = now.Add(2 * time.Minute) // Complete reads the Begin clock
	_, err = f.Complete(context.Background(), p, cbQuery("code", "late", "state", f.State))
	assert.ErrorIs(t, err, auth.ErrFlowExpired)
	assert.Zero(t, p.calls.Load())
}

func TestCompleteIssuer(t *testing.T) {
	p := issuerProvider{newExchangeRecorder(t, false)}
	p.issuer = "https://as.example"
	f, err := auth.Begin(p)
	require.NoError(t, err)
	_, err = f.Complete(context.Background(), p, cbQuery("code", "c", "state", f.State, "iss", "https://as.example"))
	require.NoError(t, err, "matching iss")

	f, err = auth.Begin(p)
	require.NoError(t, err)
	_, err = f.Complete(context.Background(), p, cbQuery("code", "c", "state", f.State))
	require.NoError(t, err, "a server that sends no iss is accepted")

	np := newExchangeRecorder(t, false)
	f, err = auth.Begin(np)
	require.NoError(t, err)
	_, err = f.Complete(context.Background(), np, cbQuery("code", "c", "state", f.State, "iss", "https://any.example"))
	require.NoError(t, err, "no expected issuer: iss is not checked")
}

func TestCompleteWrongProvider(t *testing.T) {
	p := newExchangeRecorder(t, false)
	f, err := auth.Begin(p)
	require.NoError(t, err)
	other := newExchangeRecorder(t, false)
	other.name = "other"
	_, err = f.Complete(context.Background(), other, cbQuery("code", "c", "state", f.State))
	assert.ErrorIs(t, err, auth.ErrStateMismatch)
	assert.Zero(t, other.calls.Load())
}

func TestCompleteCodeParams(t *testing.T) {
	p := codeParamProvider{newExchangeRecorder(t, false)}
	p.codeNames = []string{"code", "auth_code"}
	f, err := auth.Begin(p)
	require.NoError(t, err)
	_, err = f.Complete(context.Background(), p, cbQuery("auth_code", "AFF345CD12B", "state", f.State))
	require.NoError(t, err)
	assert.Equal(t, []string{"AFF345CD12B"}, p.codes)
}

func TestCompleteExchangeFailureConsumesFlow(t *testing.T) {
	p := newExchangeRecorder(t, true)
	p.err = &auth.OAuthError{Code: "invalid_grant", StatusCode: 400}
	f, err := auth.Begin(p)
	require.NoError(t, err)
	_, err = f.Complete(context.Background(), p, cbQuery("code", "burnt", "state", f.State))
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	_, err = f.Complete(context.Background(), p, cbQuery("code", "burnt", "state", f.State))
	assert.ErrorIs(t, err, auth.ErrFlowUsed, "a code sent to the server is spent even if the exchange failed")
}

func TestCompleteURL(t *testing.T) {
	p := newExchangeRecorder(t, false)
	f, err := auth.Begin(p)
	require.NoError(t, err)
	_, err = f.CompleteURL(context.Background(), p, "http://127.0.0.1:1/cb?code=%zz&state="+f.State)
	assert.ErrorIs(t, err, auth.ErrBadCallback)
	_, err = f.CompleteURL(context.Background(), p, "http://[::1/cb")
	assert.ErrorIs(t, err, auth.ErrBadCallback)
	tok, err := f.CompleteURL(context.Background(), p, "http://127.0.0.1:1/cb?code=u1&state="+url.QueryEscape(f.State))
	require.NoError(t, err)
	assert.Equal(t, "access-for-u1", tok.AccessToken)
}

// TestFlowJSONRoundTrip stores a flow as JSON (as a session would), reads it
// back, and completes the copy; a used flow stays used across the trip.
func TestFlowJSONRoundTrip(t *testing.T) {
	p := issuerProvider{newExchangeRecorder(t, true)}
	p.issuer = "https://as.example"
	f, err := auth.Begin(p, auth.FlowOptions{RedirectURL: "http://127.0.0.1:9/cb"})
	require.NoError(t, err)
	b, err := json.Marshal(f)
	require.NoError(t, err)

	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	for _, k := range []string{"provider", "state", "verifier", "redirect_url", "issuer", "url", "expires"} {
		assert.Contains(t, raw, k)
	}

	var g auth.Flow
	require.NoError(t, json.Unmarshal(b, &g))
	assert.Equal(t, f.Provider, g.Provider)
	assert.Equal(t, f.State, g.State)
	assert.Equal(t, f.Verifier, g.Verifier)
	assert.Equal(t, f.RedirectURL, g.RedirectURL)
	assert.Equal(t, f.Issuer, g.Issuer)
	assert.Equal(t, f.URL, g.URL)
	assert.True(t, f.Expires.Equal(g.Expires))
	assert.False(t, g.Used)

	_, err = g.Complete(context.Background(), p, cbQuery("code", "c", "state", f.State, "iss", "https://as.example"))
	require.NoError(t, err)
	assert.Equal(t, f.Verifier, p.params[0].Get("code_verifier"))
	assert.Equal(t, "http://127.0.0.1:9/cb", p.params[0].Get("redirect_uri"))

	b, err = json.Marshal(&g)
	require.NoError(t, err)
	var h auth.Flow
	require.NoError(t, json.Unmarshal(b, &h))
	assert.True(t, h.Used)
	_, err = h.Complete(context.Background(), p, cbQuery("code", "c", "state", f.State))
	assert.ErrorIs(t, err, auth.ErrFlowUsed)
	assert.Equal(t, int32(1), p.calls.Load())
}

// FuzzFlowComplete parses arbitrary callback queries: no panic, a typed
// error, and an exchange only for a callback that carries exactly the
// flow's state, one code and no error, and never twice.
func FuzzFlowComplete(f *testing.F) {
	const state = "fuzz-state-0123456789abcdefghijklmnopqrstuv"
	f.Add("code=abc&state=" + state)
	f.Add("code=abc&state=" + state + "&iss=https%3A%2F%2Fas.example")
	f.Add("code=abc&state=" + state + "&iss=https%3A%2F%2Fevil.example")
	f.Add("state=" + state)
	f.Add("error=access_denied&error_description=no&state=" + state)
	f.Add("code=a&code=b&state=" + state)
	f.Add("code=abc&state=" + state + "&state=" + state)
	f.Add("code=abc&state=wrong")
	f.Add("code=%zz&state=" + state)
	f.Add("auth_code=abc&state=" + state)
	f.Add(";;&&==")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		p := codeParamProvider{newExchangeRecorder(t, true)}
		p.codeNames = []string{"code", "auth_code"}
		fl := &auth.Flow{Provider: "fake", State: state, Verifier: "v", Issuer: "https://as.example",
			Expires: time.Now().Add(time.Hour)}
		full := "http://127.0.0.1:1/cb?" + raw
		tok, err := fl.CompleteURL(context.Background(), p, full)
		if (tok == nil) == (err == nil) {
			t.Fatalf("want exactly one of token and error, got %v, %v", tok, err)
		}
		var q url.Values
		u, perr := url.Parse(full)
		if perr == nil {
			q, perr = url.ParseQuery(u.RawQuery)
		}
		if err == nil {
			if perr != nil || len(q["state"]) != 1 || q.Get("state") != state || len(q["error"]) != 0 {
				t.Fatalf("exchanged for a callback that should be refused: %q", raw)
			}
			if p.calls.Load() != 1 {
				t.Fatalf("%d exchanges", p.calls.Load())
			}
			// A replay of the same callback is refused.
			if _, err := fl.CompleteURL(context.Background(), p, full); !errors.Is(err, auth.ErrFlowUsed) {
				t.Fatalf("replay: %v", err)
			}
			if p.calls.Load() != 1 {
				t.Fatal("replay exchanged")
			}
			return
		}
		if p.calls.Load() != 0 {
			t.Fatalf("exchange despite error %v", err)
		}
		var oe *auth.OAuthError
		known := errors.As(err, &oe)
		for _, s := range []error{auth.ErrBadCallback, auth.ErrStateMismatch, auth.ErrIssuerMismatch, auth.ErrMissingCode} {
			known = known || errors.Is(err, s)
		}
		if !known {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

// TestCompleteErrorTextIsClean checks that a callback cannot put line
// breaks or an unbounded text into an error (and so into a log line).
func TestCompleteErrorTextIsClean(t *testing.T) {
	p := newExchangeRecorder(t, false)
	f, err := auth.Begin(p)
	require.NoError(t, err)
	desc := "first line\nlevel=ERROR forged=entry\r\x1b[31m" + strings.Repeat("é", 1500)
	_, err = f.Complete(context.Background(), p, cbQuery("error", "access_denied\n", "error_description", desc, "state", f.State))
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.ErrorIs(t, err, auth.ErrAccessDenied, "a cleaned code still matches")
	assert.NotContains(t, err.Error(), "\n")
	assert.NotContains(t, err.Error(), "\r")
	assert.NotContains(t, err.Error(), "\x1b")
	assert.Contains(t, err.Error(), "first line level=ERROR")
	assert.Less(t, len(err.Error()), 700)
	assert.True(t, utf8.ValidString(err.Error()))
}

// TestCompleteUsesBeginClock: a flow begun on a test clock far from the wall
// clock (an emulator's) is checked against that clock; restored from JSON,
// it has only the wall clock left.
func TestCompleteUsesBeginClock(t *testing.T) {
	p := newExchangeRecorder(t, true)
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	f, err := auth.Begin(p, auth.FlowOptions{Now: func() time.Time { return past }})
	require.NoError(t, err)
	b, err := json.Marshal(f)
	require.NoError(t, err)
	var restored auth.Flow
	require.NoError(t, json.Unmarshal(b, &restored))

	_, err = f.Complete(context.Background(), p, cbQuery("code", "c1", "state", f.State))
	require.NoError(t, err)
	_, err = restored.Complete(context.Background(), p, cbQuery("code", "c2", "state", restored.State))
	assert.ErrorIs(t, err, auth.ErrFlowExpired)
}

// Nil arguments from the app are errors or defaults, never panics.
func TestFlowNilArguments(t *testing.T) {
	_, err := auth.Begin(nil)
	assert.Error(t, err)

	p := newExchangeRecorder(t, true)
	f, err := auth.Begin(p, nil, auth.FlowOptions{Now: nil})
	require.NoError(t, err, "a nil option and a nil clock are ignored")
	assert.WithinDuration(t, time.Now().Add(auth.DefaultFlowTTL), f.Expires, 5*time.Second)

	_, err = f.Complete(context.Background(), nil, cbQuery("code", "c", "state", f.State))
	assert.Error(t, err)
	assert.Zero(t, p.calls.Load())

	s := &auth.FlowStore{}
	assert.Error(t, s.Put(nil), "a nil flow is an error, not a panic")
	assert.Zero(t, s.Len())
}

// TestCompleteConcurrentWithoutCode races a genuine callback against
// code-less ones carrying the same state: exactly one exchange, and (under
// -race) no unsynchronized access to the flow.
func TestCompleteConcurrentWithoutCode(t *testing.T) {
	for range 20 {
		p := newExchangeRecorder(t, true)
		f, err := auth.Begin(p)
		require.NoError(t, err)
		var wg sync.WaitGroup
		for i := range 8 {
			q := cbQuery("state", f.State)
			if i == 4 {
				q.Set("code", "c")
			}
			wg.Go(func() {
				_, err := f.Complete(context.Background(), p, q)
				if q.Get("code") == "" {
					assert.True(t, errors.Is(err, auth.ErrMissingCode) || errors.Is(err, auth.ErrFlowUsed), "%v", err)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1), p.calls.Load())
		assert.True(t, f.Used)
	}
}

// TestCompleteErrorNeedsState: an error callback is only believed when it
// carries this flow's state. A forged or stale "access_denied" (no state,
// another login's state) is a state mismatch, not "the user declined".
func TestCompleteErrorNeedsState(t *testing.T) {
	for name, q := range map[string]func(f *auth.Flow) url.Values{
		"no state":      func(*auth.Flow) url.Values { return cbQuery("error", "access_denied") },
		"foreign state": func(*auth.Flow) url.Values { return cbQuery("error", "access_denied", "state", "someone-else") },
		"empty state":   func(*auth.Flow) url.Values { return cbQuery("error", "access_denied", "state", "") },
		"other error":   func(*auth.Flow) url.Values { return cbQuery("error", "server_error") },
	} {
		t.Run(name, func(t *testing.T) {
			for _, allowMissing := range []bool{false, true} {
				p := newExchangeRecorder(t, true)
				p.caps.AllowMissingState = allowMissing
				f, err := auth.Begin(p)
				require.NoError(t, err)
				_, err = f.Complete(context.Background(), p, q(f))
				assert.ErrorIs(t, err, auth.ErrStateMismatch, "allowMissing=%t", allowMissing)
				assert.NotErrorIs(t, err, auth.ErrAccessDenied)
				var oe *auth.OAuthError
				assert.False(t, errors.As(err, &oe), "no OAuthError is built from an unbound callback")
				assert.Equal(t, 400, auth.CallbackStatus(err))
			}
		})
	}
	// With the right state the refusal is the user's.
	p := newExchangeRecorder(t, true)
	f, err := auth.Begin(p)
	require.NoError(t, err)
	_, err = f.Complete(context.Background(), p, cbQuery("error", "access_denied", "state", f.State))
	assert.ErrorIs(t, err, auth.ErrAccessDenied)
}

// TestCompleteRequireIssuer: a provider that documents sending iss (RFC
// 9207) has every callback without it refused, so a mix-up attacker cannot
// downgrade by leaving iss out; one that does not is unaffected.
func TestCompleteRequireIssuer(t *testing.T) {
	p := issuerProvider{newExchangeRecorder(t, false)}
	p.issuer = "https://as.example"
	p.caps.RequireIssuer = true
	f, err := auth.Begin(p)
	require.NoError(t, err)
	for _, q := range []url.Values{
		cbQuery("code", "c", "state", f.State),
		cbQuery("code", "c", "state", f.State, "iss", ""),
		cbQuery("error", "access_denied", "state", f.State),
		cbQuery("code", "c", "state", f.State, "iss", "https://evil.example"),
	} {
		_, err = f.Complete(context.Background(), p, q)
		assert.ErrorIs(t, err, auth.ErrIssuerMismatch, "%v", q)
		assert.NotErrorIs(t, err, auth.ErrAccessDenied)
	}
	assert.Zero(t, p.calls.Load())
	_, err = f.Complete(context.Background(), p, cbQuery("code", "c", "state", f.State, "iss", "https://as.example"))
	require.NoError(t, err)

	// Required but unknown: Begin refuses rather than accept every iss.
	np := newExchangeRecorder(t, false)
	np.caps.RequireIssuer = true
	_, err = auth.Begin(np)
	assert.Error(t, err)
	f, err = auth.Begin(np, auth.FlowOptions{Issuer: "https://as.example"})
	require.NoError(t, err)
	_, err = f.Complete(context.Background(), np, cbQuery("code", "c", "state", f.State))
	assert.ErrorIs(t, err, auth.ErrIssuerMismatch)
}

// TestCompleteMissingState: a callback without any state is accepted only
// when the provider opted in and the flow's PKCE verifier binds the code to
// this login; a present but wrong state is refused whatever the setting.
func TestCompleteMissingState(t *testing.T) {
	tests := []struct {
		name         string
		allowMissing bool
		pkce         bool
		query        func(f *auth.Flow) url.Values
		ok           bool
	}{
		{"default off", false, true, func(*auth.Flow) url.Values { return cbQuery("code", "c") }, false},
		{"opted in with PKCE", true, true, func(*auth.Flow) url.Values { return cbQuery("code", "c") }, true},
		{"opted in, auth_code", true, true, func(*auth.Flow) url.Values { return cbQuery("auth_code", "c") }, true},
		{"opted in without PKCE", true, false, func(*auth.Flow) url.Values { return cbQuery("code", "c") }, false},
		{"wrong state", true, true, func(*auth.Flow) url.Values { return cbQuery("code", "c", "state", "wrong") }, false},
		{"empty state", true, true, func(*auth.Flow) url.Values { return cbQuery("code", "c", "state", "") }, false},
		{"right state", true, true, func(f *auth.Flow) url.Values { return cbQuery("code", "c", "state", f.State) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := codeParamProvider{newExchangeRecorder(t, tc.pkce)}
			p.codeNames = []string{"code", "auth_code"}
			p.caps.AllowMissingState = tc.allowMissing
			f, err := auth.Begin(p)
			require.NoError(t, err)
			tok, err := f.Complete(context.Background(), p, tc.query(f))
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, "access-for-c", tok.AccessToken)
				assert.Equal(t, f.Verifier, p.params[0].Get("code_verifier"))
				return
			}
			assert.ErrorIs(t, err, auth.ErrStateMismatch)
			assert.Zero(t, p.calls.Load())
		})
	}
}
