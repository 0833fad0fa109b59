// Package redact makes text that came from outside (a server's error
// description, a rate-limit message, a callback parameter) safe to put in an
// error, a log line or JSON output: every secret the request carried is
// removed, control characters are folded to spaces and the length is capped.
//
// It is the one place where brokerkit cleans what a server supplies: every
// error built from server text goes through Text, every wait a server asks
// for (Retry-After, X-RateLimit-Reset, a protocol's retry hint) goes through
// Wait, and every transport error goes through URLError before it is shown.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxText bounds the bytes of server text kept in one error.
const MaxText = 512

// Mark replaces a removed secret.
const Mark = "[redacted]"

// minSecret is the shortest value treated as a secret: removing every "a" or
// "1" from a message would destroy it and protect nothing.
const minSecret = 4

// Text returns s with every occurrence of each secret (in every spelling
// Secrets knows) replaced by Mark, control characters
// (C0, DEL, C1 and invalid UTF-8) turned into spaces, surrounding space
// trimmed, and the result cut to at most MaxText bytes on a rune boundary.
//
// Secrets are removed before the cut, so a secret can never survive
// partially at the end of a truncated message.
func Text(s string, secrets ...string) string {
	return TextN(s, MaxText, secrets...)
}

// TextN is Text with a caller-chosen length limit (n <= 0 means MaxText).
func TextN(s string, n int, secrets ...string) string {
	if n <= 0 {
		n = MaxText
	}
	s = Secrets(s, secrets...)
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s))
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// Secrets replaces every occurrence of each secret in s with Mark: verbatim,
// URL query- and path-encoded, as a server that form-decodes it reads it
// ("+" as a space), and each of these escaped inside a JSON string once or
// twice (a JSON echo of a JSON body), in Go's \u003c style or with the \/
// some servers write. It changes nothing else.
func Secrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < minSecret {
			continue
		}
		for _, form := range forms(sec) {
			if strings.Contains(s, form) {
				s = strings.ReplaceAll(s, form, Mark)
			}
		}
	}
	return s
}

// forms lists, without repeats, the spellings of sec that give it away.
func forms(sec string) []string {
	out := make([]string, 0, 4)
	add := func(f string) {
		if len(f) >= minSecret && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	add(sec)
	add(url.QueryEscape(sec))
	add(url.PathEscape(sec))
	if u, err := url.QueryUnescape(sec); err == nil {
		add(u)
	}
	for _, base := range slices.Clone(out) {
		once := jsonEscape(base)
		add(once)
		add(strings.ReplaceAll(once, "/", `\/`))
		add(jsonEscape(once))
	}
	return out
}

// jsonEscape is s as it appears between the quotes of a JSON string.
func jsonEscape(s string) string {
	j, _ := json.Marshal(s) // a string always marshals
	return string(j[1 : len(j)-1])
}

// Credentials lists the secrets in an Authorization (or
// Proxy-Authorization) header value, for Text to remove: the whole value,
// its credentials without the scheme and, for Basic, the decoded user:pass
// and password, raw and URL-unescaped (RFC 6749 §2.3.1 form-encodes them).
func Credentials(header string) []string {
	header = strings.TrimSpace(header)
	if header == "" {
		return nil
	}
	out := []string{header}
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok {
		return out
	}
	cred = strings.TrimSpace(cred)
	out = append(out, cred)
	if strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
			_, pass, _ := strings.Cut(string(raw), ":")
			out = append(out, string(raw), pass)
			if p, err := url.QueryUnescape(pass); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// MaxWait caps every wait a server asks for: a Retry-After in seconds or as
// a date, the time until an X-RateLimit-Reset, a protocol's retry hint. A
// week is longer than any quota window the supported brokers use (daily at
// most) and was already the bound on Retry-After seconds; a longer (or
// absurd: the year 9999) answer is read as MaxWait.
const MaxWait = 7 * 24 * time.Hour

// Wait turns a server-supplied wait in seconds into a Duration in
// [0, MaxWait]: negative and NaN are 0, anything over MaxWait (+Inf too) is
// MaxWait. It is the one place such waits are bounded.
func Wait(seconds float64) time.Duration {
	switch {
	case math.IsNaN(seconds) || seconds <= 0:
		return 0
	case seconds >= MaxWait.Seconds():
		return MaxWait
	}
	// Rounded, so that d.Seconds() comes back as d exactly.
	return time.Duration(math.Round(seconds * float64(time.Second)))
}

// URLError returns err without the URL of a *url.Error in its chain, whose
// query may carry a code, a token or a client secret: the *url.Error's
// cause is returned in its place. Other errors are returned unchanged.
func URLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Bytes is Secrets for a body: it returns b itself when no secret appears
// in it in any spelling, else a copy with each removed. It looks for each
// secret's longest run of characters that no URL or JSON escaping changes
// (letters, digits, "-", "_", "."), which every spelling of the secret
// contains, so a clean body costs one search per secret and no copy.
func Bytes(b []byte, secrets ...string) []byte {
	var found []string
	for _, sec := range secrets {
		if len(sec) < minSecret {
			continue
		}
		p := probe(sec)
		if len(p) < minSecret || bytes.Contains(b, []byte(p)) {
			found = append(found, sec)
		}
	}
	if len(found) == 0 {
		return b
	}
	return []byte(Secrets(string(b), found...))
}

// probe is the longest run of sec's characters that escaping keeps as
// they are.
func probe(sec string) string {
	best, start := "", -1
	for i := 0; i <= len(sec); i++ {
		keep := i < len(sec) && plain(sec[i])
		switch {
		case keep && start < 0:
			start = i
		case !keep && start >= 0:
			if i-start > len(best) {
				best = sec[start:i]
			}
			start = -1
		}
	}
	return best
}

func plain(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}
