package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
)

// TestAutoSharesStreamQuotes: the normalized feed of the quote streamer;
// a symbol the broker does not know is left out, not a dead stream.
// AutoShares documents no order stream.
func TestAutoSharesStreamQuotes(t *testing.T) {
	ctx := context.Background()
	v := openView(t, autoshares.Name)
	st, err := v.StreamQuotes(ctx, "NOPE", "AAPL")
	require.NoError(t, err)
	defer st.Close()
	select {
	case q, ok := <-st.C():
		require.True(t, ok, "stream ended: %v", st.Err())
		assert.Equal(t, autoshares.Name, q.Broker)
		assert.Equal(t, "AAPL", q.Symbol)
		assert.Equal(t, "196.28", q.Bid.Decimal.String())
		assert.Equal(t, "196.31", q.Ask.Decimal.String())
		assert.True(t, q.Last.Valid)
		assert.False(t, q.Time.IsZero())
		assert.IsType(t, autoshares.Quote{}, q.Raw)
	case <-time.After(5 * time.Second):
		t.Fatal("no quote")
	}
	require.NoError(t, st.Close())
	assert.Equal(t, uint64(1), st.Stats().Events, "the unknown symbol is not in the feed")

	_, err = v.StreamOrders(ctx, "6303")
	assert.ErrorIs(t, err, auth.ErrUnsupported)
}
