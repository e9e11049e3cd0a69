// The `fleet:` section of geosteer.yaml (docs/fleet.md#configuration), parsed with positions so
// every problem reads file:line:col like a zone error. Without `fleet:` an instance works alone.
//
//   fleet:
//     endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379, https://10.0.0.3:2379]
//     prefix: /geosteer/              # every key geosteer writes lives under it
//     name: ns1                       # this instance; default: the host name
//     lease_ttl: 10                   # seconds; an instance silent this long stops voting
//     rule: majority                  # any-up | all-up | majority | a fraction such as 0.5
//     probe_source: 127.0.1.1         # the address this instance's probes leave from
//     probes_per_target: 2            # each address probed by 2 of the live instances
//     tls: { ca: ca.pem, cert: client.pem, key: client-key.pem }
//     auth: { user: geosteer, password_file: etcd-password }
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { ProblemCode as C } from '../base/errors.js';
import {
  checkKeys,
  describe,
  isScalar,
  isSeq,
  listOf,
  mapEntries,
  type Node,
  scalarInt,
  scalarString,
  type Source,
} from '../base/yaml-source.js';
import { type ConsensusRule, parseRule } from './consensus.js';

export const FLEET_KEYS = [
  'endpoints',
  'prefix',
  'name',
  'lease_ttl',
  'rule',
  'probe_source',
  'tls',
  'auth',
  'probes_per_target',
] as const;

export interface FleetConfig {
  /** etcd client URLs, http:// or https://. */
  readonly endpoints: readonly string[];
  /** Key prefix, ending in '/'. */
  readonly prefix: string;
  /** This instance's name: its key in etcd and its name in /status. */
  readonly name: string;
  /** Seconds without a keepalive after which etcd drops this instance's keys (and votes). */
  readonly leaseTtl: number;
  readonly rule: ConsensusRule;
  /** Source address of this instance's probes; null: the kernel chooses. */
  readonly probeSource: string | null;
  /** PEM files for TLS to etcd (absolute paths); null: plain or server-verified only by CA. */
  readonly tls: { ca: string | null; cert: string | null; key: string | null } | null;
  /** etcd user and the file holding its password; null: no authentication. */
  readonly auth: { user: string; passwordFile: string } | null;
  /** Probers per address (probe sharing, src/fleet/sharing.ts); null: every instance probes all. */
  readonly probesPerTarget: number | null;
}

export const DEFAULT_PREFIX = '/geosteer/';
export const DEFAULT_LEASE_TTL = 10;

