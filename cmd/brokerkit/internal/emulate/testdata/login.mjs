// An OAuth 2.0 authorization-code login with PKCE, then an API call,
// against `brokerkit emulate`, with nothing but Node's built-ins (Node 18+).
// Run `brokerkit emulate tradestation` first, then: node login.mjs
import { createHash, randomBytes } from 'node:crypto';

const admin = `${process.env.BROKERKIT_EMULATE_ADMIN ?? 'http://127.0.0.1:9400'}/tradestation`;
const ok = async (res) => { if (!res.ok) throw new Error(`${res.url}: HTTP ${res.status}`); return res; };

// The emulator's URLs, client and seeded users; then let its user approve
// logins at once, as a test has no one to click "Allow".
const ts = await (await ok(await fetch(admin))).json();
await ok(await fetch(`${admin}/auto-approve`, { method: 'POST', body: JSON.stringify({ user: ts.users[0].login }) }));

// PKCE (RFC 7636): a random verifier and its S256 challenge.
const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');
const state = randomBytes(16).toString('base64url');
const redirectUri = 'http://127.0.0.1:8080/callback/tradestation'; // a loopback redirect: any port

const authorize = new URL(ts.authorize_url);
authorize.search = new URLSearchParams({
  response_type: 'code', client_id: ts.client_id, redirect_uri: redirectUri, scope: ts.scopes.join(' '),
  state, code_challenge: challenge, code_challenge_method: 'S256', ...ts.authorize_params,
});
const consent = await fetch(authorize, { redirect: 'manual' }); // approved: a redirect to the app
const callback = new URL(consent.headers.get('location'));
if (callback.searchParams.get('state') !== state) throw new Error('state mismatch');

const tokens = await (await ok(await fetch(ts.token_url, {
  method: 'POST',
  body: new URLSearchParams({
    grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: redirectUri,
    client_id: ts.client_id, client_secret: ts.client_secret, code_verifier: verifier,
  }),
}))).json();

const res = await ok(await fetch(`${ts.api_url}/v3/brokerage/accounts`, {
  headers: { Authorization: `Bearer ${tokens.access_token}` },
}));
for (const a of (await res.json()).Accounts) console.log(a.AccountID, a.AccountType, a.Currency);
