package rest_test

import (
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/stretchr/testify/assert"
)

func TestPathf(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{rest.Pathf("brokerage/accounts/%s/balances", "11111"), "brokerage/accounts/11111/balances"},
		{rest.Pathf("marketdata/quotes/%s", rest.List{"MSFT", "BRK.B", "$SPX.X", "@ES"}), "marketdata/quotes/MSFT,BRK.B,$SPX.X,@ES"},
		{rest.Pathf("marketdata/quotes/%s", []string{"A,B", "C/D"}), "marketdata/quotes/A%2CB,C%2FD"},
		{rest.Pathf("options/%s", "MSFT 261218C400"), "options/MSFT%20261218C400"},
		{rest.Pathf("accounts/%s/orders", "../admin"), "accounts/..%2Fadmin/orders"},
		{rest.Pathf("accounts/%s/orders", ".."), "accounts/%2E%2E/orders"},
		{rest.Pathf("accounts/%s/orders", "."), "accounts/%2E/orders"},
		{rest.Pathf("accounts/%s", "x?token=y#z"), "accounts/x%3Ftoken=y%23z"},
		{rest.Pathf("orders/%d/legs/%d", 42, int64(7)), "orders/42/legs/7"},
		{rest.Pathf("bars/%s", 5*time.Minute), "bars/5m0s"},
		{rest.Pathf("flag/%v", true), "flag/true"},
		{rest.Pathf("users/%s", "ü"), "users/%C3%BC"},
		{rest.Pathf("quotes/%s", rest.List{}), "quotes/"},
	} {
		assert.Equal(t, tc.want, tc.got)
	}
}
