// "The answer threads never parse YAML or compile" (issue #11), as a checked fact: the modules an
// answer thread loads (the static imports of src/threads/answer-thread.ts, followed transitively)
// hold neither the `yaml` package nor the zone compiler. Zones reach the threads as data
// (src/zone/share.ts); a thread that could compile would be one import away from doing so.
// Imports are read with TypeScript's parser; a type-only import loads nothing at run time
// (`import type`, or every name marked `type`), so it is not followed. Any other import is, even
// one TypeScript would drop for naming only types: the check errs on the side of failing.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

interface Graph {
  /** Source files loaded, relative to the repository, each with the file that first imported it. */
  files: Map<string, string | null>;
  /** Packages imported (bare specifiers), each with the file that first imported it. */
  packages: Map<string, string>;
}

/** The specifiers a file loads at run time: static imports and re-exports, and import() calls. */
function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const named = c?.namedBindings;
      const typeOnly =
        c?.isTypeOnly === true ||
        (c !== undefined &&
          !c.name &&
          named !== undefined &&
          ts.isNamedImports(named) &&
          named.elements.length > 0 &&
          named.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      out.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function graphFrom(entry: string): Graph {
  const files = new Map<string, string | null>([[entry, null]]);
  const packages = new Map<string, string>();
  const queue = [entry];
  for (let f = queue.pop(); f !== undefined; f = queue.pop()) {
    for (const spec of runtimeImports(join(ROOT, f))) {
      if (!spec.startsWith('.')) {
        if (!packages.has(spec)) packages.set(spec, f);
        continue;
      }
      const target = relative(ROOT, resolve(ROOT, dirname(f), spec.replace(/\.js$/, '.ts')));
      if (files.has(target)) continue;
      files.set(target, f);
      queue.push(target);
    }
  }
  return { files, packages };
}

/** How `file` came to be loaded: the chain of importers back to the entry. */
function chain(g: Graph, file: string): string {
  const out = [file];
  for (let f = g.files.get(file); f; f = g.files.get(f)) out.push(f);
  return out.join(' <- ');
}

describe('the answer thread loads no YAML reader and no compiler', () => {
  const g = graphFrom('src/threads/answer-thread.ts');

  it('follows the real graph: the resolver, the pickers and the zone images are in it', () => {
    for (const f of [
      'src/server/handler.ts',
      'src/server/resolve.ts',
      'src/policy/decide.ts',
      'src/policy/pickers.ts',
      'src/policy/geo-pick.ts',
      'src/policy/referral.ts',
      'src/zone/share.ts',
      'src/zone/image.ts',
      'src/geoip/override-set.ts',
    ])
      expect(g.files.has(f), f).toBe(true);
    expect(g.packages.has('node:worker_threads')).toBe(true);
  });

  it('imports no `yaml` package', () => {
    const yaml = [...g.packages.keys()].filter((p) => p === 'yaml' || p.startsWith('yaml/'));
    expect(yaml.map((p) => `${p} <- ${chain(g, g.packages.get(p)!)}`)).toEqual([]);
  });

  it('imports neither the zone compiler, nor a policy compiler, nor the YAML source reader', () => {
    const compilers = [...g.files.keys()].filter(
      (f) =>
        /^src\/zone\/(compile[^/]*|steered-text|draft|load)\.ts$/.test(f) ||
        /^src\/base\/yaml-[^/]*\.ts$/.test(f) ||
        /^src\/policy\/(registry|compile-record|members|geo-rules)\.ts$/.test(f),
    );
    expect(compilers.map((f) => chain(g, f))).toEqual([]);
  });
});
