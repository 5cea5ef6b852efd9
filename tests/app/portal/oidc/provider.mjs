// A real OpenID Connect provider for the tests, loopback only:
//   node provider.mjs PORT REDIRECT_URI
// One confidential client "flexben" (authorization code + PKCE S256); any login name is
// accepted by the development interactions and becomes both `sub` and `email`.
import Provider from "oidc-provider";

const [port, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: "flexben",
    client_secret: "flexben-test-client-secret",
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  pkce: { required: () => true },
  // Scope claims (email) in the ID token itself, which the portal verifies.
  conformIdTokenClaims: false,
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, email: id, email_verified: true }; } };
  },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => console.log(`ready ${issuer}`));
