package tradestationtest

import (
	"net/http"
	"time"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// Option configures NewServer.
type Option func(*options)

type options struct {
	now           func() time.Time
	rotating      bool
	rotation      time.Duration
	absolute      time.Duration
	reuseRevokes  bool
	pkce          oauthsim.PKCEMode
	legacyFields  bool
	authCodeParam bool
	rateLimits    RateLimits
	invalidAs404  bool
	redirects     []string
	addr          string // WithAddr
	// v2Redirect is the status of WebAPI v2's authorization redirects.
	v2Redirect int
	// heartbeat is the v3 streams' keep-alive period.
	heartbeat time.Duration
}

func defaultOptions() options {
	return options{now: time.Now, rotation: 30 * time.Minute, absolute: defaultAbsolute,
		pkce: oauthsim.PKCEOptional, rateLimits: DefaultRateLimits(), v2Redirect: http.StatusMovedPermanently,
		heartbeat: defaultHeartbeat}
}

// WithClock makes the emulator read time from now (a Clock's Now), so that
// token lifetimes, code lifetimes and rate-limit windows pass without
// sleeping.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithRedirectURL registers another redirect URI for every key, beside
// RedirectURL: a web app's per-broker callback such as
// "http://127.0.0.1/callback/tradestation" (any loopback port is accepted).
func WithRedirectURL(u string) Option {
	return func(o *options) { o.redirects = append(o.redirects, u) }
}

// WithRotatingRefresh configures the v3 keys for refresh-token rotation:
// every refresh returns a new refresh token, each lives for every (30
// minutes in the newer docs, 40 in the older), and the whole session ends
// absolute after the login (24 hours). Zero durations take those defaults.
// A reused old refresh token is refused; with revokeOnReuse it also
// revokes the session, as Auth0's reuse detection does.
func WithRotatingRefresh(every, absolute time.Duration, revokeOnReuse bool) Option {
	return func(o *options) {
		o.rotating = true
		if every > 0 {
			o.rotation = every
		}
		if absolute > 0 {
			o.absolute = absolute
		}
		o.reuseRevokes = revokeOnReuse
	}
}

// WithPKCERequired refuses v3 authorization requests without an S256
// challenge (the default accepts both flows).
func WithPKCERequired() Option {
	return func(o *options) { o.pkce = oauthsim.PKCERequired }
}

// WithLegacyTokenFields makes WebAPI v2 answer token requests in the
// 2013–2018 documented shape: "token" and "RefreshToken" instead of
// "access_token" and "refresh_token".
func WithLegacyTokenFields() Option {
	return func(o *options) { o.legacyFields = true }
}

// WithAuthCodeParam makes WebAPI v2 redirect with ?auth_code= (the 2013
// documentation) instead of ?code=.
func WithAuthCodeParam() Option {
	return func(o *options) { o.authCodeParam = true }
}

// WithInvalidSymbol404 makes WebAPI v2 answer a quote request holding an
// unknown symbol with 404 "INVALID SYMBOL" (one documented behaviour)
// instead of an item carrying "Error": "FAILED, INVALID SYMBOL" (the
// other, and the default).
func WithInvalidSymbol404() Option {
	return func(o *options) { o.invalidAs404 = true }
}

// WithRateLimits replaces DefaultRateLimits. The zero RateLimits turns
// rate limiting off.
func WithRateLimits(l RateLimits) Option {
	return func(o *options) { o.rateLimits = l }
}

// WithV2RedirectStatus sets the status of WebAPI v2's authorization
// redirects (the code, a fragment token or an error sent back to the
// app): 301, 302 or 303. The default is 301, the "HTTP 301 Redirect" the
// v2 documentation shows; 302 is what the v3 sign-in server (Auth0) and
// most servers answer. Apps see no difference, as a browser follows each
// with a GET of the callback; the option is for code that inspects the
// redirect itself. Start refuses any other status.
func WithV2RedirectStatus(status int) Option {
	return func(o *options) { o.v2Redirect = status }
}
