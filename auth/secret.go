package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/brokerkit/brokerkit/internal/redact"
)

// Secret is a credential in a configuration: a client secret, an API key.
// It is a string that prints, marshals and logs as "[redacted]" (or as ""
// when empty, so that a missing secret still shows): String, every fmt
// verb (%#v included), LogValue and MarshalText, which encoding/json uses
// too. Reveal returns
// the value, for the one place that sends it.
//
// A Secret loads from configuration through UnmarshalText (a JSON string,
// or any text). It refuses the "[redacted]" placeholder, so that
// a configuration written by json.Marshal and read back fails at once
// rather than at the broker as a wrong secret.
//
// Two places see through any string type's methods: fmt does not call
// them on an unexported struct field (a type that keeps a Secret in one
// must redact itself, as Standard does), and encoding/json writes a map key
// of string kind as it is. Keep Secrets in exported fields and out of map
// keys.
//
// Tokens are not Secrets: *Token redacts itself, but the *oauth2.Token
// that TokenSource.Token returns (for golang.org/x/oauth2 interop) prints
// its access token with %v and json.Marshal. Do not log it.
type Secret string

// placeholder is what a non-empty Secret renders as.
const placeholder = redact.Mark

// errPlaceholder refuses to load the placeholder as a secret.
var errPlaceholder = errors.New(`auth: secret is the "` + placeholder +
	`" placeholder, not a real secret (was the configuration written by json.Marshal?)`)

// Reveal returns the secret itself. Call it only where the secret is sent.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return placeholder
}

// Format makes every fmt verb print String (quoted for %q and %#v), so no
// verb, %x included, shows the secret.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		formatRedacted(f, 's', strconv.Quote(s.String()))
		return
	}
	formatRedacted(f, verb, s.String())
}

// LogValue gives log/slog the redacted String.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText writes the redacted String; encoding/json writes it as a
// JSON string, so a configuration can be logged or dumped as JSON without
// its secrets.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the secret as is, refusing the "[redacted]"
// placeholder. encoding/json uses it for a JSON string; null leaves the
// Secret unchanged and any other JSON value is an error.
func (s *Secret) UnmarshalText(b []byte) error {
	if string(b) == placeholder {
		return errPlaceholder
	}
	*s = Secret(b)
	return nil
}