/** Instance names become one etcd key segment: no '/', nothing a shell would mangle. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Parse the `fleet:` value. Paths are relative to `baseDir`. Problems go to `src`. */
export function parseFleetConfig(
  src: Source,
  node: Node | null,
  path: string,
  baseDir: string,
): FleetConfig | null {
  const entries = mapEntries(src, node, path);
  if (!entries) return null;
  checkKeys(src, entries, FLEET_KEYS, path);
  let endpoints: string[] = [];
  let prefix = DEFAULT_PREFIX;
  let name = hostname().split('.')[0] || 'geosteer';
  let leaseTtl = DEFAULT_LEASE_TTL;
  let rule: ConsensusRule = { kind: 'majority' };
  let probeSource: string | null = null;
  let tls: FleetConfig['tls'] = null;
  let auth: FleetConfig['auth'] = null;
  let probesPerTarget: number | null = null;
  let endpointsSeen = false;
  for (const e of entries) {
    switch (e.key) {
      case 'endpoints': {
        endpointsSeen = true;
        const items = listOf(src, e.value, e.path);
        if (items.length === 0 && isSeq(e.value))
          src.report(e.value, e.path, C.missingKey, 'at least one etcd endpoint is needed');
        for (const v of items) {
          const url = endpointUrl(v.text ?? '');
          if (url) endpoints.push(url);
          else
            src.report(
              v.node,
              v.path,
              C.badAddress,
              `not an etcd client URL (http://host:port or https://host:port): ${describe(v.node)}`,
            );
        }
        break;
      }
      case 'prefix': {
        const s = scalarString(src, e.value, e.path);
        if (s !== null && /^[\x21-\x7e]{1,128}$/.test(s)) prefix = s.endsWith('/') ? s : `${s}/`;
        else if (s !== null)
          src.report(e.value, e.path, C.badValue, 'a key prefix of 1-128 printable characters');
        break;
      }
      case 'name': {
        const s = scalarString(src, e.value, e.path);
        if (s !== null && NAME.test(s)) name = s;
        else if (s !== null)
          src.report(
            e.value,
            e.path,
            C.badValue,
            `instance names use letters, digits, '-', '_' and '.' (at most 63), got "${s}"`,
          );
        break;
      }
      case 'lease_ttl':
        leaseTtl = scalarInt(src, e.value, e.path, 2, 3600) ?? leaseTtl;
        break;
      case 'rule': {
        const r = parseRule(isScalar(e.value) ? e.value.value : undefined);
        if (r) rule = r;
        else
          src.report(
            e.value,
            e.path,
            C.badValue,
            `must be majority, any-up, all-up or a fraction in (0, 1], got ${describe(e.value)}`,
          );
        break;
      }
      case 'probe_source': {
        const s = scalarString(src, e.value, e.path);
        if (s !== null && isIP(s)) probeSource = s;
        else if (s !== null) src.report(e.value, e.path, C.badAddress, `not an IP address: "${s}"`);
        break;
      }
      case 'tls':
        tls = parseTls(src, e.value, e.path, baseDir);
        break;
      case 'auth':
        auth = parseAuth(src, e.value, e.path, baseDir);
        break;
      case 'probes_per_target':
        probesPerTarget = scalarInt(src, e.value, e.path, 1, 64) ?? probesPerTarget;
        break;
    }
  }
  if (!endpointsSeen)
    src.report(node, path, C.missingKey, 'fleet needs endpoints: the etcd client URLs');
  if (tls && endpoints.some((u) => u.startsWith('http://'))) {
    const e = entries.find((x) => x.key === 'endpoints')!;
    src.report(e.value, e.path, C.badValue, 'with tls: every endpoint must be https://');
  }
  endpoints = [...new Set(endpoints)];
  return { endpoints, prefix, name, leaseTtl, rule, probeSource, tls, auth, probesPerTarget };
}

function endpointUrl(text: string): string | null {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return null;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.port) return null;
  if (u.pathname !== '/' || u.search || u.hash || u.username) return null;
  return `${u.protocol}//${u.host}`;
}

function parseTls(
  src: Source,
  node: Node | null,
  path: string,
  baseDir: string,
): FleetConfig['tls'] {
  const entries = mapEntries(src, node, path);
  if (!entries) return null;
  checkKeys(src, entries, ['ca', 'cert', 'key'], path);
  const out = {
    ca: null as string | null,
    cert: null as string | null,
    key: null as string | null,
  };
  for (const e of entries) {
    const s = scalarString(src, e.value, e.path);
    if (s !== null) out[e.key as 'ca' | 'cert' | 'key'] = resolvePath(baseDir, s);
  }
  if ((out.cert === null) !== (out.key === null))
    src.report(node, path, C.missingKey, 'a client certificate needs both cert and key');
  return out;
}

function parseAuth(
  src: Source,
  node: Node | null,
  path: string,
  baseDir: string,
): FleetConfig['auth'] {
  const entries = mapEntries(src, node, path);
  if (!entries) return null;
  checkKeys(src, entries, ['user', 'password_file'], path);
  let user: string | null = null;
  let passwordFile: string | null = null;
  for (const e of entries) {
    const s = scalarString(src, e.value, e.path);
    if (s === null) continue;
    if (e.key === 'user') user = s;
    else passwordFile = resolvePath(baseDir, s);
  }
  if (user === null || passwordFile === null) {
    src.report(node, path, C.missingKey, 'auth needs user and password_file');
    return null;
  }
  return { user, passwordFile };
}
