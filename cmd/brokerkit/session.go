package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/cmd/brokerkit/internal/emulate"
	"github.com/brokerkit/brokerkit/spotware"
)

// sessionProvider is a provider whose API is not at its BASE_URL but a
// session on hosts of its own (cTrader's Protobuf API).
type sessionProvider interface {
	SessionConfig(auth.TokenSource) spotware.SessionConfig
}

// announcedSession is the cTrader provider of a running `brokerkit
// emulate`, whose Protobuf session goes to the hosts the announcement
// names and trusts the certificate it carries, and nothing else: not the
// system's roots, and not cTrader's real hosts, which an emulator's token
// must never reach.
type announcedSession struct {
	*spotware.Provider
	demo, live string
	tls        *tls.Config
}

// SessionConfig is the provider's session configuration (the
// application's credentials, src) pointed at the announced hosts.
func (p *announcedSession) SessionConfig(src auth.TokenSource) spotware.SessionConfig {
	c := p.Provider.SessionConfig(src)
	c.DemoAddr, c.LiveAddr, c.Addr = p.demo, p.live, p.home()
	c.TLSConfig = p.tls.Clone()
	return c
}

// home is the host the session dials first.
func (p *announcedSession) home() string {
	if p.Environment() == auth.Live {
		return p.live
	}
	return p.demo
}

// certMismatchError says the announced host presents a certificate other
// than the announced one: a stale announcement, or another program on the
// port. It is no "try again later".
type certMismatchError struct {
	addr string
	err  *tls.CertificateVerificationError
}

func (e *certMismatchError) Error() string {
	return fmt.Sprintf("the emulator's Protobuf host %s presents a certificate other than the announced one, so no session was opened (%v): restart brokerkit emulate",
		e.addr, e.err)
}

func (e *certMismatchError) Unwrap() error { return e.err }

// whyFailed tells, after a session failed to open, whether the reason is
// the announced host's certificate: a cTrader session reports every
// failed dial as a lost connection, which is retried and "unavailable",
// so the handshake is made once more here, as pinned, to tell.
func (p *announcedSession) whyFailed(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d := tls.Dialer{Config: p.tls.Clone()}
	c, err := d.DialContext(ctx, "tcp", p.home())
	if err == nil {
		_ = c.Close()
		return nil
	}
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) {
		return &certMismatchError{addr: p.home(), err: ve}
	}
	return nil
}

// errNoAnnouncedSession says an announcement gives no Protobuf hosts and
// certificate for a broker whose API is a session (one written by an
// older brokerkit emulate).
var errNoAnnouncedSession = errors.New("the running brokerkit emulate announced no Protobuf hosts and certificate for it: restart brokerkit emulate with this brokerkit")

// withAnnouncedSession returns p, when it is a cTrader provider, as an
// announcedSession for the announced Protobuf hosts; other providers pass
// as they are. A cTrader provider with no usable announcement passes too,
// with the reason, and openView refuses it.
func withAnnouncedSession(p auth.Provider, pb *emulate.Protobuf) (auth.Provider, error) {
	sp, ok := p.(*spotware.Provider)
	if !ok {
		return p, nil
	}
	if pb == nil || pb.Demo == "" || pb.Live == "" || strings.TrimSpace(pb.CertPEM) == "" {
		return p, errNoAnnouncedSession
	}
	tc, err := pinnedTLS(pb.CertPEM)
	if err != nil {
		return p, err
	}
	return &announcedSession{Provider: sp, demo: pb.Demo, live: pb.Live, tls: tc}, nil
}

// pinnedTLS is a TLS configuration whose only root is the one certificate
// certPEM holds.
func pinnedTLS(certPEM string) (*tls.Config, error) {
	block, rest := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" || strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("the announced Protobuf certificate is not one PEM certificate: restart brokerkit emulate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the announced Protobuf certificate does not parse (%v): restart brokerkit emulate", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
