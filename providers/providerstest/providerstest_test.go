package providerstest_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
)

// TestSetQuoteMovesThePrice: a price set at an emulator is the price its
// broker then quotes; cTrader's emulator, whose prices move by themselves,
// says it cannot.
func TestSetQuoteMovesThePrice(t *testing.T) {
	ctx := context.Background()
	for _, name := range providerstest.Names() {
		t.Run(name, func(t *testing.T) {
			em, err := providerstest.Start(name)
			require.NoError(t, err)
			defer em.Close()
			b, err := providers.Builtin().Lookup(name)
			require.NoError(t, err)
			last := decimal.RequireFromString("123.45")
			err = em.SetQuote(b.Symbols[0], last)
			if name == "spotware" {
				require.ErrorIs(t, err, auth.ErrUnsupported)
				return
			}
			require.NoError(t, err)
			require.Error(t, em.SetQuote(b.Symbols[0], decimal.Zero))

			v, err := em.View(ctx)
			require.NoError(t, err)
			defer v.Close()
			qs, err := v.Quotes(ctx, b.Symbols[0])
			require.NoError(t, err)
			require.Len(t, qs, 1)
			require.True(t, qs[0].Last.Valid)
			assert.True(t, qs[0].Last.Decimal.Equal(last), "last %s, want %s", qs[0].Last.Decimal, last)
		})
	}
}
