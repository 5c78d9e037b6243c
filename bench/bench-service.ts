// The service client and API both sides of the client_credentials benchmark use.
export const BARE_CLIENT = { client_id: 'bench-service', client_secret: 'bench-service-secret-0123456789abcdef' };
export const BENCH_API = 'https://api.bench.example.vn/';
