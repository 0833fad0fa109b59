// Package redact makes text that came from outside (a server's error
// description, a rate-limit message, a callback parameter) safe to put in an
// error, a log line or JSON output: every secret the request carried is
// removed, control characters are folded to spaces and the length is capped.
//
// It is the one place where brokerkit cleans server-supplied text; every
// error built from such text goes through Text.
package redact

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxText bounds the bytes of server text kept in one error.
const MaxText = 512

// Mark replaces a removed secret.
const Mark = "[redacted]"

// minSecret is the shortest value treated as a secret: removing every "a" or
// "1" from a message would destroy it and protect nothing.
const minSecret = 4

// Text returns s with every occurrence of each secret (verbatim, and in its
// URL query and path encodings) replaced by Mark, control characters
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

// Secrets replaces every occurrence of each secret in s, verbatim and in its
// URL encodings, with Mark. It changes nothing else.
func Secrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < minSecret {
			continue
		}
		for _, form := range [...]string{sec, url.QueryEscape(sec), url.PathEscape(sec)} {
			if strings.Contains(s, form) {
				s = strings.ReplaceAll(s, form, Mark)
			}
		}
	}
	return s
}
