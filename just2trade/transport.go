package just2trade

import (
	"net/http"

	"github.com/brokerkit/brokerkit/auth"
)

// NewHTTPClient returns an HTTP client for NewClient that authorizes every
// request with src's token. Just2Trade answers a wrong, revoked or expired
// token with a bare 401 and has no refresh grant, so any 401 marks the
// token as refused and the call fails with an error matching
// auth.ErrReauthRequired: the user must log in again. Every successful
// call prolongs a sliding (EnvJust2Trade) token's local expiry, as the
// broker prolongs it. base nil means http.DefaultTransport. The token goes
// to the origin of each request only: a redirect to another scheme, host
// or port is refused with an error matching auth.ErrCrossOriginRedirect.
func NewHTTPClient(src *auth.Source, base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &auth.Transport{Source: src, Base: base}}
}
