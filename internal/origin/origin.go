// Package origin holds the one rule for where credentials may go: only to
// the origin (scheme, host, port; RFC 6454) a request was first made to.
// auth.Transport applies it to every redirect hop it is asked to
// authorize, and internal/rest to the redirects its clients follow, so
// that neither a bearer token nor an application key reaches a host the
// caller did not name.
package origin

import (
	"net/http"
	"net/url"
	"strings"
)

// Of returns u's origin as scheme://host:port, lower-cased, with the
// scheme's default port filled in. It never includes user information,
// path or query, so it is safe in an error message.
func Of(u *url.URL) string {
	if u == nil {
		return ""
	}
	scheme := lowerASCII(u.Scheme)
	host := lowerASCII(u.Hostname())
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + port
}

// Same reports whether a and b have the same origin. A URL without a host
// shares no origin, not even with itself.
func Same(a, b *url.URL) bool {
	if a == nil || b == nil || a.Host == "" || b.Host == "" {
		return false
	}
	return Of(a) == Of(b)
}

// maxChain bounds the walk back along a redirect chain; http.Client stops
// after 10 hops by default.
const maxChain = 100

// First returns the request that started req's redirect chain: req itself
// when it is not a redirect, else the request of the first response,
// found through req.Response.Request. It returns nil when the chain is
// broken (a response without its request) or absurdly long, so that the
// caller can refuse rather than guess.
func First(req *http.Request) *http.Request {
	r := req
	for range maxChain {
		if r.Response == nil {
			return r
		}
		if r.Response.Request == nil {
			return nil
		}
		r = r.Response.Request
	}
	return nil
}

// EqualHost reports whether host names a and b are equal ignoring the case
// of ASCII letters only (RFC 3986 §3.2.2). strings.EqualFold also folds
// Unicode, taking "localhoſt" (long s) for "localhost" and the Kelvin sign
// for "k": a host name that merely folds to a trusted one is another host.
func EqualHost(a, b string) bool {
	return len(a) == len(b) && lowerASCII(a) == lowerASCII(b)
}

// lowerASCII lower-cases the ASCII letters of s and nothing else.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
