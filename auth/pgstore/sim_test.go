package pgstore_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// sim is an authorization server on 127.0.0.1 that rotates refresh tokens
// and revokes the whole family when a rotated one is presented again, so
// that any refresh token spent twice shows up as an invalid_grant.
type sim struct {
	eng *oauthsim.Engine
	srv *httptest.Server

	tokenCalls    atomic.Int64
	invalidGrants atomic.Int64
	// held receives one value each time a request reaches holdPath; the
	// request then hangs until its client goes away, and never reaches
	// the engine (its refresh token stays unspent).
	held chan struct{}
}

const holdPath = "/hold/token"

func newSim(t testing.TB) *sim {
	t.Helper()
	eng, err := oauthsim.New(oauthsim.Config{
		Name:      "Sim Broker",
		Clients:   []oauthsim.Client{{ID: "app", Secret: "app-secret", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
		Users:     []oauthsim.User{{ID: "u1", Username: "alice", Password: "pw"}},
		AccessTTL: 20 * time.Minute,
		Refresh:   oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate, ReuseRevokesFamily: true},
	})
	require.NoError(t, err)
	s := &sim{eng: eng, held: make(chan struct{}, 16)}
	token := eng.Endpoint("").TokenURL
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case holdPath:
			// Reading the body to its end lets the server notice when
			// the client goes away.
			_, _ = io.Copy(io.Discard, r.Body)
			s.held <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
		case token:
			s.tokenCalls.Add(1)
			rec := &teeWriter{ResponseWriter: w}
			eng.ServeHTTP(rec, r)
			if bytes.Contains(rec.body.Bytes(), []byte("invalid_grant")) {
				s.invalidGrants.Add(1)
			}
		default:
			eng.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// endpoint is the server's endpoint for a provider.
func (s *sim) endpoint() auth.Endpoint { return s.eng.Endpoint(s.srv.URL) }

// provider returns a provider for the server, with tokenURL overriding the
// token endpoint when set and rt as its transport when set.
func newProvider(t testing.TB, ep auth.Endpoint, rt http.RoundTripper) *auth.Standard {
	t.Helper()
	client := &http.Client{Timeout: time.Minute}
	if rt != nil {
		client.Transport = rt
	}
	p, err := auth.NewStandard(auth.Config{
		Name: "sim", ClientID: "app", ClientSecret: "app-secret",
		Endpoint:     ep,
		AuthStyle:    auth.AuthStyleInHeader,
		Capabilities: auth.Capabilities{Refresh: true, RefreshRotates: true},
		HTTPClient:   client,
	})
	require.NoError(t, err)
	return p
}

// login mints alice's first token, as a completed login would.
func (s *sim) login(t testing.TB) *auth.Token {
	t.Helper()
	is, err := s.eng.Issue(oauthsim.IssueRequest{ClientID: "app", UserID: "u1"})
	require.NoError(t, err)
	return &auth.Token{AccessToken: is.AccessToken, RefreshToken: is.RefreshToken, TokenType: "Bearer",
		Expiry: time.Now().Add(20 * time.Minute), Provider: "sim"}
}

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.body.Len() < 4096 {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// countingPool returns a pool whose connections count round trips: each
// time a connection writes after having read (or writes first), the
// client has sent a new flight of messages and will wait for the answer.
func countingPool(t testing.TB, dsn string, trips *atomic.Int64) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc := &countingConn{Conn: c, trips: trips}
		cc.readLast.Store(true)
		return cc, nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

type countingConn struct {
	net.Conn
	trips    *atomic.Int64
	readLast atomic.Bool
}

func (c *countingConn) Write(b []byte) (int, error) {
	if c.readLast.Swap(false) {
		c.trips.Add(1)
	}
	return c.Conn.Write(b)
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.readLast.Store(true)
	}
	return n, err
}
