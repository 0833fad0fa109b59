package authtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

// Config is one provider and the means to log in at its authorization
// server.
type Config struct {
	// Provider is the provider under test. Its Capabilities decide which
	// subtests expect success and which expect auth.ErrUnsupported.
	Provider auth.Provider
	// Login plays a consenting user: it follows authURL and returns the
	// callback URL the server redirected to, without fetching it.
	Login func(ctx context.Context, authURL string) (callbackURL string, err error)
	// Decline, when set, plays a user who refuses consent; the suite then
	// checks that completing the flow yields auth.ErrAccessDenied.
	Decline func(ctx context.Context, authURL string) (callbackURL string, err error)
	// FlowOptions are passed to every auth.Begin (scopes, redirect URL,
	// clock).
	FlowOptions []auth.FlowOption
	// Use, when set, calls the broker's API with tok and returns the
	// error, if any. The suite checks that fresh tokens work and revoked
	// ones do not.
	Use func(ctx context.Context, tok *auth.Token) error
	// ClientCredentialsScopes are requested by the client-credentials
	// subtest.
	ClientCredentialsScopes []string
	// NoRefreshToken says that logins may lack a refresh token even though
	// Capabilities().Refresh is true (a scope such as offline_access was
	// not requested). The refresh subtests then fail if none came back
	// only when this is false.
	NoRefreshToken bool
	// RevokeEndsAccess says that revoking a login also ends its access
	// token at once; with Use set, the suite then checks the API refuses
	// it. Auth0-style servers let access tokens live out their lifetime.
	RevokeEndsAccess bool
	// Secrets are strings that must never appear in an error (the client
	// secret, an API key). The client secret of a provider with a
	// Config() auth.Config method is added automatically.
	Secrets []string
	// Timeout bounds each subtest; zero means 30 seconds.
	Timeout time.Duration
}

// Run runs the conformance suite against cfg.Provider as subtests of t:
//
//   - login: Begin, Login and Complete yield a usable token; PKCE S256 is in
//     the URL when the provider supports it;
//   - state mismatch: a callback with a foreign or missing state is refused
//     before any exchange, so the code still works afterwards;
//   - code reuse: a second exchange of the same code fails, and the flow
//     refuses a second Complete;
//   - PKCE: a wrong verifier is refused (when PKCE is supported);
//   - declined consent: auth.ErrAccessDenied (when cfg.Decline is set);
//   - refresh: the refresh token is kept or rotated as Capabilities says; a
//     rotated-out one yields auth.ErrReauthRequired; or auth.ErrUnsupported;
//   - client credentials and revocation: work, or auth.ErrUnsupported;
//   - no secret (token, code, verifier, client secret) in any error text.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	require.NotNil(t, cfg.Provider, "authtest: Config.Provider is nil")
	require.NotNil(t, cfg.Login, "authtest: Config.Login is nil")
	s := &suite{cfg: cfg, p: cfg.Provider, caps: cfg.Provider.Capabilities()}
	if s.cfg.Timeout == 0 {
		s.cfg.Timeout = 30 * time.Second
	}
	if c, ok := cfg.Provider.(interface{ Config() auth.Config }); ok {
		s.secret(c.Config().ClientSecret.Reveal())
	}
	for _, sec := range cfg.Secrets {
		s.secret(sec)
	}
	t.Run("login", s.login)
	t.Run("state mismatch", s.stateMismatch)
	t.Run("code reuse", s.codeReuse)
	t.Run("pkce", s.pkce)
	t.Run("declined consent", s.declined)
	t.Run("refresh", s.refresh)
	t.Run("client credentials", s.clientCredentials)
	t.Run("revoke", s.revoke)
	t.Run("bad input", s.badInput)
	t.Run("no secret in errors", s.noSecrets)
}

type suite struct {
	cfg  Config
	p    auth.Provider
	caps auth.Capabilities

	mu      sync.Mutex
	secrets []string
	errs    []error
}

func (s *suite) secret(v string) {
	if v == "" {
		return
	}
	s.mu.Lock()
	s.secrets = append(s.secrets, v)
	s.mu.Unlock()
}

// seen records err for the final no-secret check and returns it.
func (s *suite) seen(err error) error {
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
	}
	return err
}

func (s *suite) token(t *auth.Token) {
	if t != nil {
		s.secret(t.AccessToken)
		s.secret(t.RefreshToken)
	}
}

