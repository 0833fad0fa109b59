package spotwaretest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"time"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// The authorization server's paths.
const (
	AuthorizePath = "/apps/auth"
	TokenPath     = "/apps/token"
)

func (s *Server) startOAuth() error {
	o := s.opts
	fields := oauthsim.TokenFields{AccessToken: "accessToken", TokenType: "tokenType", RefreshToken: "refreshToken",
		ExpiresIn: "expiresIn", Scope: "-", TokenTypeValue: "bearer"}
	fields.Shape = func(_ string, _ *oauthsim.Grant, body map[string]any) {
		body["errorCode"] = nil
		body["description"] = nil
		if o.snake {
			body["access_token"] = body["accessToken"]
			body["refresh_token"] = body["refreshToken"]
			body["expires_in"] = body["expiresIn"]
		}
	}
	eng, err := oauthsim.New(oauthsim.Config{
		Name:          "cTrader",
		Clients:       []oauthsim.Client{{ID: ClientID, Secret: ClientSecret, RedirectURIs: append([]string{RedirectURL}, o.redirects...), Scopes: []string{"trading", "accounts"}}},
		Users:         []oauthsim.User{{ID: strconv.FormatInt(UserID, 10), Username: User, Password: Password, Name: "cTrader ID " + strconv.FormatInt(UserID, 10)}},
		Now:           o.now,
		CodeTTL:       CodeLifetime,
		AccessTTL:     o.accessTTL,
		Refresh:       oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate, RevokeOldAccess: true},
		OnInvalidate:  s.tokensInvalidated,
		PKCE:          oauthsim.PKCEUnsupported,
		DefaultScopes: []string{"trading"},
		Wire: oauthsim.Wire{
			AuthorizePath: AuthorizePath, TokenPath: TokenPath, RevokePath: "-", UserinfoPath: "-",
			TokenMethods: []string{http.MethodGet}, ClientAuth: oauthsim.ClientAuthParams,
			OmitState: o.omitState,
			Fields:    fields,
			Errors:    oauthsim.Status200Errors("errorCode", "description", o.errorCodes),
		},
	})
	if err != nil {
		return fmt.Errorf("spotwaretest: %w", err)
	}
	s.eng = eng
	mux := http.NewServeMux()
	eng.Mount(mux)
	s.oauth = mux
	ln, err := net.Listen("tcp", o.httpAddr())
	if err != nil {
		return fmt.Errorf("spotwaretest: listening on 127.0.0.1: %w", err)
	}
	s.http = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	s.http.Start()
	s.url = s.http.URL
	return nil
}

// refreshTokenAnswer is the token endpoint's answer, as the Protobuf
// refresh relays it.
type refreshTokenAnswer struct {
	AccessToken  string `json:"accessToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int64  `json:"expiresIn"`
	RefreshToken string `json:"refreshToken"`
	ErrorCode    string `json:"errorCode"`
	Description  string `json:"description"`
}

// refreshOverProto runs ProtoOARefreshTokenReq through the same token
// endpoint, so HTTP and Protobuf refreshes share rotation state and the
// endpoint's faults.
func (s *Server) refreshOverProto(refreshToken string) (a refreshTokenAnswer) {
	defer func() {
		// A Cut fault on the token path aborts the handler with
		// http.ErrAbortHandler, which only net/http's server expects.
		if r := recover(); r != nil {
			if r != http.ErrAbortHandler {
				panic(r)
			}
			a = refreshTokenAnswer{ErrorCode: "TIMEOUT_ERROR", Description: "token endpoint dropped the request"}
		}
	}()
	q := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_id": {ClientID}, "client_secret": {ClientSecret}}
	req := httptest.NewRequest(http.MethodGet, TokenPath+"?"+q.Encode(), nil)
	rec := httptest.NewRecorder()
	s.oauth.ServeHTTP(rec, req)
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || (a.AccessToken == "" && a.ErrorCode == "") {
		a.ErrorCode, a.Description = "INVALID_REQUEST", "token endpoint gave no usable answer"
	}
	return a
}
