// Links between the docs: every relative link in README.md and docs/*.md names a file that
// exists, and its #anchor a heading of that file (as GitHub makes anchors from headings), so a
// page that moves or a heading that is renamed cannot leave a reader at a dead end. Also the
// pages an issue asked to be linked from where an operator starts (docs/deployment.md).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text outside fenced code blocks, lines kept (links in examples are not links). */
function prose(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) =>
    block.replace(/[^\n]/g, ''),
  );
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page offers: its headings (repeats numbered as GitHub does). */
function anchors(md: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose(md).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const s = slug(m[1]!);
    const n = seen.get(s) ?? 0;
    seen.set(s, n + 1);
    out.add(n === 0 ? s : `${s}-${n}`);
  }
  return out;
}

/** Relative links `[text](target)` of a page, with their line numbers. */
function links(md: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  prose(md)
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        out.push({ target, line: i + 1 });
      }
    });
  return out;
}

describe('links between the docs', () => {
  it('there are pages and links to check', () => {
    expect(pages.length).toBeGreaterThan(10);
    expect(pages.flatMap((p) => links(readFileSync(join(ROOT, p), 'utf8'))).length).toBeGreaterThan(
      50,
    );
  });

  it.each(pages)('%s: every relative link names a file and a heading that exist', (page) => {
    const md = readFileSync(join(ROOT, page), 'utf8');
    const dead: string[] = [];
    for (const { target, line } of links(md)) {
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path === '' ? join(ROOT, page) : resolve(ROOT, dirname(page), path);
      if (!existsSync(file)) {
        dead.push(`${page}:${line}: ${target}: no such file`);
        continue;
      }
      if (anchor !== undefined && file.endsWith('.md')) {
        if (!anchors(readFileSync(file, 'utf8')).has(anchor))
          dead.push(`${page}:${line}: ${target}: no heading #${anchor}`);
      }
    }
    expect(dead).toEqual([]);
  });

  it('docs/deployment.md links the fleet page (docs/fleet.md), as issue 12 asks', () => {
    const md = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
    expect(links(md).map((l) => l.target)).toContain('fleet.md');
  });
});
