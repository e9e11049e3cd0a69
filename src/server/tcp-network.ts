// The client network a TCP connection counts against (docs/server.md#tcp-limits): the address
// cut to a prefix, /24 for IPv4 and /56 for IPv6 by default, as RRL and dnsdist group clients.
// One host rarely holds many addresses of an IPv4 /24 but often a whole IPv6 /64, and providers
// hand out /56s: a smaller prefix than /56 would let one customer count as 256 clients.
import { isIPv4, isIPv6 } from 'node:net';

/** A string naming the network `address` is in, e.g. "198.51.100.0/24", "2001:db8:0:ab00::/56". */
export function networkOf(address: string, v4Prefix: number, v6Prefix: number): string {
  // An IPv4 client seen on a dual-stack socket arrives as ::ffff:a.b.c.d (RFC 4291 2.5.5.2).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const v4 = mapped ? mapped[1]! : address;
  if (isIPv4(v4)) {
    const n = v4.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const masked = v4Prefix === 0 ? 0 : n - (n % 2 ** (32 - v4Prefix));
    const octets = [24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256);
    return `${octets.join('.')}/${v4Prefix}`;
  }
  const bare = address.replace(/%.*$/, '');
  const groups = isIPv6(bare) ? expandIPv6(bare) : null;
  // Not an address (a socket already gone has none): every such connection shares one bucket.
  if (!groups) return 'unknown';
  const out: string[] = [];
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, v6Prefix - 16 * i));
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    out.push((groups[i]! & mask).toString(16));
  }
  return `${out.join(':')}/${v6Prefix}`;
}

/** The eight 16-bit groups of a valid IPv6 address (with :: and a trailing dotted quad). */
function expandIPv6(address: string): number[] {
  let text = address;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const o = quad[1]!.split('.').map(Number);
    text = `${text.slice(0, quad.index)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
