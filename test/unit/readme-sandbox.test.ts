// The README's sandbox client table states what the seeded client really has: its scopes and grant types.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/oidc/claims.ts';
import { loadConfig } from '../../src/config.ts';
import { sandboxBanner, tryItUrl } from '../../src/sandbox/banner.ts';
import { SANDBOX_SCOPES, sandboxClient } from '../../src/sandbox/seed.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const row = readme.split('\n').find((line) => line.startsWith('| `sandbox` |'))!;
const cells = row.split('|').slice(1, -1).map((cell) => cell.trim());

describe('README sandbox table', () => {
  const client = sandboxClient({ issuer: 'http://localhost:3000', redirectUris: ['http://localhost:8080/callback'], clientSecret: 'x'.repeat(16) });

  it('lists every scope of the sandbox client, which is every scope of the catalogue', () => {
    expect(cells[5]!.split(' ')).toEqual(String(client.scope).split(' '));
    expect(SANDBOX_SCOPES).toEqual(expect.arrayContaining(Object.keys(CATALOGUE)));
  });

  it('lists its grant types', () => {
    expect(cells[4]!.split(', ')).toEqual(client.grant_types);
  });
});

describe('README walk-through', () => {
  it('opens the very authorization URL the banner prints on `npm start`', () => {
    const block = /<!-- walkthrough: authorize -->\n```text\n(.+)\n```/.exec(readme)?.[1];
    const url = tryItUrl('http://localhost:3000', 'http://localhost:8080/callback');
    expect(block).toBe(url);
    expect(sandboxBanner(loadConfig({}), 'embedded PGlite')).toContain(url);
  });
});