func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	t.Cleanup(cancel)
	return ctx
}

// begin starts a flow and logs in, returning the flow and the callback.
func (s *suite) begin(t *testing.T, ctx context.Context) (*auth.Flow, string) {
	t.Helper()
	flow, err := auth.Begin(s.p, s.cfg.FlowOptions...)
	require.NoError(t, s.seen(err), "Begin")
	s.secret(flow.State)
	s.secret(flow.Verifier)
	cb, err := s.cfg.Login(ctx, flow.URL)
	require.NoError(t, s.seen(err), "Login")
	u, err := url.Parse(cb)
	require.NoError(t, err, "callback URL does not parse")
	for _, name := range codeParams(s.p) {
		s.secret(u.Query().Get(name))
	}
	return flow, cb
}

func codeParams(p auth.Provider) []string {
	if cp, ok := p.(auth.CodeParamser); ok {
		return cp.CodeParams()
	}
	return []string{"code"}
}

// callbackCode returns the code a callback carries.
func callbackCode(p auth.Provider, cb string) string {
	u, err := url.Parse(cb)
	if err != nil {
		return ""
	}
	for _, n := range codeParams(p) {
		if c := u.Query().Get(n); c != "" {
			return c
		}
	}
	return ""
}

// loginToken runs a whole login and returns its token.
func (s *suite) loginToken(t *testing.T, ctx context.Context) *auth.Token {
	t.Helper()
	flow, cb := s.begin(t, ctx)
	tok, err := flow.CompleteURL(ctx, s.p, cb)
	require.NoError(t, s.seen(err), "Complete")
	require.NotNil(t, tok)
	s.token(tok)
	return tok
}

func (s *suite) use(t *testing.T, ctx context.Context, tok *auth.Token, what string) {
	t.Helper()
	if s.cfg.Use != nil {
		assert.NoError(t, s.seen(s.cfg.Use(ctx, tok)), "%s: the API refused the token", what)
	}
}

func (s *suite) login(t *testing.T) {
	ctx := s.ctx(t)
	flow, err := auth.Begin(s.p, s.cfg.FlowOptions...)
	require.NoError(t, err)
	s.secret(flow.Verifier)
	u, err := url.Parse(flow.URL)
	require.NoError(t, err, "flow URL does not parse")
	q := u.Query()
	assert.Equal(t, flow.State, q.Get("state"), "the authorization URL carries the flow's state")
	assert.GreaterOrEqual(t, len(flow.State), 43, "state has at least 256 bits")
	if s.caps.PKCE {
		require.NotEmpty(t, flow.Verifier, "PKCE providers get a verifier")
		assert.Equal(t, "S256", q.Get("code_challenge_method"))
		sum := sha256.Sum256([]byte(flow.Verifier))
		assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), q.Get("code_challenge"))
		assert.NotContains(t, flow.URL, flow.Verifier, "the verifier never travels in the URL")
	} else {
		assert.Empty(t, q.Get("code_challenge"), "no PKCE challenge for a provider without PKCE")
	}

	cb, err := s.cfg.Login(ctx, flow.URL)
	require.NoError(t, s.seen(err), "Login")
	tok, err := flow.CompleteURL(ctx, s.p, cb)
	require.NoError(t, s.seen(err), "Complete")
	s.token(tok)
	assert.NotEmpty(t, tok.AccessToken)
	assert.Equal(t, s.p.Name(), tok.Provider)
	if !tok.Expiry.IsZero() {
		assert.True(t, tok.Expiry.After(time.Now().Add(-time.Minute)), "token expires in the past: %s", tok.Expiry)
	}
	if s.caps.Refresh && !s.cfg.NoRefreshToken {
		assert.NotEmpty(t, tok.RefreshToken, "Capabilities().Refresh but the login returned no refresh token")
	}
	for _, out := range []string{tok.String(), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok)} {
		assert.NotContains(t, out, tok.AccessToken, "a token prints its access token")
		if tok.RefreshToken != "" {
			assert.NotContains(t, out, tok.RefreshToken, "a token prints its refresh token")
		}
	}
	s.use(t, ctx, tok, "fresh login")
}

