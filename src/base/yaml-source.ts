import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { type Problem, type ProblemCode, ProblemCode as C } from './errors.js';
import { MAX_NESTING, parsePlain, parseYaml } from './yaml-parse.js';
import { shiftFrom } from './yaml-pieces.js';

export { MAX_NESTING } from './yaml-parse.js';

/**
 * A parsed YAML file that remembers where every value came from, so each problem is reported as
 * file:line:col with its YAML path. Collects every problem instead of stopping at the first.
 */
export class Source {
  readonly problems: Problem[] = [];
  private readonly lines = new LineCounter();
  /** Second and later occurrences of a key in one mapping: reported once here, skipped by mapEntries. */
  private readonly duplicateKeys = new WeakSet<Node>();
  /** Problems found while reading (duplicate keys), as against those of the steps after it. */
  private readonly reading = new WeakSet<Problem>();
  /** The keys of the mapping read in pieces (readPiece), by the offset of their first occurrence. */
  private readonly pieceKeys = new Map<string, number>();
  readonly root: Node | null;
  /**
   * False when read with a cut and the rest is not plain YAML that parses (see
   * parsePlain): the root is then null, no problem is reported, and the caller reads it otherwise.
   */
  readonly plain: boolean = true;

  /**
   * `cut`: read the text without that part (a block read in pieces: base/yaml-pieces.ts), as
   * plain YAML only (see `plain`), with every position still the whole text's.
   */
  constructor(
    readonly file: string,
    text: string,
    cut: { readonly from: number; readonly to: number } | null = null,
  ) {
    let doc;
    if (cut) {
      this.lines.addNewLine(0);
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1))
        this.lines.addNewLine(nl + 1);
      const head = text.slice(0, cut.from) + text.slice(cut.to);
      doc = parsePlain(head, new LineCounter(), MAX_NESTING);
      if (doc) shiftFrom(doc.contents, cut.from, cut.to - cut.from);
      else this.plain = false;
    } else doc = parseYaml(file, text, this.lines, this.problems);
    this.root = (doc?.contents as Node | null | undefined) ?? null;
    if (this.root) this.walk(this.root, '');
  }

  /**
   * Take a piece of the mapping at `path` read apart from this text (base/yaml-pieces.ts, its
   * ranges already the text's): its duplicate keys, also against earlier pieces, are reported as
   * if it had been read with the rest.
   */
  readPiece(piece: YAMLMap, path: string): void {
    this.walk(piece, path, this.pieceKeys);
  }

  /** After the last piece: its keys are no longer needed (100,000 of them in a large zone). */
  endPieces(): void {
    this.pieceKeys.clear();
  }

  /** Drop every problem but those found while reading and those `keep` names. */
  keepReadingProblems(keep: readonly Problem[]): void {
    const kept = this.problems.filter((p) => this.reading.has(p) || keep.includes(p));
    this.problems.splice(0, this.problems.length, ...kept);
  }

  private pos(offset: number): [number, number] {
    const p = this.lines.linePos(offset);
    return [p.line, p.col];
  }

  /** Line and column (1-based) where a node starts; 1:1 when there is no node. */
  at(node: Where): { line: number; col: number } {
    const offset = typeof node === 'number' ? node : node?.range?.[0];
    const [line, col] = offset === undefined ? [1, 1] : this.pos(offset);
    return { line, col };
  }

  report(node: Where, path: string, code: ProblemCode, message: string): void {
    const { line, col } = this.at(node);
    this.problems.push({ file: this.file, line, col, path, code, message });
  }

  /** Report duplicate keys; `first` holds the first occurrences already seen in `node`'s mapping. */
  private walk(node: Node, path: string, first = new Map<string, number>()): void {
    if (isMap(node)) {
      for (const pair of (node as YAMLMap).items as Pair<Node, Node | null>[]) {
        const key = scalarText(pair.key);
        if (key === null) continue;
        const p = joinPath(path, key);
        const prev = first.get(key);
        if (prev !== undefined) {
          const [line, col] = prev < 0 ? [1, 1] : this.pos(prev);
          this.report(
            pair.key,
            p,
            C.duplicateKey,
            `duplicate key "${key}": the first is at line ${line}, column ${col}, and YAML keeps only one`,
          );
          this.reading.add(this.problems[this.problems.length - 1]!);
          this.duplicateKeys.add(pair.key);
          continue;
        }
        first.set(key, pair.key.range?.[0] ?? -1);
        if (pair.value) this.walk(pair.value, p);
      }
    } else if (isSeq(node)) {
      (node as YAMLSeq<Node>).items.forEach((item, i) => item && this.walk(item, `${path}[${i}]`));
    }
  }

  isDuplicateKey(keyNode: Node): boolean {
    return this.duplicateKeys.has(keyNode);
  }
}

