import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  YAMLParseError,
  type Pair,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { type Problem, type ProblemCode, ProblemCode as C } from './errors.js';

/**
 * How deeply mappings and lists may nest (docs/zone-format.md#limits). The deepest a zone file
 * needs is about 8 (records, a name, a steer: stanza, its rules, a rule's lists); 64 leaves room
 * and keeps every recursive step after parsing (composing, validating, compiling) far from the
 * stack's end, so a hostile file cannot overflow it, whatever the stack size of the thread.
 */
export const MAX_NESTING = 64;

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * A parsed YAML file that remembers where every value came from, so each problem is reported as
 * file:line:col with its YAML path. Collects every problem instead of stopping at the first.
 */
export class Source {
  readonly problems: Problem[] = [];
  private readonly lines = new LineCounter();
  /** Second and later occurrences of a key in one mapping: reported once here, skipped by mapEntries. */
  private readonly duplicateKeys = new WeakSet<Node>();
  readonly root: Node | null;

  constructor(
    readonly file: string,
    text: string,
  ) {
    const doc = this.parse(text);
    if (!doc) {
      this.root = null;
      return;
    }
    if (doc.errors.length) this.hintReserved(text);
    for (const e of doc.errors) {
      const [line, col] = this.pos(e.pos[0]);
      this.problems.push({
        file,
        line,
        col,
        path: '',
        code: C.yamlSyntax,
        message: yamlMessage(e.code, e.message),
      });
    }
    this.root = doc.errors.length ? null : ((doc.contents as Node | null) ?? null);
    if (this.root) this.walk(this.root, '');
  }

  /**
   * Parse as yaml's parseDocument does (lexer, CST parser, composer), but watch the parser's
   * stack of open collections lexeme by lexeme and stop at the first one nested deeper than
   * MAX_NESTING, before anything recurses over the tree: the composer and every walk after it
   * recurse once per level, and a stack overflow inside them would be reported wherever the
   * stack happened to run out, which differs between `check`, the server and a reload. The
   * lexer and the CST parser are iterative, so this costs one counter test per lexeme.
   */
  private parse(text: string): Document.Parsed | null {
    const parser = new Parser(this.lines.addNewLine);
    const tokens: CST.Token[] = [];
    this.lines.addNewLine(0);
    for (const lexeme of new Lexer().lex(text)) {
      for (const t of parser.next(lexeme)) tokens.push(t);
      if (parser.stack.length <= MAX_NESTING) continue;
      const open = parser.stack.filter((t) => COLLECTIONS.has(t.type));
      if (open.length <= MAX_NESTING) continue;
      const [line, col] = this.pos(open[MAX_NESTING]!.offset);
      this.problems.push({
        file: this.file,
        line,
        col,
        path: '',
        code: C.nestingTooDeep,
        message: `nesting deeper than ${MAX_NESTING} (mappings and lists inside one another)`,
      });
      return null;
    }
    for (const t of parser.end()) tokens.push(t);
    // uniqueKeys is off so a duplicate key does not hide the rest of the file: duplicates are
    // found by walk() below and reported with their YAML path, beside every other problem.
    const composer = new Composer({ uniqueKeys: false });
    let doc: Document.Parsed | null = null;
    for (const d of composer.compose(tokens, true, text.length)) {
      if (!doc) doc = d;
      else {
        // As parseDocument: a second document is an error of the first.
        doc.errors.push(
          new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'a second document'),
        );
        break;
      }
    }
    return doc;
  }

  /**
   * Zone files name the apex '@' and wildcards '*.x', but YAML reserves a plain @ and reads a plain *
   * as an alias, and the parser's own error for that ("all mapping items must start at the same
   * column") points elsewhere. When parsing failed, name the unquoted key as well.
   */
  private hintReserved(text: string): void {
    text.split('\n').forEach((l, i) => {
      const m = /^(\s*)([@*][^\s:#'"]*)\s*:(?:\s|$)/.exec(l);
      if (!m) return;
      const how = m[2]!.startsWith('*') ? 'reads a plain * as an alias' : 'reserves a plain @';
      this.problems.push({
        file: this.file,
        line: i + 1,
        col: m[1]!.length + 1,
        path: '',
        code: C.yamlSyntax,
        message: `quote the name: '${m[2]}': (YAML ${how})`,
      });
    });
  }

  private pos(offset: number): [number, number] {
    const p = this.lines.linePos(offset);
    return [p.line, p.col];
  }

  /** Line and column (1-based) where a node starts; 1:1 when there is no node. */
  at(node: Node | null | undefined): { line: number; col: number } {
    const [line, col] = node?.range ? this.pos(node.range[0]) : [1, 1];
    return { line, col };
  }

  report(node: Node | null | undefined, path: string, code: ProblemCode, message: string): void {
    const { line, col } = this.at(node);
    this.problems.push({ file: this.file, line, col, path, code, message });
  }

  private walk(node: Node, path: string): void {
    if (isMap(node)) {
      const first = new Map<string, Node>();
      for (const pair of (node as YAMLMap).items as Pair<Node, Node | null>[]) {
        const key = scalarText(pair.key);
        if (key === null) continue;
        const p = joinPath(path, key);
        const prev = first.get(key);
        if (prev) {
          const at = this.at(prev);
          this.report(
            pair.key,
            p,
            C.duplicateKey,
            `duplicate key "${key}": the first is at line ${at.line}, column ${at.col}, and YAML keeps only one`,
          );
          this.duplicateKeys.add(pair.key);
          continue;
        }
        first.set(key, pair.key);
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

function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS')
    return 'a file holds one YAML document, but a second one starts here ("---")';
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return first.charAt(0).toLowerCase() + first.slice(1);
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
