#!/bin/sh
# An OAuth 2.0 authorization-code login with PKCE, then an API call, against
# `brokerkit emulate`, with curl and openssl only. Run `brokerkit emulate
# tradestation` first, then: sh login.sh
set -eu
ADMIN=${BROKERKIT_EMULATE_ADMIN:-http://127.0.0.1:9400}/tradestation
TS=$(curl -sf "$ADMIN")                       # the emulator's URLs, client and users
field() { printf '%s' "$TS" | sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
curl -sf -X POST "$ADMIN/auto-approve" -d '{"user":"trader"}' >/dev/null

# PKCE (RFC 7636): a random verifier and its S256 challenge, base64url.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
VERIFIER=$(openssl rand 32 | b64url)
CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | b64url)
REDIRECT=http://127.0.0.1:8080/callback/tradestation   # loopback: any port

CALLBACK=$(curl -s -o /dev/null -w '%{redirect_url}' -G "$(field authorize_url)" \
  --data-urlencode response_type=code --data-urlencode client_id="$(field client_id)" \
  --data-urlencode redirect_uri=$REDIRECT --data-urlencode 'scope=openid offline_access ReadAccount' \
  --data-urlencode audience=https://api.tradestation.com --data-urlencode state=xyz \
  --data-urlencode code_challenge="$CHALLENGE" --data-urlencode code_challenge_method=S256)
CODE=$(printf '%s' "$CALLBACK" | sed -E 's/.*[?&]code=([^&]*).*/\1/')

TOKENS=$(curl -sf "$(field token_url)" -d grant_type=authorization_code -d code="$CODE" \
  -d redirect_uri=$REDIRECT -d client_id="$(field client_id)" -d client_secret="$(field client_secret)" \
  -d code_verifier="$VERIFIER")
ACCESS=$(printf '%s' "$TOKENS" | sed -E 's/.*"access_token":"([^"]*)".*/\1/')

curl -sf -H "Authorization: Bearer $ACCESS" "$(field api_url)/v3/brokerage/accounts"
