package spotware_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/stretchr/testify/require"
)

// TestHeartbeatCarriesEmptyPayload reads the SDK's own frames on a bare
// TLS server: its heartbeat carries the payload field, empty ("12 00"),
// as Spotware's SDKs write it.
func TestHeartbeatCarriesEmptyPayload(t *testing.T) {
	// httptest's certificate, served by a plain TLS listener.
	hs := httptest.NewUnstartedServer(nil)
	hs.StartTLS()
	cert := hs.TLS.Certificates[0]
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	hs.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })

	frames := make(chan []byte, 16)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		for {
			hdr := make([]byte, 4)
			if _, err := io.ReadFull(nc, hdr); err != nil {
				close(frames)
				return
			}
			body := make([]byte, binary.BigEndian.Uint32(hdr))
			if _, err := io.ReadFull(nc, body); err != nil {
				close(frames)
				return
			}
			frame := append(hdr, body...)
			frames <- frame
			if env, err := wire.ParseEnvelope(body); err == nil && env.PayloadType == 2100 {
				// ProtoOAApplicationAuthRes, written by hand.
				ans := []byte{0, 0, 0, byte(7 + len(env.ClientMsgID)), 0x08, 0xb5, 0x10, 0x12, 0x00, 0x1a, byte(len(env.ClientMsgID))}
				_, _ = nc.Write(append(ans, env.ClientMsgID...))
			}
		}
	}()

	cfg := spotware.SessionConfig{Addr: ln.Addr().String(), ClientID: spotwaretest.ClientID, ClientSecret: spotwaretest.ClientSecret,
		TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, HeartbeatInterval: 20 * time.Millisecond,
		RequestTimeout: 2 * time.Second}
	s, err := spotware.Dial(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f, ok := <-frames:
			require.True(t, ok, "connection ended before a heartbeat")
			if len(f) > 5 && f[4] == 0x08 && f[5] == 0x33 {
				require.Equal(t, "00000004"+"0833"+"1200", hex.EncodeToString(f))
				return
			}
		case <-deadline:
			t.Fatal("no heartbeat")
		}
	}
}