func (s *suite) stateMismatch(t *testing.T) {
	ctx := s.ctx(t)
	flow, cb := s.begin(t, ctx)
	u, err := url.Parse(cb)
	require.NoError(t, err)
	q := u.Query()
	for _, bad := range []string{"forged-" + flow.State[7:], ""} {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		if bad == "" {
			q2.Del("state")
		} else {
			q2.Set("state", bad)
		}
		_, err := flow.Complete(ctx, s.p, q2)
		assert.ErrorIs(t, s.seen(err), auth.ErrStateMismatch, "state %q", bad)
	}
	// The refusals exchanged nothing: the code still works.
	tok, err := flow.CompleteURL(ctx, s.p, cb)
	require.NoError(t, s.seen(err), "the code was spent by a refused callback")
	s.token(tok)
}

func (s *suite) codeReuse(t *testing.T) {
	ctx := s.ctx(t)
	flow, cb := s.begin(t, ctx)
	tok, err := flow.CompleteURL(ctx, s.p, cb)
	require.NoError(t, s.seen(err))
	s.token(tok)

	_, err = flow.CompleteURL(ctx, s.p, cb)
	assert.ErrorIs(t, s.seen(err), auth.ErrFlowUsed, "the flow refuses a second callback")

	code := callbackCode(s.p, cb)
	require.NotEmpty(t, code)
	var opts []auth.AuthCodeOption
	if flow.Verifier != "" {
		opts = append(opts, auth.SetParam("code_verifier", flow.Verifier))
	}
	if flow.RedirectURL != "" {
		opts = append(opts, auth.SetParam("redirect_uri", flow.RedirectURL))
	}
	again, err := s.p.Exchange(ctx, code, opts...)
	s.token(again)
	assert.Error(t, s.seen(err), "the server accepted an authorization code twice")
}

func (s *suite) pkce(t *testing.T) {
	if !s.caps.PKCE {
		flow, err := auth.Begin(s.p, s.cfg.FlowOptions...)
		require.NoError(t, err)
		assert.Empty(t, flow.Verifier, "no verifier without PKCE")
		return
	}
	ctx := s.ctx(t)
	flow, cb := s.begin(t, ctx)
	code := callbackCode(s.p, cb)
	require.NotEmpty(t, code)
	wrong := strings.Repeat("A", 43)
	s.secret(wrong)
	opts := []auth.AuthCodeOption{auth.SetParam("code_verifier", wrong)}
	if flow.RedirectURL != "" {
		opts = append(opts, auth.SetParam("redirect_uri", flow.RedirectURL))
	}
	tok, err := s.p.Exchange(ctx, code, opts...)
	s.token(tok)
	assert.Error(t, s.seen(err), "the server accepted a wrong PKCE verifier")
}

func (s *suite) declined(t *testing.T) {
	if s.cfg.Decline == nil {
		// Without a declining user, check the client side alone.
		flow, err := auth.Begin(s.p, s.cfg.FlowOptions...)
		require.NoError(t, err)
		_, err = flow.Complete(s.ctx(t), s.p, url.Values{"error": {"access_denied"}, "state": {flow.State}})
		assert.ErrorIs(t, s.seen(err), auth.ErrAccessDenied)
		return
	}
	ctx := s.ctx(t)
	flow, err := auth.Begin(s.p, s.cfg.FlowOptions...)
	require.NoError(t, err)
	cb, err := s.cfg.Decline(ctx, flow.URL)
	require.NoError(t, s.seen(err), "Decline")
	_, err = flow.CompleteURL(ctx, s.p, cb)
	assert.ErrorIs(t, s.seen(err), auth.ErrAccessDenied)
}

