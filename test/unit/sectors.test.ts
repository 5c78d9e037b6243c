// The registry's pairwise sectors: the first redirect URI's host, and a sector URI under our issuer for clients
// whose redirect URIs span several hosts; only a client's own assigned URI is exempt from fetching.
import { describe, expect, it } from 'vitest';
import { assignSector, isOwnSectorUri, ownSectorUri } from '../../src/oidc/sectors.ts';

const ISSUER = 'http://localhost:3000';

describe('assignSector', () => {
  it('keeps a single-host client on its host, with no sector URI', () => {
    expect(assignSector({ client_id: 'a', redirect_uris: ['http://localhost:8080/cb', 'http://localhost:8080/other'] }, ISSUER)).toEqual({
      client_id: 'a', redirect_uris: ['http://localhost:8080/cb', 'http://localhost:8080/other'], sector_identifier: 'localhost:8080',
    });
  });

  it('gives a client on several ports a sector URI under the issuer (https, as the spec wants) and the first host as sector', () => {
    const metadata = assignSector({ client_id: 'multi', redirect_uris: ['http://127.0.0.1:8081/cb', 'http://127.0.0.1:8082/cb'] }, ISSUER);
    expect(metadata).toMatchObject({ sector_identifier: '127.0.0.1:8081', sector_identifier_uri: 'https://localhost:3000/sectors/multi' });
  });

  it('leaves a sector URI the client brought alone, and survives metadata that is not yet validated', () => {
    expect(assignSector({ client_id: 'x', redirect_uris: ['https://a.example/cb', 'https://b.example/cb'], sector_identifier_uri: 'https://a.example/sector.json' }, ISSUER).sector_identifier_uri).toBe('https://a.example/sector.json');
    expect(assignSector({ client_id: 'x', redirect_uris: 'nonsense' as unknown as string[] }, ISSUER)).toEqual({ client_id: 'x', redirect_uris: 'nonsense' });
  });
});

describe('isOwnSectorUri', () => {
  it('is true only for the URI assigned to that very client', () => {
    expect(isOwnSectorUri(ISSUER, ownSectorUri(ISSUER, 'multi'), 'multi')).toBe(true);
    expect(isOwnSectorUri(ISSUER, ownSectorUri(ISSUER, 'sandbox'), 'multi')).toBe(false);
    expect(isOwnSectorUri(ISSUER, 'https://evil.example/sectors/multi', 'multi')).toBe(false);
    expect(isOwnSectorUri(ISSUER, undefined, 'multi')).toBe(false);
  });
});
