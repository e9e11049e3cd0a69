// The status page's files, as `npm run build` leaves them in dist/page/ (scripts/build-page.ts):
// index.html with the world map already drawn in it, app.js and style.css. They are read from
// disk when first asked for and kept; nothing is built at run time. They hold no data, so they
// are served without the token (http.ts `public`); the page asks for the token before it reads
// anything else.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reply, Route } from '../http.js';

export const PAGE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
} as const;
type PageFile = keyof typeof PAGE_FILES;

/**
 * Everything the page loads comes from this listener, and it may not be framed (a framed page
 * could be clicked into draining a site). No inline script or style: the
 * page sets marker positions as SVG attributes.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** dist/page from dist/src/admin/page (built) or from src/admin/page (run from source). */
export function pageDir(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '..', '..', '..', 'page'), join(here, '..', '..', '..', 'dist', 'page')];
}

export class PageAssets {
  private readonly cache = new Map<PageFile, string>();

  constructor(private readonly dirs: string[] = pageDir()) {}

  routes(): Route[] {
    const route = (pattern: string[], file: PageFile): Route => ({
      method: 'GET',
      pattern,
      public: true,
      handle: () => this.reply(file),
    });
    return [
      route([], 'index.html'),
      route(['page', 'app.js'], 'app.js'),
      route(['page', 'style.css'], 'style.css'),
    ];
  }

  private async reply(file: PageFile): Promise<Reply> {
    const text = await this.read(file);
    if (text === null)
      return {
        status: 503,
        text: `the status page is not built (no ${file} in ${this.dirs.join(' or ')}): run npm run build\n`,
        contentType: 'text/plain; charset=utf-8',
      };
    return { text, contentType: PAGE_FILES[file], headers: SECURITY_HEADERS };
  }

  private async read(file: PageFile): Promise<string | null> {
    const hit = this.cache.get(file);
    if (hit !== undefined) return hit;
    for (const dir of this.dirs) {
      try {
        const text = await readFile(join(dir, file), 'utf8');
        this.cache.set(file, text);
        return text;
      } catch {
        // Not in this one: try the next.
      }
    }
    return null;
  }
}
