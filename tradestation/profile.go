package tradestation

import "context"

// ProfileService reads the logged-in user's profile.
type ProfileService service

// Get returns the OpenID Connect claims of the token's user from the
// sign-in server's /userinfo (scopes openid and profile; email with
// email). Trading and AOP tokens both work; v2 tokens do not.
func (s *ProfileService) Get(ctx context.Context) (*Profile, error) {
	var u Profile
	if err := s.c.get(ctx, s.c.signin, signinAny, "userinfo", nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}
