import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { type Problem, type ProblemCode, ProblemCode as C } from './errors.js';

/**
 * A parsed YAML file that remembers where every value came from, so each problem is reported as
 * file:line:col with its YAML path. Collects every problem instead of stopping at the first.
 */
export class Source {
  readonly problems: Problem[] = [];
  private readonly lines = new LineCounter();
  readonly root: Node | null;

  constructor(
    readonly file: string,
    text: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    for (const e of doc.errors) {
      const [line, col] = this.pos(e.pos[0]);
      this.problems.push({ file, line, col, path: '', code: C.yamlSyntax, message: e.message.split('\n')[0]! });
    }
    this.root = doc.errors.length ? null : ((doc.contents as Node | null) ?? null);
  }

  private pos(offset: number): [number, number] {
    const p = this.lines.linePos(offset);
    return [p.line, p.col];
  }

  report(node: Node | null | undefined, path: string, code: ProblemCode, message: string): void {
    const [line, col] = node?.range ? this.pos(node.range[0]) : [1, 1];
    this.problems.push({ file: this.file, line, col, path, code, message });
  }
}

export interface Entry {
  key: string;
  keyNode: Node;
  value: Node | null;
  path: string;
}

export function joinPath(base: string, key: string): string {
  const safe = /^[A-Za-z0-9_@*-]+$/.test(key) ? key : JSON.stringify(key);
  return base ? `${base}.${safe}` : safe;
}

/** Entries of a mapping, or a wrong-type problem and null. */
export function mapEntries(src: Source, node: Node | null, path: string): Entry[] | null {
  if (!isMap(node)) {
    src.report(node, path, C.wrongType, `must be a mapping, got ${describe(node)}`);
    return null;
  }
  const out: Entry[] = [];
  for (const pair of (node as YAMLMap).items as Pair<Node, Node | null>[]) {
    const keyNode = pair.key;
    if (!isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
      src.report(keyNode, path, C.wrongType, 'keys must be plain strings');
      continue;
    }
    const key = String(keyNode.value);
    out.push({ key, keyNode, value: pair.value ?? null, path: joinPath(path, key) });
  }
  return out;
}

/** Check a mapping's keys against the allowed set; every unknown key is a problem. */
export function checkKeys(src: Source, entries: Entry[], allowed: readonly string[], what: string): void {
  for (const e of entries) {
    if (!allowed.includes(e.key)) {
      src.report(e.keyNode, e.path, C.unknownKey, `unknown key "${e.key}" in ${what} (expected one of: ${allowed.join(', ')})`);
    }
  }
}

/** A scalar or a sequence of scalars, as a list of [node, value, path]. */
export function listOf(src: Source, node: Node | null, path: string): { node: Scalar; value: unknown; path: string }[] {
  if (isSeq(node)) {
    const out: { node: Scalar; value: unknown; path: string }[] = [];
    (node as YAMLSeq<Node>).items.forEach((item, i) => {
      const p = `${path}[${i}]`;
      if (!isScalar(item)) src.report(item, p, C.wrongType, `must be a single value, got ${describe(item)}`);
      else out.push({ node: item, value: item.value, path: p });
    });
    return out;
  }
  if (isScalar(node) && node.value !== null) return [{ node, value: node.value, path }];
  src.report(node, path, C.wrongType, `must be a value or a list of values, got ${describe(node)}`);
  return [];
}

export function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'nothing' : `${typeof node.value} ${JSON.stringify(node.value)}`;
  return 'an alias';
}

export function scalarString(src: Source, node: Node | null, path: string): string | null {
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return String(node.value);
  src.report(node, path, C.wrongType, `must be a string, got ${describe(node)}`);
  return null;
}

export function scalarInt(src: Source, node: Node | null, path: string, min: number, max: number, code: ProblemCode = C.badValue): number | null {
  if (isScalar(node) && typeof node.value === 'number' && Number.isInteger(node.value) && node.value >= min && node.value <= max) return node.value;
  src.report(node, path, code, `must be an integer ${min}-${max}, got ${describe(node)}`);
  return null;
}

export function scalarBool(src: Source, node: Node | null, path: string): boolean | null {
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  src.report(node, path, C.wrongType, `must be true or false, got ${describe(node)}`);
  return null;
}

export { isMap, isScalar, isSeq };
export type { Node };
