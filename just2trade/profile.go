package just2trade

import (
	"context"
	"encoding/json"
	"errors"
)

// Profile is the logged-in user, from GET /userinfo (and, in the first
// weeks of the documentation, GET /auth).
type Profile struct {
	// ID is the user's GUID.
	ID string `json:"id"`
	// Login is the user name.
	Login string `json:"login"`
	// Email is the user's e-mail address.
	Email string `json:"email"`
	// FirstName and LastName are absent from the oldest /auth shape.
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	// Domestic is undocumented; presumably a US-domestic client.
	Domestic bool `json:"domestic"`
	// Accounts are the user's brokerage accounts.
	Accounts []ProfileAccount `json:"accounts"`
	// Applications are the user's account applications. The older shape's
	// single "application" object becomes a one-element list.
	Applications []Application `json:"applications"`
}

// ProfileAccount is one account of a Profile.
type ProfileAccount struct {
	// AccountNumber looks like "12345678@vision".
	AccountNumber string `json:"account_number"`
	// AccountName is absent before June 2018.
	AccountName string `json:"account_name,omitempty"`
	// TradePlatform is free-form ("ETNA", "transaq").
	TradePlatform string `json:"trade_platform"`
}

// Application is an account application and its status.
type Application struct {
	// AccountNumber is empty while the application is pending.
	AccountNumber string `json:"account_number"`
	// Status is free-form; the only documented value is "process".
	Status string `json:"status"`
}

// ApplicationInProcess is the only application status the broker ever
// documented.
const ApplicationInProcess = "process"

// UnmarshalJSON reads both documented shapes: /userinfo with an
// applications array, and the older /auth with one application object.
func (p *Profile) UnmarshalJSON(b []byte) error {
	type plain Profile
	var v struct {
		plain
		Application *Application `json:"application"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Profile(v.plain)
	if p.Applications == nil && v.Application != nil {
		p.Applications = []Application{*v.Application}
	}
	return nil
}

// ProfileService reads the logged-in user.
type ProfileService service

// profilePath is where the profile lives: GET /userinfo (i = 0) in every
// documentation version from 2017-10-25 on (and at Lime), GET /auth (i =
// 1) in its first weeks.
func profilePath(i uint32) string {
	if i == 1 {
		return "auth"
	}
	return "userinfo"
}

// Get returns the user's profile: GET /userinfo, or GET /auth, the path of
// the documentation's first weeks, when /userinfo answers 404 (any other
// failure is returned as it is). The client remembers which path answered
// and asks it first from then on; should it answer 404 in turn, the other
// is tried again.
func (s *ProfileService) Get(ctx context.Context) (*Profile, error) {
	first := s.c.profileAt.Load()
	var err error
	for i := range uint32(2) {
		at := (first + i) % 2
		var p Profile
		if err = s.c.get(ctx, profilePath(at), nil, &p); err == nil {
			s.c.profileAt.Store(at)
			return &p, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	return nil, err
}
