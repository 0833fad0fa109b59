package spotware

import "context"

// Renew runs the stall watchdog's renewal of sub at once.
func (s *Session) Renew(ctx context.Context, sub *Subscription) error { return s.renew(ctx, sub) }
