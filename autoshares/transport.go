package autoshares

import (
	"net/http"

	"github.com/brokerkit/brokerkit/auth"
)

// NewHTTPClient returns an HTTP client for NewClient that authorizes every
// request with src's token, refreshing it ahead of expiry. AutoShares'
// documented 401 ({"Message":"Authorization has been denied for this
// request."}) carries no RFC 6750 error challenge, so any 401 counts as a
// refused token: with refresh tokens enabled the token is refreshed once
// and the request sent again; without, the call fails with an error
// matching auth.ErrReauthRequired. base nil means http.DefaultTransport.
// Like the other brokers' clients it sets no client-wide timeout (that
// costs a timer per request): bound calls with their context. The token,
// and the API key a Client adds, go to the origin of each request only: a
// redirect to another scheme, host or port is refused with an error
// matching auth.ErrCrossOriginRedirect.
func NewHTTPClient(src *auth.Source, base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &auth.Transport{Source: src, Base: base}}
}
