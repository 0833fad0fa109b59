package just2tradetest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProfilePaths: the profile is at GET /userinfo (the documentation
// from 2017-10-25 on) and GET /auth (its first weeks); the emulator serves
// both unless told to serve one.
func TestProfilePaths(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []Option
		userinfo int
		auth     int
	}{
		{"default: both", nil, http.StatusOK, http.StatusOK},
		{"only /userinfo", []Option{WithProfilePath("/userinfo")}, http.StatusOK, http.StatusNotFound},
		{"only /auth", []Option{WithProfilePath("/auth")}, http.StatusNotFound, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(tc.opts...)
			defer s.Close()
			tok := token(t, s)
			status, b := api(t, s, http.MethodGet, "/userinfo", tok, "")
			require.Equal(t, tc.userinfo, status, string(b))
			if status == http.StatusOK {
				assert.Contains(t, string(b), `"applications":[`)
			} else {
				assert.JSONEq(t, `{"code":"not_found","message":"No such endpoint"}`, string(b))
			}
			status, b = api(t, s, http.MethodGet, "/auth", tok, "")
			require.Equal(t, tc.auth, status, string(b))
			if status == http.StatusOK {
				assert.Contains(t, string(b), `"application":{"status":"process"}`)
			} else {
				assert.JSONEq(t, `{"code":"not_found","message":"No such endpoint"}`, string(b))
			}
		})
	}
	_, err := start(WithProfilePath("/me"))
	assert.ErrorContains(t, err, "/me")
}
