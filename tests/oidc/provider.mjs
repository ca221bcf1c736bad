// A real OpenID Connect provider for the sign-in tests: panva/node-oidc-provider (OpenID certified),
// with its own login and consent pages (devInteractions: any password, the login names the account).
//
//   node provider.mjs PORT CLIENTS_JSON
//
// CLIENTS_JSON: [{"client_id": …, "client_secret": …, "redirect_uris": […]}]. Prints "ready <issuer>" once it
// listens. Accounts (the login name): planner, moderator, admin (roles in "roles" and in Keycloak's
// "realm_access.roles"), norole (no roles at all). PKCE is required of every client.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const clients = JSON.parse(process.argv[3] || '[]');
const issuer = `http://127.0.0.1:${port}`;

const USERS = {
  planner: { name: 'Paula Planer', email: 'paula.planer@example.org', roles: ['stadtplanung', 'planner'] },
  moderator: { name: 'Moritz Moderation', email: 'moritz@example.org', roles: ['moderation', 'moderator'] },
  admin: { name: 'Ada Admin', email: 'ada@example.org', roles: ['it-admin', 'admin'] },
  norole: { name: 'Nora Ohnerolle', email: 'nora@example.org', roles: [] },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [jwk] },
  // over plain http (tests) a SameSite=None cookie would be dropped by browsers: Lax, like oidc-provider 9
  cookies: { keys: [randomBytes(32).toString('hex')], long: { signed: true, sameSite: 'lax' } },
  pkce: { methods: ['S256'], required: () => true },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'roles'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    roles: ['roles', 'realm_access'],
  },
  async findAccount(ctx, id) {
    const user = USERS[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          name: user.name,
          preferred_username: id,
          email: user.email,
          email_verified: true,
          roles: user.roles,
          realm_access: { roles: user.roles },
        };
      },
    };
  },
});
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
