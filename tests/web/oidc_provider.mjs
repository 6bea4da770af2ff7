// A real OpenID Provider for the single sign-on tests: the certified `oidc-provider` package on
// loopback, with its development interactions (any login is accepted; the login names the
// account's claims). Configured by OFFBEAT_OIDC_PROVIDER (JSON: {port, clients}); prints
// `listening <issuer>` once it answers.
//
// A login is an account's `sub`; `GET /test/account?sub=…&email=…&name=…[&verified=no]` sets
// (or changes) its claims first, as an admin at the provider would.
//
// `GET /test/mischief?mode=…` makes the token endpoint hand out a forged ID token, as an
// attacker between the provider and the server (or a broken provider) would: `nonce` (another
// nonce), `audience` (for another client), `key` (signed by a key the provider never
// published), or `none` (honest again).

import http from 'node:http';
import { appendFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const config = JSON.parse(process.env.OFFBEAT_OIDC_PROVIDER);

const server = http.createServer();
await new Promise((resolve) => server.listen(config.port ?? 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const signing = await jose.generateKeyPair('RS256', { extractable: true });
const published = { ...(await jose.exportJWK(signing.privateKey)), kid: 'offbeat-test', alg: 'RS256', use: 'sig' };
const stranger = await jose.generateKeyPair('RS256', { extractable: true });

const accounts = new Map();

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [published] },
  // The ID token carries the scopes' claims, as Keycloak, Google and Entra send them.
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The login is the account's `sub`; its claims are what `/test/account` last said.
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ email: id, email_verified: true, ...accounts.get(id), sub: id }),
  }),
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['offbeat-test-cookie-key'] },
});

let mischief = 'none';

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/account') {
    const { sub, email, name, verified } = ctx.query;
    accounts.set(sub, { email, email_verified: verified !== 'no', ...(name ? { name } : {}) });
    ctx.body = { sub, ...accounts.get(sub) };
    return;
  }
  if (ctx.path === '/test/mischief') {
    mischief = ctx.query.mode ?? 'none';
    ctx.body = { mischief };
    return;
  }
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || mischief === 'none' || !ctx.body?.id_token) {
    return;
  }
  const claims = jose.decodeJwt(ctx.body.id_token);
  let key = signing.privateKey;
  if (mischief === 'nonce') claims.nonce = 'not-the-nonce-that-was-sent';
  if (mischief === 'audience') claims.aud = 'some-other-client';
  if (mischief === 'key') key = stranger.privateKey;
  const forged = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'offbeat-test', typ: 'JWT' })
    .sign(key);
  console.error(`forged an ID token (${mischief})`);
  ctx.body = { ...ctx.body, id_token: forged };
});

provider.on('server_error', (ctx, err) => {
  console.error(`provider error: ${err.stack}`);
  if (process.env.OFFBEAT_PROVIDER_ERRORS) appendFileSync(process.env.OFFBEAT_PROVIDER_ERRORS, `${err.stack}\n`);
});
server.on('request', provider.callback());
console.error(`listening ${issuer}`);
