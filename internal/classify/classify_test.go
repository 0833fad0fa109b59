package classify_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/internal/classify"
)

// maxServerWait is the longest wait a server may impose through
// Retry-After: RetryAfter refuses delta-seconds above a week.
const maxServerWait = 7 * 24 * time.Hour

var decodeNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestRetryAfter(t *testing.T) {
	now := decodeNow
	assert.Equal(t, 120*time.Second, classify.RetryAfter(" 120 ", now))
	assert.Equal(t, time.Duration(0), classify.RetryAfter("", now))
	assert.Equal(t, time.Duration(0), classify.RetryAfter("-3", now))
	assert.Equal(t, 7*24*time.Hour, classify.RetryAfter("99999999999", now), "capped, not ignored")
	assert.Equal(t, time.Duration(0), classify.RetryAfter("soon", now))
	assert.Equal(t, 90*time.Second, classify.RetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now))
	assert.Equal(t, time.Duration(0), classify.RetryAfter(now.Add(-time.Hour).Format(http.TimeFormat), now))
}

// FuzzRetryAfter: any Retry-After value gives a wait between zero and
// maxServerWait, at any moment.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", " 60 ", "604800", "604801", "-1", "1e3", "9223372036854775807",
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "", "soon"} {
		f.Add(s, int64(1795435200))
	}
	f.Fuzz(func(t *testing.T, v string, nowUnix int64) {
		now := time.Unix(nowUnix%(1<<40), 0)
		if d := classify.RetryAfter(v, now); d < 0 || d > maxServerWait {
			t.Fatalf("Retry-After %q at %v gave %v", v, now, d)
		}
	})
}

func TestChallenges(t *testing.T) {
	h := http.Header{}
	h.Add("WWW-Authenticate", `Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`)
	h.Add("WWW-Authenticate", `Bearer realm="example", error="invalid_token", error_description="The access token expired"`)
	h.Add("WWW-Authenticate", `Negotiate dGVzdA==`)
	cs := classify.Challenges(h)
	require.Len(t, cs, 4)
	assert.Equal(t, "Newauth", cs[0].Scheme)
	assert.Equal(t, map[string]string{"realm": "apps", "type": "1", "title": `Login to "apps"`}, cs[0].Params)
	assert.Equal(t, "Basic", cs[1].Scheme)
	assert.Equal(t, "simple", cs[1].Params["realm"])
	assert.Equal(t, "invalid_token", cs[2].Params["error"])
	assert.Equal(t, "The access token expired", cs[2].Params["error_description"])
	assert.Equal(t, "dGVzdA==", cs[3].Params[""])

	b, ok := classify.Bearer(http.Header{"Www-Authenticate": {`bearer ERROR=invalid_token`}})
	require.True(t, ok)
	assert.Equal(t, "invalid_token", b.Params["error"])

	// Garbage never panics and never loops.
	for _, v := range []string{"", ",,,", "Bearer", "Bearer ,", `Bearer error="unterminated`, `Bearer error=`,
		"Bearer =x", `Bearer a="\`, "\x00\xff", "Bearer a=b c=d", "Bearer a=b,, ,c=d", strings.Repeat("Bearer a=b, ", 5000)} {
		classify.Challenges(http.Header{"Www-Authenticate": {v}})
	}
}

func FuzzChallenges(f *testing.F) {
	for _, s := range []string{`Bearer realm="x", error="invalid_token"`, `Basic abc==`, `a b=c, d`, `Bearer error="a\"b"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range classify.Challenges(http.Header{"Www-Authenticate": {s}}) {
			if c.Scheme == "" {
				t.Fatalf("empty scheme from %q", s)
			}
		}
	})
}
