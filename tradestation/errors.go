package tradestation

import (
	"errors"
	"fmt"

	"github.com/brokerkit/brokerkit/auth"
)

// ErrWrongAudience matches every *AudienceError.
var ErrWrongAudience = errors.New("token issued for another audience")

// ErrClientOnlyToken means a v2 client-credentials token (userid
// CLIENTONLYLOGIN) was used for a call that needs a user: it may only look
// up symbols.
var ErrClientOnlyToken = errors.New("client-credentials token may only look up symbols")

// AudienceError reports a token minted for one TradeStation audience and
// used against another API (an AOP token on the trading API, or the
// reverse). The client returns it before sending anything. It matches
// ErrWrongAudience and auth.ErrInvalidToken.
type AudienceError struct {
	// Want is the audience of the API being called; Got is the token's.
	Want, Got string
}

func (e *AudienceError) Error() string {
	return fmt.Sprintf("tradestation: token was issued for audience %s and cannot call %s; log in with that audience",
		e.Got, e.Want)
}

// Is reports whether target is ErrWrongAudience or auth.ErrInvalidToken.
func (e *AudienceError) Is(target error) bool {
	return target == ErrWrongAudience || target == auth.ErrInvalidToken
}
