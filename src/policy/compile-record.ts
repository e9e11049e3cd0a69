// The compile step of a steered record (gdnsd's map_res): the keys every policy shares, then the
// policy's own compiler. What it returns is immutable; decide.ts picks from it per query.
import { ProblemCode as C } from '../base/errors.js';
import {
  checkKeys,
  describe,
  type Entry,
  type Node,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import { COMMON_KEYS, type DynamicRecord, MAX_ANSWERS, WHEN_ALL_DOWN } from './dynamic.js';
import { parseDynamicTtl, parseFallback, parseWhenAllDown } from './record-keys.js';
import type { Site } from './site.js';
import type { PolicyCompiler } from './types.js';

/** Compile the keys every policy shares, then hand the rest to the policy's compiler. */
export function compileDynamic(
  src: Source,
  entries: Entry[],
  node: Node | null,
  path: string,
  zone: string,
  name: string,
  zoneSites: ReadonlyMap<string, Site>,
  registry: ReadonlyMap<string, PolicyCompiler>,
): DynamicRecord | null {
  const before = src.problems.length;
  const steerE = entries.find((e) => e.key === 'steer')!;
  const kind = scalarText(steerE.value);
  const compiler = kind === null ? undefined : registry.get(kind);
  if (!compiler) {
    const what = kind === null ? describe(steerE.value) : `"${kind}"`;
    src.report(
      steerE.value,
      steerE.path,
      C.badPolicy,
      `unknown policy ${what} (policies: ${[...registry.keys()].join(', ')})`,
    );
    return null;
  }
  checkKeys(src, entries, [...COMMON_KEYS, ...compiler.keys], `a "steer: ${kind}" record`);
  const get = (k: string) => entries.find((e) => e.key === k);
  const ttl = parseDynamicTtl(src, get('ttl'));
  const answersE = get('answers');
  const answers = answersE ? scalarInt(src, answersE.value, answersE.path, 1, MAX_ANSWERS) : null;
  const wadE = get('when_all_down');
  const whenAllDown = parseWhenAllDown(src, wadE, WHEN_ALL_DOWN);
  const fbE = get('fallback');
  const fallback = fbE ? parseFallback(src, fbE) : { 4: [], 6: [] };
  if (whenAllDown === 'fallback' && !fbE)
    src.report(
      wadE!.value,
      wadE!.path,
      C.missingKey,
      'when_all_down: fallback needs a "fallback:" list of addresses (a "sorry" site)',
    );
  if (fbE && whenAllDown !== 'fallback')
    src.report(
      fbE.keyNode,
      fbE.path,
      C.badValue,
      '"fallback" is only used with when_all_down: fallback',
    );
  const compiled = compiler.compile(src, { entries, node, path, sites: zoneSites });
  if (!compiled || src.problems.length > before) return null;
  const { policy, members, defaultAnswers } = compiled;
  return Object.freeze({
    zone,
    name,
    kind: compiler.kind,
    ttl,
    answers: answers ?? defaultAnswers ?? compiler.defaultAnswers,
    whenAllDown,
    fallback,
    members,
    policy,
  });
}