/**
 * Where a problem is: a node, or the offset in the text where one started (what a compiled draft
 * keeps, so that the YAML tree can go: compile-pieces.ts), or nowhere (reported at 1:1).
 */
export type Where = Node | number | null | undefined;

/** The offset where a node starts, kept in its place; null: no node, or one without a range. */
export function offsetOf(node: Where): number | null {
  return typeof node === 'number' ? node : (node?.range?.[0] ?? null);
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

/**
 * The text of a string or number scalar as written, or null for anything else. Plain numbers
 * keep their source spelling: YAML reads the key `2.10` (a reverse-zone owner) as the float 2.1
 * and `0x1f` as 31, which would silently change a name.
 */
export function scalarText(node: Node | null | undefined): string | null {
  if (!isScalar(node)) return null;
  if (typeof node.value === 'string') return node.value;
  if (typeof node.value === 'number' || typeof node.value === 'bigint')
    return typeof node.source === 'string' ? node.source : String(node.value);
  return null;
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
    const key = scalarText(keyNode);
    if (key === null) {
      src.report(
        keyNode,
        path,
        C.wrongType,
        `keys must be plain strings, got ${describe(keyNode)}`,
      );
      continue;
    }
    if (src.isDuplicateKey(keyNode)) continue;
    out.push({ key, keyNode, value: pair.value ?? null, path: joinPath(path, key) });
  }
  return out;
}

/** Check a mapping's keys against the allowed set; every unknown key is a problem. */
export function checkKeys(
  src: Source,
  entries: Entry[],
  allowed: readonly string[],
  what: string,
): void {
  for (const e of entries) {
    if (!allowed.includes(e.key)) {
      src.report(
        e.keyNode,
        e.path,
        C.unknownKey,
        `unknown key "${e.key}" in ${what} (expected one of: ${allowed.join(', ')})`,
      );
    }
  }
}

export interface Item {
  node: Scalar;
  value: unknown;
  /** The value as written when it is a string or number (see scalarText), else null. */
  text: string | null;
  path: string;
}

/** A scalar or a sequence of scalars, as a list of items. */
export function listOf(src: Source, node: Node | null, path: string): Item[] {
  if (isSeq(node)) {
    const out: Item[] = [];
    (node as YAMLSeq<Node>).items.forEach((item, i) => {
      const p = `${path}[${i}]`;
      if (!isScalar(item))
        src.report(item, p, C.wrongType, `must be a single value, got ${describe(item)}`);
      else out.push({ node: item, value: item.value, text: scalarText(item), path: p });
    });
    return out;
  }
  if (isScalar(node) && node.value !== null)
    return [{ node, value: node.value, text: scalarText(node), path }];
  src.report(node, path, C.wrongType, `must be a value or a list of values, got ${describe(node)}`);
  return [];
}

export function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node))
    return node.value === null ? 'nothing' : `${typeof node.value} ${JSON.stringify(node.value)}`;
  if (isAlias(node))
    return `the YAML alias *${node.source} (quote a value that starts with *; anchors and aliases are not supported)`;
  return 'an unsupported YAML node';
}

export function scalarString(src: Source, node: Node | null, path: string): string | null {
  const text = scalarText(node);
  if (text === null) src.report(node, path, C.wrongType, `must be a string, got ${describe(node)}`);
  return text;
}

export function scalarInt(
  src: Source,
  node: Node | null,
  path: string,
  min: number,
  max: number,
  code: ProblemCode = C.badValue,
): number | null {
  if (
    isScalar(node) &&
    typeof node.value === 'number' &&
    Number.isInteger(node.value) &&
    node.value >= min &&
    node.value <= max
  )
    return node.value;
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