func (s *suite) refresh(t *testing.T) {
	ctx := s.ctx(t)
	tok := s.loginToken(t, ctx)
	if !s.caps.Refresh {
		_, err := s.p.Refresh(ctx, tok)
		assert.ErrorIs(t, s.seen(err), auth.ErrUnsupported, "Capabilities().Refresh is false")
		assert.False(t, s.caps.RefreshRotates, "RefreshRotates without Refresh")
		return
	}
	if tok.RefreshToken == "" {
		require.True(t, s.cfg.NoRefreshToken, "no refresh token to test with")
		_, err := s.p.Refresh(ctx, tok)
		assert.ErrorIs(t, s.seen(err), auth.ErrReauthRequired, "refresh without a refresh token")
		return
	}
	nt, err := s.p.Refresh(ctx, tok)
	require.NoError(t, s.seen(err), "Refresh")
	s.token(nt)
	assert.NotEmpty(t, nt.AccessToken)
	assert.NotEqual(t, tok.AccessToken, nt.AccessToken, "a refresh returned the same access token")
	require.NotEmpty(t, nt.RefreshToken, "Refresh must keep the old refresh token when none is returned")
	s.use(t, ctx, nt, "refreshed token")
	if s.caps.RefreshRotates {
		assert.NotEqual(t, tok.RefreshToken, nt.RefreshToken, "Capabilities().RefreshRotates but the refresh token did not change")
		_, err = s.p.Refresh(ctx, tok)
		assert.ErrorIs(t, s.seen(err), auth.ErrReauthRequired, "a rotated-out refresh token must be refused")
		nt2, err := s.p.Refresh(ctx, nt)
		s.token(nt2)
		assert.NoError(t, s.seen(err), "the current refresh token must still work")
	} else {
		assert.Equal(t, tok.RefreshToken, nt.RefreshToken, "a non-rotating provider changed the refresh token")
		nt2, err := s.p.Refresh(ctx, tok)
		s.token(nt2)
		assert.NoError(t, s.seen(err), "a non-rotating refresh token must work again")
	}
}

func (s *suite) clientCredentials(t *testing.T) {
	ctx := s.ctx(t)
	tok, err := s.p.ClientCredentials(ctx, s.cfg.ClientCredentialsScopes...)
	s.token(tok)
	if !s.caps.ClientCredentials {
		assert.ErrorIs(t, s.seen(err), auth.ErrUnsupported, "Capabilities().ClientCredentials is false")
		return
	}
	require.NoError(t, s.seen(err), "ClientCredentials")
	assert.NotEmpty(t, tok.AccessToken)
	assert.Equal(t, s.p.Name(), tok.Provider)
}

func (s *suite) revoke(t *testing.T) {
	ctx := s.ctx(t)
	r, ok := s.p.(auth.Revoker)
	if !s.caps.Revoke {
		if ok {
			tok := &auth.Token{AccessToken: "unused-access-token", RefreshToken: "unused-refresh-token"}
			s.token(tok)
			assert.ErrorIs(t, s.seen(r.Revoke(ctx, tok)), auth.ErrUnsupported, "Capabilities().Revoke is false")
		}
		return
	}
	require.True(t, ok, "Capabilities().Revoke but the provider is not an auth.Revoker")
	tok := s.loginToken(t, ctx)
	require.NoError(t, s.seen(r.Revoke(ctx, tok)), "Revoke")
	if s.caps.Refresh && tok.RefreshToken != "" {
		nt, err := s.p.Refresh(ctx, tok)
		s.token(nt)
		assert.ErrorIs(t, s.seen(err), auth.ErrReauthRequired, "a revoked refresh token still works")
	}
	if s.cfg.Use != nil && s.cfg.RevokeEndsAccess {
		assert.Error(t, s.seen(s.cfg.Use(ctx, tok)), "the API accepted a revoked login's access token")
	}
}

func (s *suite) badInput(t *testing.T) {
	ctx := s.ctx(t)
	bogus := "bogus-code-" + strings.Repeat("Z", 24)
	s.secret(bogus)
	tok, err := s.p.Exchange(ctx, bogus)
	s.token(tok)
	assert.Error(t, s.seen(err), "the server accepted an authorization code it never issued")
	_, err = s.p.Exchange(ctx, "")
	assert.ErrorIs(t, s.seen(err), auth.ErrMissingCode)
	if s.caps.Refresh {
		rt := "bogus-refresh-" + strings.Repeat("Q", 24)
		s.secret(rt)
		nt, err := s.p.Refresh(ctx, &auth.Token{AccessToken: "x", RefreshToken: rt})
		s.token(nt)
		assert.ErrorIs(t, s.seen(err), auth.ErrReauthRequired, "an unknown refresh token means logging in again")
	}
}

func (s *suite) noSecrets(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, err := range s.errs {
		texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
		var oe *auth.OAuthError
		if errors.As(err, &oe) {
			texts = append(texts, oe.Description)
		}
		for _, txt := range texts {
			for _, sec := range s.secrets {
				if len(sec) >= 8 && strings.Contains(txt, sec) {
					t.Errorf("an error reveals a secret (%d chars starting %q): %s", len(sec), sec[:3], redact(txt, sec))
				}
			}
		}
	}
}

func redact(txt, sec string) string { return strings.ReplaceAll(txt, sec, "[SECRET]") }
