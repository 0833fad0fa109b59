package main

import (
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/cmd/brokerkit/internal/emulate"
	"github.com/brokerkit/brokerkit/providers"
)

// The stand-in's session goes to the announced hosts (the environment's
// first) with the announced certificate as its only root, verified; other
// providers pass unchanged, and cTrader without usable Protobuf
// information is not wrapped, with the reason.
func TestWithAnnouncedSession(t *testing.T) {
	certPEM := otherCertPEM(t)
	block, _ := pem.Decode([]byte(certPEM))
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	pb := &emulate.Protobuf{Demo: "127.0.0.1:9405", Live: "127.0.0.1:9406", CertPEM: certPEM}
	for env, home := range map[auth.Environment]string{auth.Demo: pb.Demo, auth.Live: pb.Live} {
		p, err := providers.New("spotware", providers.Config{ClientID: "app", ClientSecret: "s3cret",
			RedirectURL: "http://127.0.0.1/callback", Environment: env, BaseURL: "http://127.0.0.1:9404"})
		require.NoError(t, err)
		w, err := withAnnouncedSession(p, pb)
		require.NoError(t, err)
		sc := w.(sessionProvider).SessionConfig(nil)
		assert.Equal(t, home, sc.Addr, env)
		assert.Equal(t, pb.Demo, sc.DemoAddr)
		assert.Equal(t, pb.Live, sc.LiveAddr)
		assert.Equal(t, "app", sc.ClientID)
		require.NotNil(t, sc.TLSConfig)
		assert.False(t, sc.TLSConfig.InsecureSkipVerify)
		assert.Nil(t, sc.TLSConfig.VerifyPeerCertificate)
		want := x509.NewCertPool()
		want.AddCert(cert)
		assert.True(t, want.Equal(sc.TLSConfig.RootCAs), "the announced certificate, and only it, is the root")
	}

	p, err := providers.New("spotware", providers.Config{ClientID: "app", ClientSecret: "s3cret",
		RedirectURL: "http://127.0.0.1/callback", Environment: auth.Demo, BaseURL: "http://127.0.0.1:9404"})
	require.NoError(t, err)
	for _, bad := range []*emulate.Protobuf{nil, {Demo: pb.Demo, Live: pb.Live}, {Demo: pb.Demo, CertPEM: certPEM},
		{Demo: pb.Demo, Live: pb.Live, CertPEM: certPEM + certPEM}, {Demo: pb.Demo, Live: pb.Live, CertPEM: "junk"}} {
		w, err := withAnnouncedSession(p, bad)
		assert.Error(t, err, "%+v", bad)
		assert.Same(t, p, w, "%+v", bad)
	}
	ts, err := providers.New("tradestation", providers.Config{ClientID: "app", ClientSecret: "s3cret",
		RedirectURL: "http://127.0.0.1/callback", Environment: "sim", BaseURL: "http://127.0.0.1:9401"})
	require.NoError(t, err)
	w, err := withAnnouncedSession(ts, pb)
	require.NoError(t, err)
	assert.Same(t, ts, w)
}
