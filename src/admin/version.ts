// geosteer's version, from its package.json: the nearest one above this module (src/admin/ when
// run from source, dist/src/admin/ when built), read once.
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
