package spotware

import (
	"context"

	"github.com/brokerkit/brokerkit/auth"
)

// TokenSource supplies the session's access token. TokenContext returns
// the current token, refreshing early if it is about to expire;
// ForceRefresh refreshes now because the server refused stale, and returns
// the new token — or the current one when another caller has already
// replaced stale.
// Because cTrader's refresh token is single use, an implementation must
// save each new token before returning it; auth.TokenSource does.
type TokenSource interface {
	TokenContext(ctx context.Context) (*auth.Token, error)
	ForceRefresh(ctx context.Context, stale *auth.Token) (*auth.Token, error)
}

var _ TokenSource = (*auth.Source)(nil)
