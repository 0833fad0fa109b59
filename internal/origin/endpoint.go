package origin

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrInsecure means an endpoint is not HTTPS and not loopback. auth
// exports it as auth.ErrInsecureEndpoint.
var ErrInsecure = errors.New("endpoint must use https unless it is a loopback address")

// CheckEndpoint returns an error matching ErrInsecure unless raw is an
// absolute https URL, or http on a loopback host.
func CheckEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("endpoint %q is not an absolute URL", ForError(raw))
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%w: %s://%s", ErrInsecure, u.Scheme, u.Host)
}

// IsLoopback reports whether host names this machine: localhost or a
// loopback IP address.
func IsLoopback(host string) bool {
	if EqualHost(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ForError returns raw fit to quote in an error: its query and fragment
// cut, and any user information replaced by an ellipsis.
func ForError(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i] + "?…"
	}
	if scheme, rest, ok := strings.Cut(raw, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 && !strings.Contains(rest[:at], "/") {
			raw = scheme + "://…@" + rest[at+1:]
		}
	}
	return raw
}
