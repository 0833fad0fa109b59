package tradestation

import "context"

// ProfileService reads the logged-in user's profile.
type ProfileService service

// Get returns the OpenID Connect claims of the token's user from the
// sign-in server's /userinfo (scopes openid and profile; email with
// email). Trading and AOP tokens both work; v2 tokens do not.
func (s *ProfileService) Get(ctx context.Context) (*Profile, error) {
	if _, err := s.c.check(ctx, TradingAudience, AOPAudience); err != nil {
		return nil, err
	}
	var u Profile
	if _, err := s.c.signin.Get(ctx, "userinfo", nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}
