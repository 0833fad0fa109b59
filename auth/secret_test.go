package auth_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

const secretValue = "sv-CLIENT-SECRET-0f1e2d3c"

// holder is an application's own configuration with a Secret in it.
type holder struct {
	Name   string
	Secret auth.Secret
	Ptr    *auth.Secret
	List   []auth.Secret
	Map    map[string]auth.Secret
	Any    any
}

// secretRenderings renders v every common way.
func secretRenderings(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-12v", "%T"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	out["json"] = string(b)
	b, err = json.MarshalIndent(map[string]any{"v": v}, "", " ")
	require.NoError(t, err)
	out["json map"] = string(b)
	b, err = xml.Marshal(struct {
		XMLName xml.Name `xml:"x"`
		V       any
	}{V: v})
	if err == nil {
		out["xml"] = string(b)
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("m", "v", v, slog.Group("g", slog.Any("inner", v)))
		out[name] = buf.String()
	}
	return out
}

func assertSecretHidden(t *testing.T, what string, v any) {
	t.Helper()
	hexed := hex.EncodeToString([]byte(secretValue))
	for how, s := range secretRenderings(t, v) {
		if strings.Contains(s, secretValue) || strings.Contains(strings.ToLower(s), hexed) {
			t.Errorf("%s rendered with %s leaks the secret: %s", what, how, s)
		}
	}
}

// TestSecretRendersRedacted: a Secret, alone, behind a pointer, or inside
// a struct, slice, map or interface, shows no byte of its value through
// fmt (any verb), encoding/json, encoding/xml, MarshalText or log/slog.
func TestSecretRendersRedacted(t *testing.T) {
	s := auth.Secret(secretValue)
	h := holder{Name: "app", Secret: s, Ptr: &s, List: []auth.Secret{s}, Map: map[string]auth.Secret{"k": s}, Any: s}
	for what, v := range map[string]any{
		"Secret": s, "*Secret": &s, "struct": h, "*struct": &h,
		"[]Secret": []auth.Secret{s, s}, "map": map[string]auth.Secret{"k": s},
	} {
		assertSecretHidden(t, what, v)
	}

	assert.Equal(t, "[redacted]", s.String())
	assert.Equal(t, `"[redacted]"`, fmt.Sprintf("%#v", s))
	assert.Equal(t, "[redacted]", fmt.Sprintf("%v", s))
	assert.Equal(t, `"[redacted]"`, fmt.Sprintf("%q", s))
	assert.Equal(t, `"[redacted]"`, fmt.Sprintf("%#v", s))
	assert.Equal(t, "[redacted]", s.LogValue().String())
	b, err := s.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "[redacted]", string(b))
	b, err = json.Marshal(h)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"Secret":"[redacted]"`)
	assert.Equal(t, secretValue, s.Reveal(), "Reveal is the one way to the value")

	// An empty secret says so: a missing secret is worth seeing in a log.
	var empty auth.Secret
	assert.Equal(t, "", empty.String())
	assert.Equal(t, "", fmt.Sprintf("%v", empty))
	b, err = json.Marshal(empty)
	require.NoError(t, err)
	assert.Equal(t, `""`, string(b))
}

// TestSecretLoads: a configuration file's real secret loads through JSON
// and text decoding; the redaction placeholder, written by json.Marshal,
// is refused instead of becoming a wrong secret; a non-string is refused
// without its value in the error.
func TestSecretLoads(t *testing.T) {
	var cfg struct {
		ClientID     string
		ClientSecret auth.Secret
		APIKey       auth.Secret
	}
	require.NoError(t, json.Unmarshal([]byte(`{"ClientID":"id","ClientSecret":"`+secretValue+`","APIKey":"k\u00e9y"}`), &cfg))
	assert.Equal(t, secretValue, cfg.ClientSecret.Reveal())
	assert.Equal(t, "kéy", cfg.APIKey.Reveal())

	require.NoError(t, json.Unmarshal([]byte(`{"ClientSecret":null}`), &cfg))
	assert.Equal(t, secretValue, cfg.ClientSecret.Reveal(), "null leaves the value alone")

	var s auth.Secret
	require.NoError(t, s.UnmarshalText([]byte(secretValue)))
	assert.Equal(t, secretValue, s.Reveal())

	// Marshal, then load again: refused, not silently "[redacted]".
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	err = json.Unmarshal(b, &cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "placeholder")
	assert.Error(t, s.UnmarshalText([]byte("[redacted]")))

	for _, bad := range []string{`{"ClientSecret":12345678}`, `{"ClientSecret":["x"]}`, `{"ClientSecret":true}`} {
		err := json.Unmarshal([]byte(bad), &cfg)
		require.Error(t, err, bad)
		assert.NotContains(t, err.Error(), "12345678")
	}
}
