// The `tcp_limits:` section of geosteer.yaml (docs/configuration.md, docs/server.md#tcp-limits),
// read with positions so every problem reads file:line:col like a zone error.
//
//   tcp_limits:
//     per_network: 128               # connections one client network may hold
//     ipv4_prefix: 24                # what makes a client network
//     ipv6_prefix: 56
//     pressure_idle_timeout_ms: 1000 # the idle timeout above half of tcp_max_connections
//     message_timeout_ms: 2000       # to receive one message, or hand over a reply
//     max_pipelined: 64              # queries of one connection answered per turn
//     max_buffered_bytes: 262144     # unanswered + unsent octets per connection
import { checkKeys, mapEntries, type Node, scalarInt, type Source } from '../base/yaml-source.js';
import { DEFAULT_TCP_LIMITS, MIN_BUFFERED_BYTES, type TcpLimits } from './tcp-limits.js';

/** Each key: its field and its range. */
const KEYS: Record<string, [keyof TcpLimits, number, number]> = {
  per_network: ['perNetwork', 1, 1_000_000],
  ipv4_prefix: ['ipv4Prefix', 0, 32],
  ipv6_prefix: ['ipv6Prefix', 0, 128],
  pressure_idle_timeout_ms: ['pressureIdleTimeoutMs', 100, 3_600_000],
  message_timeout_ms: ['messageTimeoutMs', 100, 600_000],
  max_pipelined: ['maxPipelined', 1, 65_535],
  max_buffered_bytes: ['maxBufferedBytes', MIN_BUFFERED_BYTES, 64 * 1024 * 1024],
};

/** Parse `tcp_limits:`; keys left out keep their defaults. Problems go to `src`. */
export function parseTcpLimits(src: Source, node: Node | null, path: string): TcpLimits {
  const out = { ...DEFAULT_TCP_LIMITS };
  const entries = mapEntries(src, node, path);
  if (!entries) return out;
  checkKeys(src, entries, Object.keys(KEYS), path);
  for (const e of entries) {
    const k = KEYS[e.key];
    if (!k) continue;
    const v = scalarInt(src, e.value, e.path, k[1], k[2]);
    if (v !== null) out[k[0]] = v;
  }
  return out;
}
