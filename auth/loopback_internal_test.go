package auth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// fakeProvider is the least Provider a loopback login needs: its
// authorization URL carries every option, and it hands out a token for
// any code.
type fakeProvider struct{}

func (fakeProvider) Name() string               { return "fake" }
func (fakeProvider) Capabilities() Capabilities { return Capabilities{PKCE: true} }
func (fakeProvider) AuthCodeURL(state string, opts ...AuthCodeOption) string {
	v := url.Values{"state": {state}}
	applyOptions(v, opts)
	return "https://as.invalid/authorize?" + v.Encode()
}
func (fakeProvider) Exchange(_ context.Context, code string, _ ...AuthCodeOption) (*Token, error) {
	return &Token{AccessToken: "access-for-" + code}, nil
}
func (fakeProvider) Refresh(context.Context, *Token) (*Token, error) { return nil, ErrUnsupported }
func (fakeProvider) ClientCredentials(context.Context, ...string) (*Token, error) {
	return nil, ErrUnsupported
}

var errHeld = errors.New("address already in use (simulated)")

// secondAddress makes a loopback login in "localhost" mode listen on
// 127.0.0.1 and on a simulated second address, "second", whose binds
// answer as bind says: nil binds it (on a spare 127.0.0.1 port), an error
// refuses. The tests below so run the same way on machines with and
// without IPv6 loopback.
func secondAddress(bind func(port string) error) LoopbackOptions {
	var o LoopbackOptions
	o.listenHosts = []string{"127.0.0.1", "second"}
	o.listen = func(network, addr string) (net.Listener, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host != "second" {
			return net.Listen(network, addr)
		}
		if err := bind(port); err != nil {
			return nil, &net.OpError{Op: "listen", Net: network, Err: err}
		}
		return net.Listen(network, "127.0.0.1:0")
	}
	return o
}

// answer plays the browser: it sends the code with the flow's state to the
// redirect in authURL, through 127.0.0.1 with the redirect's Host.
func answer(t *testing.T, authURL string) (port string) {
	t.Helper()
	u, _ := url.Parse(authURL)
	ru, err := url.Parse(u.Query().Get("redirect_uri"))
	if err != nil || ru.Host == "" {
		t.Errorf("no redirect in %s", authURL)
		return ""
	}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+ru.Port()+ru.Path+"?code=c&state="+
		url.QueryEscape(u.Query().Get("state")), nil)
	req.Host = ru.Host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("callback: %v", err)
		return ru.Port()
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("callback answered %d", resp.StatusCode)
	}
	return ru.Port()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A fixed port held on one address of localhost: the login fails before
// the browser is sent anywhere.
func TestLoopbackSecondAddressHeldFixedPort(t *testing.T) {
	var opened atomic.Bool
	_, err := LoginLoopback(context.Background(), fakeProvider{}, LoopbackOptions{Host: "localhost", Port: freePort(t),
		Timeout: 5 * time.Second, Output: io.Discard,
		Open: func(string) error { opened.Store(true); return nil }},
		secondAddress(func(port string) error {
			if port == "0" {
				return nil // the address exists: only this port is taken
			}
			return errHeld
		}))
	if !errors.Is(err, errHeld) {
		t.Fatalf("err = %v, want the bind failure", err)
	}
	if opened.Load() {
		t.Fatal("the login went ahead with one address held by someone else")
	}
}

// A random port held on one address: the login moves to another port,
// free on both.
func TestLoopbackSecondAddressHeldRandomPortMoves(t *testing.T) {
	var tries []string
	var used string
	tok, err := LoginLoopback(context.Background(), fakeProvider{}, LoopbackOptions{Host: "localhost",
		Timeout: 5 * time.Second, Output: io.Discard,
		Open: func(authURL string) error { used = answer(t, authURL); return nil }},
		secondAddress(func(port string) error {
			if port == "0" {
				return nil
			}
			tries = append(tries, port)
			if len(tries) < 3 {
				return errHeld
			}
			return nil
		}))
	if err != nil || tok.AccessToken != "access-for-c" {
		t.Fatalf("login: %v, %v", tok, err)
	}
	if len(tries) != 3 || used != tries[2] {
		t.Fatalf("second-address binds %v, redirect port %s: want a new port after each failure", tries, used)
	}
}

// An address the machine does not have (no IPv6 loopback): nobody can hold
// it either, so the login goes on with 127.0.0.1 alone.
func TestLoopbackSecondAddressMissing(t *testing.T) {
	tok, err := LoginLoopback(context.Background(), fakeProvider{}, LoopbackOptions{Host: "localhost",
		Timeout: 5 * time.Second, Output: io.Discard,
		Open: func(authURL string) error { answer(t, authURL); return nil }},
		secondAddress(func(string) error { return errors.New("cannot assign requested address (simulated)") }))
	if err != nil || tok.AccessToken != "access-for-c" {
		t.Fatalf("login: %v, %v", tok, err)
	}
}
