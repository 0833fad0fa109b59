package redact

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTextRemovesSecretsInEveryEncoding(t *testing.T) {
	sec := "s3cr3t/+value=="
	in := "bad token " + sec + " or " + "s3cr3t%2F%2Bvalue%3D%3D" + " or s3cr3t%2F+value=="
	out := Text(in, sec)
	assert.NotContains(t, out, "s3cr3t")
	assert.Equal(t, 3, strings.Count(out, Mark))
}

func TestTextFoldsControlsAndCaps(t *testing.T) {
	out := Text("line1\r\nline2\x00\u0085end")
	assert.Equal(t, "line1  line2  end", out)
	long := strings.Repeat("é", MaxText)
	out = Text(long)
	assert.LessOrEqual(t, len(out), MaxText+3)
	assert.True(t, strings.HasSuffix(out, "..."))
	assert.True(t, strings.HasPrefix(out, "é"))
}

func TestTextCutNeverLeavesPartOfASecret(t *testing.T) {
	sec := strings.Repeat("k", 40)
	in := strings.Repeat("x", MaxText-10) + sec
	assert.NotContains(t, Text(in, sec), "kkkkkkkkkk")
}

func TestShortValuesAreNotSecrets(t *testing.T) {
	assert.Equal(t, "a b c", Text("a b c", "a", ""))
}

func TestTextRemovesJSONEscapedSecrets(t *testing.T) {
	sec := "tok/<en>&1"
	body := `{"echo":"tok\/\u003cen\u003e\u00261","go":"tok/\u003cen\u003e\u00261"}`
	out := Secrets(body, sec)
	assert.NotContains(t, out, "tok")
	assert.Equal(t, 2, strings.Count(out, Mark))
}

func TestWaitIsBounded(t *testing.T) {
	assert.Equal(t, time.Duration(0), Wait(-5))
	assert.Equal(t, time.Duration(0), Wait(math.NaN()))
	assert.Equal(t, time.Duration(0), Wait(math.Inf(-1)))
	assert.Equal(t, 1500*time.Millisecond, Wait(1.5))
	assert.Equal(t, MaxWait, Wait(math.Inf(1)))
	assert.Equal(t, MaxWait, Wait(1e300))
	assert.Equal(t, MaxWait, Wait(float64(math.MaxUint64)))
	assert.Equal(t, MaxWait, Wait(time.Until(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)).Seconds()))
}

func TestURLErrorDropsTheURL(t *testing.T) {
	cause := errors.New("connection refused")
	err := &url.Error{Op: "Get", URL: "https://h/token?client_secret=sekrit", Err: cause}
	assert.Same(t, cause, URLError(err))
	assert.Same(t, cause, URLError(fmt.Errorf("wrapped: %w", err)))
	plain := errors.New("plain")
	assert.Same(t, plain, URLError(plain))
	assert.Nil(t, URLError(nil))
}

func TestCredentials(t *testing.T) {
	assert.Nil(t, Credentials(" "))
	assert.Equal(t, []string{"Bearer tok-123", "tok-123"}, Credentials("Bearer tok-123"))
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("id:s%2Fcret"))
	got := Credentials(basic)
	assert.Contains(t, got, "s%2Fcret")
	assert.Contains(t, got, "s/cret")
	assert.Contains(t, got, "id:s%2Fcret")
	assert.Equal(t, []string{"opaque"}, Credentials("opaque"))
}

func TestBytes(t *testing.T) {
	tok := "eyJhbGciOi.J9-abc_def/ghi+jkl="
	clean := []byte(`{"items":[{"error":"not entitled"}]}`)
	if got := Bytes(clean, tok); &got[0] != &clean[0] {
		t.Fatal("a clean body was copied")
	}
	for _, spelling := range []string{tok, url.QueryEscape(tok), strings.ReplaceAll(tok, "/", `\/`)} {
		body := []byte(`{"error":"bad token ` + spelling + `"}`)
		got := string(Bytes(body, tok))
		if strings.Contains(got, "ghi") || !strings.Contains(got, Mark) {
			t.Errorf("%s: %s", spelling, got)
		}
	}
	if p := probe("ab/cdefgh+ij"); p != "cdefgh" {
		t.Errorf("probe = %q", p)
	}
}
