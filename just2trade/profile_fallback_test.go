package just2trade

import (
	"context"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/resttest"
)

// TestProfileFallsBackToAuth: the first weeks of the documentation put
// the profile at GET /auth, every later version at GET /userinfo. A 404
// from /userinfo sends the call to /auth, and the client remembers which
// path answered.
func TestProfileFallsBackToAuth(t *testing.T) {
	c, mt := testClient(t)
	notFound := httpmock.ResponderFromResponse(resttest.JSON(404, `{"code":"not_found","message":"No such endpoint"}`))
	mt.RegisterResponder(http.MethodGet, api+"/userinfo", notFound)
	mt.RegisterResponder(http.MethodGet, api+"/auth",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "profile_auth_2017.json"))))
	ctx := context.Background()
	p, err := c.Profile.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "8f1e7eba-0000-0000-0000-2b67c9af83a5", p.ID)
	require.Len(t, p.Applications, 1)
	assert.Equal(t, ApplicationInProcess, p.Applications[0].Status)
	info := mt.GetCallCountInfo()
	assert.Equal(t, 1, info["GET "+api+"/userinfo"])
	assert.Equal(t, 1, info["GET "+api+"/auth"])

	_, err = c.Profile.Get(ctx)
	require.NoError(t, err)
	info = mt.GetCallCountInfo()
	assert.Equal(t, 1, info["GET "+api+"/userinfo"], "the second call goes straight to /auth")
	assert.Equal(t, 2, info["GET "+api+"/auth"])

	// Should /auth go away in turn, /userinfo is tried again.
	mt.RegisterResponder(http.MethodGet, api+"/auth", notFound)
	mt.RegisterResponder(http.MethodGet, api+"/userinfo",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "profile_userinfo.json"))))
	p, err = c.Profile.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "First", p.FirstName)
}

func TestProfileFallbackOnlyOn404(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   error
	}{
		{401, auth.ErrInvalidToken},
		{403, ErrForbidden},
		{400, ErrBadRequest},
	} {
		c, mt := testClient(t)
		mt.RegisterResponder(http.MethodGet, api+"/userinfo",
			httpmock.ResponderFromResponse(resttest.JSON(tc.status, `{"code":"x","message":"no"}`)))
		mt.RegisterResponder(http.MethodGet, api+"/auth",
			httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "profile_auth_2017.json"))))
		_, err := c.Profile.Get(context.Background())
		assert.ErrorIs(t, err, tc.want, "HTTP %d", tc.status)
		assert.Zero(t, mt.GetCallCountInfo()["GET "+api+"/auth"], "HTTP %d is no reason to try /auth", tc.status)
	}

	c, mt := testClient(t)
	notFound := httpmock.ResponderFromResponse(resttest.JSON(404, `{"code":"not_found","message":"No such endpoint"}`))
	mt.RegisterResponder(http.MethodGet, api+"/userinfo", notFound)
	mt.RegisterResponder(http.MethodGet, api+"/auth", notFound)
	_, err := c.Profile.Get(context.Background())
	assert.ErrorIs(t, err, ErrNotFound, "neither path is served")
	assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+api+"/auth"])
}
