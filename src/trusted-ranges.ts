// How wide a TRUST_PROXY range may be. Proxies sit in a few known addresses; a range that holds a good part of
// the internet (0.0.0.0/1 and 128.0.0.0/1 together are everyone) is TRUST_PROXY=true by another name, and a /0
// is not even accepted by the address matcher Fastify uses (it stops the start with a stack trace).
import { BlockList, isIP } from 'node:net';

const MIN_PREFIX = { 4: 8, 6: 7 } as const; // 10.0.0.0/8 and fc00::/7 (uniquelocal) are the widest a proxy needs
const BITS = { 4: 32, 6: 128 } as const;

const mapped = new BlockList();
mapped.addSubnet('::ffff:0:0', 96, 'ipv6');

/** Why these address ranges are too wide to be proxies, or undefined when they are not. */
export function tooWide(entries: string[]): string | undefined {
  const covered = { 4: 0n, 6: 0n };
  for (const entry of entries) {
    const [address = '', prefixText] = entry.split('/');
    if (prefixText === undefined) continue;
    let family = isIP(address) as 4 | 6;
    let prefix = Number(prefixText);
    // ::ffff:10.0.0.0/104 is the IPv4 range 10.0.0.0/8, and is matched so.
    if (family === 6 && prefix >= 96 && mapped.check(address, 'ipv6')) {
      family = 4;
      prefix -= 96;
    }
    if (prefix < MIN_PREFIX[family]) {
      return `"${entry}" is wider than any proxy's addresses (a /${MIN_PREFIX[4]} at most for IPv4, a /${MIN_PREFIX[6]} for IPv6): it would believe X-Forwarded-For from a good part of the internet`;
    }
    if (family === 6) {
      const range = new BlockList();
      range.addSubnet(address, prefix, 'ipv6');
      if (range.check('::ffff:0:0', 'ipv6') && range.check('::ffff:ffff:ffff', 'ipv6')) {
        return `"${entry}" holds every IPv4 address (as IPv4-mapped IPv6), so it would believe X-Forwarded-For from anyone`;
      }
    }
    covered[family] += 1n << BigInt(BITS[family] - prefix);
  }
  for (const family of [4, 6] as const) {
    if (covered[family] >= 1n << BigInt(BITS[family] - 1)) {
      return `these ranges together hold half of all IPv${family} addresses or more, so they would believe X-Forwarded-For from almost anyone; give the proxies' own addresses`;
    }
  }
  return undefined;
}
