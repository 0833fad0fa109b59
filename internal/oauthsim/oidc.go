package oauthsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// OpenID Connect discovery paths, served by an engine that issues ID tokens
// and has an Issuer (Auth0 serves both at the tenant's root).
const (
	endpointDiscovery Endpoint = "discovery"
	endpointJWKS      Endpoint = "jwks"

	discoveryPath = "/.well-known/openid-configuration"
	jwksPath      = "/.well-known/jwks.json"
)

// signingKey is the RSA key every engine signs ID tokens with. One key per
// process keeps emulator start-up cheap (generating RSA keys is slow); a
// relying party still finds it only through the engine's JWKS.
var signingKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// signingKeyID is the kid of signingKey: a thumbprint of its public half.
func signingKeyID(k *rsa.PublicKey) string {
	sum := sha256.Sum256(append(k.N.Bytes(), big.NewInt(int64(k.E)).Bytes()...))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// oidcOn reports whether the engine issues ID tokens under an issuer, and
// so serves discovery and JWKS.
func (e *Engine) oidcOn() bool {
	return e.cfg.Issuer != "" && e.cfg.Wire.Fields.IDToken != ""
}

// scopedClaims are the OpenID claims of u that scopes release: sub always;
// name, nickname, preferred_username and the profile claims with
// "profile"; email and email_verified with "email". Claims of other names
// are released with "openid". An engine that issues no ID tokens releases
// everything, as the brokers without OpenID do.
func (e *Engine) scopedClaims(u *User, scopes []string) map[string]any {
	all := !e.oidcOn()
	profile := all || slices.Contains(scopes, "profile")
	email := all || slices.Contains(scopes, "email")
	out := map[string]any{}
	for k, v := range u.Claims {
		switch k {
		case "email", "email_verified":
			if email {
				out[k] = v
			}
		case "name", "nickname", "preferred_username", "given_name", "family_name", "picture", "updated_at":
			if profile {
				out[k] = v
			}
		default:
			out[k] = v
		}
	}
	if profile {
		if u.Name != "" {
			out["name"] = u.Name
		}
		out["nickname"] = u.Username
		out["preferred_username"] = u.Username
	}
	out["sub"] = u.ID
	return out
}

// signJWT returns claims as a compact RS256 JWS under the engine key.
func signJWT(claims map[string]any) (string, error) {
	key, err := signingKey()
	if err != nil {
		return "", err
	}
	hdr, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": signingKeyID(&key.PublicKey)})
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(hdr) + "." + enc.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// idToken returns the ID token of a login by u through c: iss, aud, sub,
// iat, exp, the nonce of the authorization request when it carried one,
// and the claims the scopes release.
func (e *Engine) idToken(c *Client, u *User, scopes []string, nonce string, now, exp time.Time) string {
	claims := e.scopedClaims(u, scopes)
	claims["aud"] = c.ID
	claims["iat"] = now.Unix()
	claims["exp"] = exp.Unix()
	if e.cfg.Issuer != "" {
		claims["iss"] = e.cfg.Issuer
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	tok, err := signJWT(claims)
	if err != nil {
		return "" // no key: the answer carries no ID token rather than a false one
	}
	return tok
}

// issuerBase is the issuer without its trailing slash, the base of the
// endpoint URLs the discovery document lists.
func (e *Engine) issuerBase() string { return strings.TrimSuffix(e.cfg.Issuer, "/") }

// serveDiscovery answers the OpenID Provider configuration (OIDC
// Discovery 1.0 §4) for the engine's endpoints.
func (e *Engine) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	base := e.issuerBase()
	doc := map[string]any{
		"issuer":                                e.cfg.Issuer,
		"authorization_endpoint":                base + e.authorizePath,
		"token_endpoint":                        base + e.tokenPath,
		"jwks_uri":                              base + jwksPath,
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nonce", "name", "nickname", "preferred_username", "email", "email_verified"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic", "none"},
	}
	if e.userinfoPath != "" {
		doc["userinfo_endpoint"] = base + e.userinfoPath
	}
	if e.revokePath != "" {
		doc["revocation_endpoint"] = base + e.revokePath
	}
	if e.cfg.PKCE != PKCEUnsupported {
		doc["code_challenge_methods_supported"] = []string{"S256"}
	}
	writeJSON(w, http.StatusOK, doc)
}

// serveJWKS answers the engine's public signing key as a JWK Set.
func (e *Engine) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key, err := signingKey()
	if err != nil {
		http.Error(w, "no signing key", http.StatusInternalServerError)
		return
	}
	pub := &key.PublicKey
	enc := base64.RawURLEncoding
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": signingKeyID(pub),
		"n": enc.EncodeToString(pub.N.Bytes()), "e": enc.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}
