package auth_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

func fullToken() *auth.Token {
	return &auth.Token{
		AccessToken:   "tok-access-9f8e7d",
		TokenType:     "Bearer",
		RefreshToken:  "tok-refresh-6c5b4a",
		Expiry:        time.Date(2026, 11, 22, 12, 20, 0, 0, time.UTC),
		RefreshExpiry: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		Scopes:        []string{"openid", "offline_access", "Trade"},
		Subject:       "testUser",
		Audience:      "https://api.tradestation.com",
		Provider:      "tradestation",
		Extra: map[string]json.RawMessage{
			"id_token": json.RawMessage(`"eyJ.e30.sig"`),
			"nested":   json.RawMessage(`{"a":[1,2,{"b":null}],"c":1.5e3}`),
		},
	}
}

func TestTokenJSONRoundTrip(t *testing.T) {
	in := fullToken()
	b, err := json.Marshal(in)
	require.NoError(t, err)
	var out auth.Token
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, *in, out)

	// Through a pointer and inside a struct, as a Store would write it.
	type record struct {
		Key string      `json:"key"`
		Tok *auth.Token `json:"token"`
	}
	b, err = json.Marshal(record{Key: "k", Tok: in})
	require.NoError(t, err)
	var rec record
	require.NoError(t, json.Unmarshal(b, &rec))
	assert.Equal(t, in, rec.Tok)

	// A token without optional fields stays without them.
	bare := auth.Token{AccessToken: "a"}
	b, err = json.Marshal(bare)
	require.NoError(t, err)
	assert.JSONEq(t, `{"access_token":"a"}`, string(b))
	var back auth.Token
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, bare, back)
	assert.True(t, back.Expiry.IsZero())

	assert.Error(t, json.Unmarshal([]byte(`{"access_token":1}`), &back))
	assert.Error(t, json.Unmarshal([]byte(`{"expiry":"yesterday"}`), &back))
}

// TestTokenRoundTripFromWire decodes a broker response, stores it, reads it
// back: the extras survive (golang/oauth2#323).
func TestTokenRoundTripFromWire(t *testing.T) {
	tok, err := auth.DecodeTokenResponse("tradestation", wireResponse(200, "application/json", tokenFixture(t, "tradestation_v3.json")), decodeNow, nil)
	require.NoError(t, err)
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	var back auth.Token
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *tok, back)
	assert.Equal(t, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", back.ExtraString("id_token"))
}

func TestTokenClone(t *testing.T) {
	in := fullToken()
	c := in.Clone()
	assert.Equal(t, in, c)
	c.Scopes[0] = "changed"
	c.Extra["id_token"][1] = 'X'
	c.Extra["new"] = json.RawMessage(`1`)
	assert.Equal(t, fullToken(), in, "the clone shares nothing")
	var nilTok *auth.Token
	assert.Nil(t, nilTok.Clone())
}

func TestTokenHelpers(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tok := &auth.Token{AccessToken: "a", Expiry: now.Add(time.Minute)}
	assert.True(t, tok.Valid(now))
	assert.False(t, tok.Valid(now.Add(time.Minute)), "expired exactly at Expiry")
	assert.True(t, tok.ExpiresWithin(now, time.Minute))
	assert.False(t, tok.ExpiresWithin(now, 59*time.Second))
	forever := &auth.Token{AccessToken: "a"}
	assert.True(t, forever.Valid(now.Add(100*365*24*time.Hour)))
	assert.False(t, forever.ExpiresWithin(now, time.Hour))
	var nilTok *auth.Token
	assert.False(t, nilTok.Valid(now))
	assert.False(t, (&auth.Token{}).Valid(now))

	for typ, want := range map[string]string{"": "Bearer", "bearer": "Bearer", "AccessToken": "Bearer", "mac": "MAC", "Basic": "Basic"} {
		assert.Equal(t, want, (&auth.Token{TokenType: typ}).Type(), typ)
	}
	bearer := &auth.Token{TokenType: "Bearer"}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = bearer.Type() }), "Type runs on every request")
	req, _ := http.NewRequest(http.MethodGet, "https://api.example/", nil)
	(&auth.Token{AccessToken: "hdr"}).SetAuthHeader(req)
	assert.Equal(t, "Bearer hdr", req.Header.Get("Authorization"))

	o := fullToken().OAuth2()
	assert.Equal(t, "tok-access-9f8e7d", o.AccessToken)
	assert.Equal(t, "tok-refresh-6c5b4a", o.RefreshToken)
	assert.Equal(t, "Bearer", o.TokenType)
	assert.Equal(t, fullToken().Expiry, o.Expiry)
	assert.Equal(t, "eyJ.e30.sig", o.Extra("id_token"))
	assert.Nil(t, (&auth.Token{AccessToken: "a"}).OAuth2().Extra("id_token"))
}

// A logged token shows what its String shows, secrets aside.
func TestTokenLogValueMatchesString(t *testing.T) {
	exp := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tok := auth.Token{AccessToken: "a-secret", RefreshToken: "r-secret", Provider: "p", Expiry: exp,
		RefreshExpiry: exp.Add(time.Hour), Subject: "u1", Audience: "https://api.example", Scopes: []string{"read", "Trade"}}
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "tok", tok)
	out := b.String()
	for _, want := range []string{`"audience":"https://api.example"`, `"scopes":"read Trade"`,
		`"refresh_expiry":"2026-11-22T13:00:00Z"`, `"subject":"u1"`, `"access":"redacted"`} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "secret")
}

// TestNilTokenMethods: methods that callers reach through a possibly nil
// *Token answer instead of panicking.
func TestNilTokenMethods(t *testing.T) {
	var tok *auth.Token
	assert.Equal(t, "", tok.ExtraString("id_token"))
	assert.Equal(t, "Bearer", tok.Type())
	assert.False(t, tok.ExpiresWithin(time.Now(), time.Hour))
	assert.False(t, tok.Valid(time.Now()))
	assert.NotPanics(t, func() { assert.Nil(t, tok.OAuth2()) }, "a nil token converts to a nil oauth2 token")
	r, err := http.NewRequest(http.MethodGet, "https://api.example.com/", nil)
	require.NoError(t, err)
	tok.SetAuthHeader(r)
	(&auth.Token{}).SetAuthHeader(r)
	assert.Empty(t, r.Header.Get("Authorization"), "no credential rather than an empty one")
}

func TestEndpointErrorsHideURLSecrets(t *testing.T) {
	for _, raw := range []string{"/token?api_key=SECRETKEY", "https//broker?client_secret=SECRETKEY",
		"ftp://user:SECRETKEY@host/x?y", "com.example.app:/cb#SECRETKEY"} {
		err := auth.CheckEndpoint(raw)
		if err != nil {
			assert.NotContains(t, err.Error(), "SECRETKEY", raw)
		}
		err = auth.CheckRedirectURL(raw)
		if err != nil {
			assert.NotContains(t, err.Error(), "SECRETKEY", raw)
		}
	}
	assert.ErrorContains(t, auth.CheckEndpoint("/token?x=1"), `"/token?…"`)
}
