// The `admin:` section of geosteer.yaml (docs/admin.md#configuration), parsed with positions so
// every problem reads file:line:col like a zone error.
//
//   admin:
//     listen: 127.0.0.1:8053        # default; a bare address means port 8053
//     token: s3cret                 # or token_file: admin-token (relative to the config file)
//     allowed_hosts: [geosteer-admin.internal]   # more names the Host header may carry
//   admin: false                    # no admin listener, no metrics

import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { type Endpoint, parseEndpoint } from '../base/endpoint.js';
import { ProblemCode as C } from '../base/errors.js';
import {
  checkKeys,
  describe,
  isScalar,
  listOf,
  mapEntries,
  type Node,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import { canonicalHost } from './guard.js';
import { DEFAULT_ADMIN_PORT, isLoopback, type AdminOptions } from './options.js';

export const ADMIN_KEYS = ['listen', 'token', 'token_file', 'allowed_hosts'] as const;

/**
 * A DNS host name (letters, digits, hyphens; RFC 1123 2.1), at most 253 octets, whose last label
 * is not all digits (so `7` or `127.1` is not taken for a name).
 */
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?<!(?:^|\.)\d+)$/i;

/**
 * `admin:` as written. In Config, `null` means the section is absent (the default listener, off
 * under --workers above 1 with a warning) and `false` means `admin: false`.
 */
export type AdminConfig = AdminOptions;

/**
 * Parse the `admin:` value: `false`, `true` (the defaults, stated), or a mapping. Paths are
 * relative to `baseDir` (the config file's directory). Problems go to `src`.
 */
export function parseAdminConfig(
  src: Source,
  node: Node | null,
  path: string,
  baseDir: string,
): AdminConfig | false {
  const cfg: {
    listen: Endpoint;
    token: string | null;
    tokenFile: string | null;
    allowedHosts?: string[];
  } = {
    listen: { host: '127.0.0.1', port: DEFAULT_ADMIN_PORT },
    token: null,
    tokenFile: null,
  };
  if (isScalar(node) && typeof node.value === 'boolean') return node.value ? cfg : false;
  const entries = mapEntries(src, node, path);
  if (!entries) return cfg;
  checkKeys(src, entries, ADMIN_KEYS, path);
  let listenNode: Node | null = null;
  for (const e of entries) {
    switch (e.key) {
      case 'listen': {
        const t = scalarText(e.value);
        const ep = t === null ? null : parseEndpoint(t, DEFAULT_ADMIN_PORT);
        if (ep) {
          cfg.listen = ep;
          listenNode = e.value;
        } else
          src.report(
            e.value,
            e.path,
            C.badAddress,
            `not an address with optional port (e.g. 127.0.0.1:8053 or [::1]:8053): ${describe(e.value)}`,
          );
        break;
      }
      case 'token': {
        const t = scalarText(e.value);
        if (t === null || t === '' || /\s/.test(t))
          src.report(
            e.value,
            e.path,
            C.badValue,
            `must be a non-empty string without spaces, got ${describe(e.value)}`,
          );
        else cfg.token = t;
        break;
      }
      case 'allowed_hosts': {
        const hosts: string[] = [];
        const seq = isScalar(e.value) && e.value.value === null ? [] : listOf(src, e.value, e.path);
        for (const item of seq) {
          const t = item.text;
          const bare = t?.replace(/^\[(.*)\]$/, '$1') ?? '';
          if (t !== null && (HOST_NAME.test(t) || isIP(bare) !== 0)) hosts.push(canonicalHost(t));
          else
            src.report(
              item.node,
              item.path,
              C.badValue,
              `must be a host name or IP address, without scheme, port or wildcard (e.g. geosteer-admin.internal), got ${describe(item.node)}`,
            );
        }
        cfg.allowedHosts = hosts;
        break;
      }
      case 'token_file': {
        const t = scalarText(e.value);
        if (t === null || t === '') {
          src.report(e.value, e.path, C.wrongType, `must be a file path, got ${describe(e.value)}`);
          break;
        }
        cfg.tokenFile = resolvePath(baseDir, t);
        try {
          if (!statSync(cfg.tokenFile).isFile())
            src.report(e.value, e.path, C.io, `not a file: ${cfg.tokenFile}`);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const why = code === 'ENOENT' ? `no such file: ${cfg.tokenFile}` : (err as Error).message;
          src.report(e.value, e.path, C.io, why);
        }
        break;
      }
    }
  }
  const token = entries.find((e) => e.key === 'token');
  const file = entries.find((e) => e.key === 'token_file');
  if (token && file)
    src.report(file.keyNode, file.path, C.badValue, 'give token or token_file, not both');
  // Anyone who can reach the port can drain every site: off loopback, a token is required.
  if (listenNode && !isLoopback(cfg.listen.host) && !token && !file)
    src.report(
      listenNode,
      `${path}.listen`,
      C.badValue,
      `${cfg.listen.host} is not a loopback address: set admin.token or admin.token_file (the admin API can drain sites)`,
    );
  return cfg;
}
