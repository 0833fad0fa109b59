package autoshares

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/brokerkit/brokerkit/internal/rest"
	"net/http"
	"strconv"
	"strings"
)

// UserRef names a user in a path: a numeric id, or Me for the user the
// token belongs to.
type UserRef string

// Me is the user the access token belongs to ("@me").
const Me UserRef = "@me"

// UserID returns the reference for the user with numeric id.
func UserID(id int64) UserRef { return UserRef(strconv.FormatInt(id, 10)) }

func (u UserRef) check() error {
	if u == "" {
		return rest.Invalid(Name, "empty user reference (use autoshares.Me or autoshares.UserID)")
	}
	if strings.ContainsAny(string(u), "/?#") {
		return rest.Invalid(Name, "user reference %q contains a path delimiter", string(u))
	}
	return nil
}

// Salutations and suffixes the API knows.
const (
	SalutationNone = "NoSalutation"
	SalutationMr   = "Mr"
	SalutationMrs  = "Mrs"
	SalutationMs   = "Ms"
	SalutationDr   = "Dr"
	SuffixNone     = "NoSuffix"
	SuffixJunior   = "Jr"
	SuffixSenior   = "Sr"
	SuffixSecond   = "Second"
	SuffixThird    = "Third"
	SuffixFourth   = "Fourth"
)

// User is a user's information (UserInfoModel). Creating a user answers
// the same model with Id; ID holds whichever of UserId and Id was sent.
type User struct {
	ID          int64  `json:"UserId"`
	FirstName   string `json:"FirstName,omitempty"`
	MiddleName  string `json:"MiddleName,omitempty"`
	LastName    string `json:"LastName,omitempty"`
	Login       string `json:"Login,omitempty"`
	Email       string `json:"Email,omitempty"`
	Role        int    `json:"Role,omitempty"`
	AddedDate   *Time  `json:"AddedDate,omitempty"`
	Salutation  string `json:"Salutation,omitempty"`
	Suffix      string `json:"Suffix,omitempty"`
	DateOfBirth *Time  `json:"DateOfBirth,omitempty"`
	PhoneNumber string `json:"PhoneNumber,omitempty"`
}

// UnmarshalJSON accepts UserId or Id, and Email or EmailAddress.
func (u *User) UnmarshalJSON(b []byte) error {
	type plain User
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	// Go matches member names case-insensitively; read the alternative
	// spellings from a raw map so that they stay apart.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*u = User(p)
	if u.ID == 0 {
		if r, ok := raw["Id"]; ok {
			if err := json.Unmarshal(r, &u.ID); err != nil {
				return fmt.Errorf("autoshares: user Id: %w", err)
			}
		}
	}
	if u.Email == "" {
		if r, ok := raw["EmailAddress"]; ok {
			_ = json.Unmarshal(r, &u.Email)
		}
	}
	return nil
}

// Ref returns the path reference for u.
func (u *User) Ref() UserRef { return UserID(u.ID) }

// NewUser is a user account to create (onboarding). FirstName, LastName,
// EmailAddress and Login are required.
type NewUser struct {
	FirstName               string `json:"FirstName"`
	Middle                  string `json:"Middle,omitempty"`
	LastName                string `json:"LastName"`
	EmailAddress            string `json:"EmailAddress"`
	Login                   string `json:"Login"`
	Salutation              string `json:"Salutation,omitempty"`
	Suffix                  string `json:"Suffix,omitempty"`
	Enabled                 *bool  `json:"Enabled,omitempty"`
	TimeZoneInfoID          string `json:"TimeZoneInfoId,omitempty"`
	ExpirationDate          *Time  `json:"ExpirationDate,omitempty"`
	PhoneNumber             string `json:"PhoneNumber,omitempty"`
	EntitlementsPhoneNumber string `json:"EntitlementsPhoneNumber,omitempty"`
}

func (n *NewUser) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"FirstName", n.FirstName}, {"LastName", n.LastName},
		{"EmailAddress", n.EmailAddress}, {"Login", n.Login},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return rest.Invalid(Name, "new user: %s required", strings.Join(missing, ", "))
	}
	if !strings.Contains(n.EmailAddress, "@") {
		return rest.Invalid(Name, "new user: EmailAddress %q is not an email address", n.EmailAddress)
	}
	return nil
}

// CreateUserOptions are the query parameters of user creation.
type CreateUserOptions struct {
	// SendInvitationEmail asks AutoShares to email the user an invitation.
	SendInvitationEmail bool `url:"sendInvitationEmail"`
}

// UserUpdate is a partial update: only the fields that are set are sent.
type UserUpdate struct {
	FirstName      *string `json:"FirstName,omitempty"`
	MiddleName     *string `json:"MiddleName,omitempty"`
	LastName       *string `json:"LastName,omitempty"`
	Email          *string `json:"Email,omitempty"`
	Salutation     *string `json:"Salutation,omitempty"`
	Suffix         *string `json:"Suffix,omitempty"`
	TimeZoneInfoID *string `json:"TimeZoneInfoId,omitempty"`
	PhoneNumber    *string `json:"PhoneNumber,omitempty"`
}

// UsersService creates, reads and updates users.
type UsersService service

// Create creates a user account (onboarding). It needs an administrator's
// token. A duplicate login or email is an error matching ErrConflict.
func (s *UsersService) Create(ctx context.Context, u NewUser, opts *CreateUserOptions) (*User, error) {
	if err := u.validate(); err != nil {
		return nil, err
	}
	var out User
	if err := s.c.call(ctx, call{method: http.MethodPost, path: s.c.paths.CreateUser, query: opts, body: u}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns a user's information; Me is the token's own user.
func (s *UsersService) Get(ctx context.Context, user UserRef) (*User, error) {
	p, err := s.c.path(s.c.paths.UserInfo, user, nil)
	if err != nil {
		return nil, err
	}
	var out User
	if err := s.c.call(ctx, call{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Profile is the logged-in user's information.
type Profile = User

// ProfileService reads the logged-in user.
type ProfileService service

// Get returns the information of the user the token belongs to ("@me").
func (s *ProfileService) Get(ctx context.Context) (*Profile, error) {
	return (*UsersService)(s).Get(ctx, Me)
}

// Update changes the fields of upd that are set and returns the user.
func (s *UsersService) Update(ctx context.Context, user UserRef, upd UserUpdate) (*User, error) {
	p, err := s.c.path(s.c.paths.UpdateUser, user, nil)
	if err != nil {
		return nil, err
	}
	var out User
	// Setting the same fields twice is harmless, so a failed update is
	// retried like a read.
	if err := s.c.call(ctx, call{method: http.MethodPatch, path: p, body: upd, idempotent: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
