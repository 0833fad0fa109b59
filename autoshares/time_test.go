package autoshares_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimeForms(t *testing.T) {
	want := time.Date(2019, 2, 19, 14, 53, 28, 0, time.UTC)
	for _, in := range []string{
		`"2019-02-19T14:53:28Z"`, `"2019-02-19T14:53:28"`, `"2019-02-19T16:53:28+02:00"`,
		`"02/19/2019 14:53:28"`, `1550588008`, `"1550588008"`, `636861848080000000`,
	} {
		var tm autoshares.Time
		require.NoError(t, json.Unmarshal([]byte(in), &tm), in)
		assert.True(t, want.Equal(tm.Time), "%s gave %s", in, tm.Time)
	}
	var tm autoshares.Time
	require.NoError(t, json.Unmarshal([]byte(`null`), &tm))
	assert.True(t, tm.IsZero())
	assert.Error(t, json.Unmarshal([]byte(`"yesterday"`), &tm))
	assert.Error(t, json.Unmarshal([]byte(`{}`), &tm))

	b, err := json.Marshal(autoshares.Time{Time: want})
	require.NoError(t, err)
	assert.Equal(t, `"2019-02-19T14:53:28Z"`, string(b))
}

// TestTimeTicksFarFromEpoch: .NET ticks of dates more than 292 years from
// 1970 (DateTime.MaxValue, a far expiry, an early date) are read exactly.
func TestTimeTicksFarFromEpoch(t *testing.T) {
	for in, want := range map[string]time.Time{
		`3155378975999999999`: time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC),
		`790815744000000000`:  time.Date(2506, 12, 31, 0, 0, 0, 0, time.UTC),
		`504911232000000000`:  time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		var tm autoshares.Time
		require.NoError(t, json.Unmarshal([]byte(in), &tm), in)
		assert.True(t, want.Equal(tm.Time), "%s gave %s, want %s", in, tm.Time, want)
	}
}
