// The client a query is steered for (RFC 7871): its ECS subnet, or its packet's source, cut to
// the /24 or /56 clients are steered by; and that network as a cheap Map key for the memo.
import { ipv4Bytes, ipv6Bytes } from '../base/address.js';
import type { ClientHint } from '../policy/types.js';
import { MAX_STEERING_PREFIX, parseEcs, truncate } from '../wire/ecs.js';
import { NO_CLIENT_HINT } from './steering.js';

/** Where a query came from (the packet's source), used for steering when it carries no ECS. */
export interface Remote {
  address: string;
  family: 'IPv4' | 'IPv6' | string;
}

/** Position of the ECS option data in the query. */
export interface EcsInQuery {
  at: number;
  len: number;
}

const CLIENT_CACHE_LIMIT = 10_000;

/** Derives ClientHints, keeping the ones made from packet sources (bounded). */
export class ClientHints {
  private readonly bySource = new Map<string, ClientHint>();

  /**
   * The client to steer for: the ECS subnet when the query has one with a source prefix above 0
   * (RFC 7871 7.1.2), else the packet's source. Either is cut to /24 or /56 (RFC 7871 11.1), the
   * granularity at which clients are steered. Null when the ECS option is malformed.
   */
  client(msg: Buffer, ecs: EcsInQuery | null, remote: Remote | undefined): ClientHint | null {
    if (ecs) {
      const sub = parseEcs(msg.subarray(ecs.at, ecs.at + ecs.len));
      if (!sub) return null;
      if (sub.sourcePrefix > 0) {
        const prefix = Math.min(sub.sourcePrefix, MAX_STEERING_PREFIX[sub.family]);
        return {
          address: truncate(sub.address, prefix),
          family: sub.family,
          prefix,
          fromEcs: true,
        };
      }
    }
    if (!remote) return NO_CLIENT_HINT;
    let c = this.bySource.get(remote.address);
    if (!c) {
      const v4 = ipv4Bytes(remote.address);
      const bytes = v4 ?? ipv6Bytes(remote.address) ?? new Uint8Array(4);
      const family = bytes.length === 4 ? 4 : 6;
      const prefix = MAX_STEERING_PREFIX[family];
      c = { address: truncate(bytes, prefix), family, prefix, fromEcs: false };
      if (this.bySource.size >= CLIENT_CACHE_LIMIT) this.bySource.clear();
      this.bySource.set(remote.address, c);
    }
    return c;
  }

  /**
   * The key of the client network `client` would return (equal keys, equal ClientHints), or null
   * when the ECS option is malformed. An IPv4 ECS subnet, what resolvers send most, is keyed
   * straight from the option's bytes (well formed: scanPlainQuery checked) without a ClientHint.
   */
  networkKey(
    msg: Buffer,
    ecs: EcsInQuery | null,
    remote: Remote | undefined,
  ): number | string | null {
    if (ecs) {
      const k = ecsIpv4Key(msg, ecs.at);
      if (k !== null) return k;
    }
    const c = this.client(msg, ecs, remote);
    return c ? hintKey(c) : null;
  }
}

/**
 * A ClientHint as a Map key. An IPv4 network of /24 or wider (all the handler makes) is a small
 * integer, which V8 hashes without allocating: its first 24 bits, then its prefix length and
 * whether it came from ECS (an equal network from the packet source is another hint).
 */
function hintKey(c: ClientHint): number | string {
  const a = c.address;
  const from = c.fromEcs ? 1 : 0;
  if (c.family === 4 && c.prefix <= 24)
    return ((a[0]! << 16) | (a[1]! << 8) | a[2]!) * 64 + c.prefix * 2 + from;
  return `${Buffer.from(a.buffer, a.byteOffset, a.length).toString('latin1')}/${c.prefix}/${from}`;
}

/**
 * hintKey of the client `client` builds from a well-formed ECS option (ecsWellFormed), read
 * from its bytes; null unless it is an IPv4 subnet with a source prefix above /0 (RFC 7871
 * 7.1.2: a /0 source steers by the packet's source instead).
 */
function ecsIpv4Key(msg: Buffer, at: number): number | null {
  const source = msg[at + 2]!;
  if (msg[at] !== 0 || msg[at + 1] !== 1 || source === 0) return null;
  const octets = (source + 7) >> 3;
  // The first 24 bits (MAX_STEERING_PREFIX): the fourth octet is never part of the network.
  let a = 0;
  for (let i = 0; i < 3; i++) a = (a << 8) | (i < octets ? msg[at + 4 + i]! : 0);
  const prefix = Math.min(source, MAX_STEERING_PREFIX[4]);
  const mask = (0xffffff << (24 - prefix)) & 0xffffff;
  return (a & mask) * 64 + prefix * 2 + 1;
}
