// The service client and API both sides of the client_credentials benchmark use.
export const BARE_CLIENT = { client_id: 'bench-service', client_secret: 'bench-service-secret-0123456789abcdef' };
export const BENCH_API = 'https://api.bench.example.vn/';
// The client oidc-provider alone signs in with for item b's reference (bench/bare-sign-in-provider.ts), and the
// redirect URI every benchmark sign-in returns to (the sandbox client's).
export const BARE_SIGN_IN_CLIENT = { client_id: 'bench-sign-in', client_secret: 'bench-sign-in-secret-0123456789abcdef' };
export const SIGN_IN_REDIRECT = 'http://localhost:8080/callback';
