// The `probe:` stanza of a site or an address, compiled once when the zone loads (docs/health.md).
// Every mistake is reported with file:line:col like the rest of the zone file, all at once.
import { ProblemCode as C } from '../base/errors.js';
import {
  checkKeys,
  describe,
  type Entry,
  isScalar,
  mapEntries,
  type Node,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import { compileDnsFields, compileHttpFields } from './config-fields.js';
import { compileTiming, parseTarget } from './config-values.js';
import {
  type ActiveProbe,
  DEFAULT_PORTS,
  NO_PROBE,
  PROBE_TYPES,
  type ProbeSpec,
  type ProbeType,
} from './spec.js';

export {
  MAX_INTERVAL_MS,
  MAX_THRESHOLD,
  MIN_INTERVAL_MS,
  MIN_TIMEOUT_MS,
} from './config-values.js';

const TIMING_KEYS = ['interval', 'timeout', 'rise', 'fall'] as const;
/** The keys each probe type accepts; exported so docs/health.md can be checked against them. */
export const PROBE_KEYS: Readonly<Record<ProbeType, readonly string[]>> = {
  none: ['type'],
  http: ['type', 'port', 'target', 'path', 'method', 'expect', 'body', 'host', ...TIMING_KEYS],
  https: [
    'type',
    'port',
    'target',
    'path',
    'method',
    'expect',
    'body',
    'host',
    'sni',
    'insecure',
    ...TIMING_KEYS,
  ],
  tcp: ['type', 'port', 'target', ...TIMING_KEYS],
  dns: ['type', 'port', 'target', 'name', 'qtype', ...TIMING_KEYS],
};

/**
 * `probe: { type: http, ... }`, or a type alone (`probe: none`, `probe: https`) when the defaults
 * do. Null when there were problems (they are reported).
 */
export function compileProbe(src: Source, node: Node | null, path: string): ProbeSpec | null {
  const before = src.problems.length;
  if (isScalar(node) && typeof node.value === 'string') {
    const type = probeType(src, node, path);
    if (type === null) return null;
    if (type === 'tcp') {
      src.report(
        node,
        path,
        C.missingKey,
        'a tcp probe needs "port": write probe: { type: tcp, port: 443 }',
      );
      return null;
    }
    if (type === 'dns') {
      src.report(
        node,
        path,
        C.missingKey,
        'a dns probe needs "name": write probe: { type: dns, name: example.com }',
      );
      return null;
    }
    return type === 'none' ? NO_PROBE : build(src, type, [], node, path);
  }
  const entries = mapEntries(src, node, path);
  if (!entries) return null;
  const typeE = entries.find((e) => e.key === 'type');
  if (!typeE) {
    src.report(node, path, C.missingKey, `a probe needs "type": one of ${PROBE_TYPES.join(', ')}`);
    return null;
  }
  const type = probeType(src, typeE.value, typeE.path);
  if (type === null) return null;
  checkKeys(src, entries, PROBE_KEYS[type], probeNoun(type));
  if (type === 'none') return src.problems.length > before ? null : NO_PROBE;
  const spec = build(src, type, entries, node, path);
  return src.problems.length > before ? null : spec;
}

/** "an http probe", "a tcp probe", "a probe of type none": for messages. */
function probeNoun(type: ProbeType): string {
  if (type === 'none') return 'a probe of type none';
  return `${type.startsWith('http') ? 'an' : 'a'} ${type} probe`;
}

function probeType(src: Source, node: Node | null, path: string): ProbeType | null {
  const t = scalarText(node);
  if (t !== null && (PROBE_TYPES as readonly string[]).includes(t)) return t as ProbeType;
  src.report(
    node,
    path,
    C.badValue,
    `must be one of ${PROBE_TYPES.join(', ')}, got ${describe(node)}`,
  );
  return null;
}

function build(
  src: Source,
  type: Exclude<ProbeType, 'none'>,
  entries: Entry[],
  node: Node | null,
  path: string,
): ActiveProbe | null {
  const get = (k: string) => entries.find((e) => e.key === k);
  const timing = compileTiming(src, get);

  // Endpoint: target (an IP address, optionally with its port) and port.
  const targetE = get('target');
  const target = targetE ? parseTarget(src, targetE) : null;
  const portE = get('port');
  let port: number | null = portE ? scalarInt(src, portE.value, portE.path, 1, 65535) : null;
  if (portE && target?.port != null) {
    src.report(
      portE.value,
      portE.path,
      C.badValue,
      `the port is given twice: target ${targetE && scalarText(targetE.value)} already names port ${target.port}`,
    );
  }
  port = target?.port ?? port;
  if (port === null && !portE) {
    if (type === 'tcp') {
      src.report(
        node,
        path,
        C.missingKey,
        'a tcp probe needs "port" (or a target with a port, e.g. 10.0.0.5:8080)',
      );
      return null;
    }
    port = DEFAULT_PORTS[type];
  }
  const endpoint = { target: target?.host ?? null, port: port ?? 0 };

  if (type === 'tcp') return { type, ...timing, ...endpoint };

  if (type === 'dns')
    return { type, ...timing, ...endpoint, ...compileDnsFields(src, get, node, path) };
  return { type, ...timing, ...endpoint, ...compileHttpFields(src, get) };
}
