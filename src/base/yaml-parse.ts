// Parsing a YAML file for base/yaml-source.ts: yaml's parseDocument, taken apart so that nesting
// is bounded before anything recurses, and its errors turned into problems with file:line:col.
import {
  Composer,
  CST,
  type Document,
  Lexer,
  type LineCounter,
  Parser,
  YAMLParseError,
} from 'yaml';
import { type Problem, ProblemCode as C } from './errors.js';

/**
 * How deeply mappings and lists may nest (docs/zone-format.md#limits). The deepest a zone file
 * needs is about 8 (records, a name, a steer: stanza, its rules, a rule's lists); 64 leaves room
 * and keeps every recursive step after parsing (composing, validating, compiling) far from the
 * stack's end, so a hostile file cannot overflow it, whatever the stack size of the thread.
 */
export const MAX_NESTING = 64;

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * What a text read in pieces (yaml-pieces.ts) may not use: anchors, aliases and tags can reach
 * across pieces, directives and document markers change how the whole stream reads.
 */
const NOT_PLAIN = new Set(['anchor', 'alias', 'tag', 'directive-line', 'doc-start', 'doc-end']);

/**
 * Parse `text`, counting its lines into `lines`. The document when it parsed without errors,
 * else null; every problem found (nesting too deep, YAML syntax) goes into `problems`.
 */
export function parseYaml(
  file: string,
  text: string,
  lines: LineCounter,
  problems: Problem[],
): Document.Parsed | null {
  const pos = (offset: number): [number, number] => {
    const p = lines.linePos(offset);
    return [p.line, p.col];
  };
  const doc = compose(file, text, lines, pos, problems, MAX_NESTING, false);
  if (!doc) return null;
  if (doc.errors.length) hintReserved(file, text, problems);
  for (const e of doc.errors) {
    const [line, col] = pos(e.pos[0]);
    problems.push({
      file,
      line,
      col,
      path: '',
      code: C.yamlSyntax,
      message: yamlMessage(e.code, e.message),
    });
  }
  return doc.errors.length ? null : doc;
}

/**
 * Parse plain YAML (no anchors, aliases, tags, directives or document markers) nested at most
 * `maxNesting` deep, counting its lines into `lines`: the document, or null for anything else,
 * syntax errors included. For the reader in pieces, which then reads the whole text as one
 * (parseYaml) so that every problem is reported as it always was.
 */
export function parsePlain(
  text: string,
  lines: LineCounter,
  maxNesting: number,
): Document.Parsed | null {
  const problems: Problem[] = [];
  const doc = compose('', text, lines, () => [1, 1], problems, maxNesting, true);
  return doc && doc.errors.length === 0 && problems.length === 0 ? doc : null;
}

/**
 * Parse as yaml's parseDocument does (lexer, CST parser, composer), but watch the parser's
 * stack of open collections lexeme by lexeme and stop at the first one nested deeper than
 * MAX_NESTING, before anything recurses over the tree: the composer and every walk after it
 * recurse once per level, and a stack overflow inside them would be reported wherever the
 * stack happened to run out, which differs between `check`, the server and a reload. The
 * lexer and the CST parser are iterative, so this costs one counter test per lexeme.
 */
function compose(
  file: string,
  text: string,
  lines: LineCounter,
  pos: (offset: number) => [number, number],
  problems: Problem[],
  maxNesting: number,
  plainOnly: boolean,
): Document.Parsed | null {
  const parser = new Parser(lines.addNewLine);
  const tokens: CST.Token[] = [];
  lines.addNewLine(0);
  let scalarNext = false;
  for (const lexeme of new Lexer().lex(text)) {
    for (const t of parser.next(lexeme)) tokens.push(t);
    // The lexer sends a plain or block scalar as a SCALAR mark, then its text (which may start
    // with any character), as the parser reads it.
    if (plainOnly) {
      if (scalarNext) scalarNext = false;
      else if (lexeme === CST.SCALAR) scalarNext = true;
      else if (NOT_PLAIN.has(CST.tokenType(lexeme) ?? '')) return null;
    }
    if (parser.stack.length <= maxNesting) continue;
    const open = parser.stack.filter((t) => COLLECTIONS.has(t.type));
    if (open.length <= maxNesting) continue;
    const [line, col] = pos(open[maxNesting]!.offset);
    problems.push({
      file,
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
  // found by Source's walk and reported with their YAML path, beside every other problem.
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
function hintReserved(file: string, text: string, problems: Problem[]): void {
  text.split('\n').forEach((l, i) => {
    const m = /^(\s*)([@*][^\s:#'"]*)\s*:(?:\s|$)/.exec(l);
    if (!m) return;
    const how = m[2]!.startsWith('*') ? 'reads a plain * as an alias' : 'reserves a plain @';
    problems.push({
      file,
      line: i + 1,
      col: m[1]!.length + 1,
      path: '',
      code: C.yamlSyntax,
      message: `quote the name: '${m[2]}': (YAML ${how})`,
    });
  });
}

function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS')
    return 'a file holds one YAML document, but a second one starts here ("---")';
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return first.charAt(0).toLowerCase() + first.slice(1);
}
