// The `rrl:` and `cookies:` sections of geosteer.yaml (docs/rrl.md), parsed with positions so
// every problem reads file:line:col like a zone error.
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { ProblemCode as C } from '../base/errors.js';
import {
  checkKeys,
  describe,
  isScalar,
  listOf,
  mapEntries,
  type Node,
  scalarBool,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import { parsePrefix, type Prefix, type RrlOptions } from './rrl.js';

export interface RrlConfig extends RrlOptions {
  enabled: boolean;
}

export interface CookiesConfig {
  enabled: boolean;
  /** 16 octets; null: a random secret per process (fine for one instance, not for a fleet). */
  secret: Uint8Array | null;
  previous: Uint8Array | null;
  require: boolean;
}

/**
 * Loopback sources cannot be spoofed from off the host (the kernel drops packets from 127/8 or
 * ::1 arriving on other interfaces), so limiting them protects nobody and would throttle local
 * health checks, benchmarks and tests.
 */
export const DEFAULT_ALLOW = ['127.0.0.0/8', '::1/128'];

/**
 * On by default, as NSD ships it: an authoritative server on the Internet is a reflection
 * amplifier without it, and 200 responses a second per network, class and name is far above what
 * one resolver network asks for one name (it caches), so legitimate traffic is not limited; past
 * it every second response is truncated, so a real resolver still gets its answer over TCP.
 */
export function defaultRrlConfig(): RrlConfig {
  return {
    enabled: true,
    responsesPerSecond: 200,
    window: 1,
    slip: 2,
    ipv4Prefix: 24,
    ipv6Prefix: 56,
    tableSize: 65_536,
    allow: DEFAULT_ALLOW.map((p) => parsePrefix(p)!),
    logOnly: false,
  };
}

export function defaultCookiesConfig(): CookiesConfig {
  return { enabled: true, secret: null, previous: null, require: false };
}

const RRL_KEYS = [
  'enabled',
  'responses_per_second',
  'window',
  'slip',
  'ipv4_prefix',
  'ipv6_prefix',
  'table_size',
  'allow',
  'log_only',
] as const;

export function parseRrlConfig(src: Source, node: Node | null, path: string): RrlConfig {
  const cfg = defaultRrlConfig();
  if (isScalar(node) && typeof node.value === 'boolean') return { ...cfg, enabled: node.value };
  const entries = mapEntries(src, node, path);
  if (!entries) return cfg;
  checkKeys(src, entries, RRL_KEYS, path);
  for (const e of entries) {
    const int = (min: number, max: number) => scalarInt(src, e.value, e.path, min, max);
    switch (e.key) {
      case 'enabled':
      case 'log_only': {
        const b = scalarBool(src, e.value, e.path);
        if (b !== null) cfg[e.key === 'enabled' ? 'enabled' : 'logOnly'] = b;
        break;
      }
      case 'responses_per_second':
        cfg.responsesPerSecond = int(1, 1_000_000_000) ?? cfg.responsesPerSecond;
        break;
      case 'window':
        cfg.window = int(1, 3600) ?? cfg.window;
        break;
      case 'slip':
        cfg.slip = int(0, 10) ?? cfg.slip;
        break;
      case 'ipv4_prefix':
        cfg.ipv4Prefix = int(8, 32) ?? cfg.ipv4Prefix;
        break;
      case 'ipv6_prefix':
        cfg.ipv6Prefix = int(16, 128) ?? cfg.ipv6Prefix;
        break;
      case 'table_size':
        cfg.tableSize = int(1024, 1 << 24) ?? cfg.tableSize;
        break;
      case 'allow': {
        const allow: Prefix[] = [];
        for (const item of listOf(src, e.value, e.path)) {
          const p = parsePrefix(String(item.value));
          if (p) allow.push(p);
          else
            src.report(
              item.node,
              item.path,
              C.badAddress,
              `not an address or network (e.g. 192.0.2.0/24 or 2001:db8::/32): ${describe(item.node)}`,
            );
        }
        cfg.allow = allow;
        break;
      }
    }
  }
  return cfg;
}

const COOKIE_KEYS = [
  'enabled',
  'secret',
  'secret_file',
  'previous_secret',
  'previous_secret_file',
  'require',
] as const;

export function parseCookiesConfig(
  src: Source,
  node: Node | null,
  path: string,
  baseDir: string,
): CookiesConfig {
  const cfg = defaultCookiesConfig();
  if (isScalar(node) && typeof node.value === 'boolean') return { ...cfg, enabled: node.value };
  const entries = mapEntries(src, node, path);
  if (!entries) return cfg;
  checkKeys(src, entries, COOKIE_KEYS, path);
  for (const e of entries) {
    switch (e.key) {
      case 'enabled':
      case 'require': {
        const b = scalarBool(src, e.value, e.path);
        if (b !== null) cfg[e.key] = b;
        break;
      }
      case 'secret':
      case 'previous_secret':
      case 'secret_file':
      case 'previous_secret_file': {
        const t = scalarText(e.value);
        let hex = t;
        if (t !== null && e.key.endsWith('_file')) {
          const file = resolvePath(baseDir, t);
          try {
            hex = readFileSync(file, 'utf8').trim();
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            const why = code === 'ENOENT' ? `no such file: ${file}` : (err as Error).message;
            src.report(e.value, e.path, C.io, why);
            break;
          }
        }
        const secret =
          hex !== null && /^[0-9a-fA-F]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : null;
        if (!secret) {
          const what = e.key.endsWith('_file') ? 'hold' : 'be';
          src.report(
            e.value,
            e.path,
            C.badValue,
            `must ${what} 32 hex digits (16 octets, RFC 9018 4.4), e.g. from: openssl rand -hex 16`,
          );
          break;
        }
        if (e.key.startsWith('previous')) cfg.previous = secret;
        else cfg.secret = secret;
        break;
      }
    }
  }
  for (const [a, b] of [
    ['secret', 'secret_file'],
    ['previous_secret', 'previous_secret_file'],
  ] as const) {
    const file = entries.find((e) => e.key === b);
    if (file && entries.some((e) => e.key === a))
      src.report(file.keyNode, file.path, C.badValue, `give ${a} or ${b}, not both`);
  }
  const prev = entries.find((e) => e.key.startsWith('previous'));
  if (prev && !entries.some((e) => e.key === 'secret' || e.key === 'secret_file'))
    src.report(prev.keyNode, prev.path, C.missingKey, 'a previous secret needs the current one');
  return cfg;
}
