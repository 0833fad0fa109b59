package exampletest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordHostsAndTerminal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	before := http.DefaultTransport
	t.Run("record", func(t *testing.T) {
		h := RecordHosts(t)
		resp, err := (&http.Client{}).Get(srv.URL)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, []string{strings.TrimPrefix(srv.URL, "http://")}, h.Seen())
	})
	assert.Equal(t, before, http.DefaultTransport, "restored when the test ends")

	term := NewTerminal()
	_, _ = term.Write([]byte("Open this address:\n  http://127.0.0.1:1/authorize?x=1\n"))
	_, _ = term.Write([]byte("  http://127.0.0.1:2/second\n"))
	assert.Equal(t, "http://127.0.0.1:1/authorize?x=1", <-term.URL())
	assert.Contains(t, term.String(), "second")
}
