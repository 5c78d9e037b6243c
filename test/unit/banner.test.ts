// The console banner tells a developer where SMS go: the outbox table, or the gateway they configured.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { sandboxBanner } from '../../src/sandbox/banner.ts';

describe('sandbox banner', () => {
  it('says SMS stay in the outbox when no gateway is configured', () => {
    const banner = sandboxBanner(loadConfig({}), 'embedded PGlite');
    expect(banner).toContain('stay in the sms_outbox table: no gateway is configured');
  });

  it('names the configured gateway instead of claiming there is none (and not its token)', () => {
    const config = loadConfig({ SMS_GATEWAY_URL: 'https://sms.example.vn/send', SMS_GATEWAY_TOKEN: 'token-that-stays-secret' });
    const banner = sandboxBanner(config, 'embedded PGlite');
    expect(banner).not.toContain('no gateway is configured');
    expect(banner).toContain('go to the gateway at https://sms.example.vn');
    expect(banner).not.toContain('token-that-stays-secret');
  });
});
