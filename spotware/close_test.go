package spotware_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// connGoroutines counts the goroutines running a connection's reader or
// keepalive loop.
func connGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "spotware.(*conn).readLoop") || strings.Contains(g, "spotware.(*conn).keepalive") {
			n++
		}
	}
	return n
}

// TestCloseWaitsForConnGoroutines: Close returns only once the
// connection's reader and keepalive goroutines have ended, so nothing of
// the session runs (or reports) after it.
func TestCloseWaitsForConnGoroutines(t *testing.T) {
	for range 5 {
		e := newEnv(t, nil, nil)
		streaming(t, e)
		require.Positive(t, connGoroutines())
		require.NoError(t, e.sess.Close())
		require.Zero(t, connGoroutines(), "connection goroutines still running after Close")
	}
}
