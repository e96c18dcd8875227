// A real OpenID Connect provider on loopback, for the ProConnect tests (tests/test_proconnect.py).
// Usage: node provider.mjs PORT REDIRECT_URI POST_LOGOUT_REDIRECT_URI. Its development login form takes any login:
// the login typed is the account's e-mail, as ProConnect's is. Its end-session endpoint (RP-initiated logout) asks
// to confirm, then sends back to POST_LOGOUT_REDIRECT_URI. It prints "ready" once it listens.
import Provider from 'oidc-provider';

const [port, redirectUri, postLogoutRedirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'aap',
    client_secret: 'aap-test-secret',
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutRedirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    // As ProConnect: the secret in the token request's body.
    token_endpoint_auth_method: 'client_secret_post',
  }],
  // ProConnect's scopes and claims: the e-mail, the given and usual names.
  scopes: ['openid', 'email', 'given_name', 'usual_name'],
  claims: { email: ['email', 'email_verified'], given_name: ['given_name'], usual_name: ['usual_name'] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: id, email_verified: true, given_name: 'Agent', usual_name: 'Public' }),
  }),
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['aap-test-cookie-key'] },
});
// The messages the provider logs about its development keys and interactions are for a real deployment.
provider.on('server_error', (ctx, error) => console.error(error));

provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
