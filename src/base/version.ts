// geosteer's version, from its package.json: the nearest one above this module (src/base/ when
// run from source, dist/src/base/ when built), read once. The CLI and the admin API report it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function version(): string {
  if (cached !== null) return cached;
  cached = 'unknown';
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'geosteer' && typeof pkg.version === 'string') {
        cached = pkg.version;
        break;
      }
    } catch {
      // No package.json here: look one level up.
    }
    if (dirname(dir) === dir) break;
  }
  return cached;
}
