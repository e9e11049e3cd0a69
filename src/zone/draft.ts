// The zone being compiled, name by name, before it is frozen into a Zone: drafts of each owner's
// RRsets with where they were written, and the rules that every step adds names by.
import { ProblemCode as C } from '../base/errors.js';
import { type Node, offsetOf, type Source, type Where } from '../base/yaml-source.js';
import type { Delegation } from '../policy/delegate.js';
import type { DynamicRecord } from '../policy/dynamic.js';
import { Type, typeName } from '../wire/constants.js';
import { foldCase } from '../wire/name.js';
import type { RData, RRset } from '../wire/rr.js';

/**
 * Where a value was written. Static records keep offsets, not YAML nodes, so that a piece of
 * `records:` can be freed once compiled (compile-pieces.ts); a node is kept by the few that hold
 * one anyway (a steered name's compiled policy).
 */
export interface Ref {
  node: Where;
  path: string;
}

export interface Draft {
  name: string;
  rrsets: Map<number, { set: RRset; node: Where; path: string; values: Ref[] }>;
  /** A value of this name had a problem: checks that need its records (glue) stay quiet. */
  tainted: boolean;
  /** A steered name: its A/AAAA answers come from a policy. */
  dynamic?: { record: DynamicRecord; node: Where; path: string; text: string };
  /**
   * A `steer: delegate` name: a cut whose NS come from its sites' nameservers. `record` is null
   * when the stanza had problems; the name is still a cut, so what lies below it is checked.
   */
  delegation?: { record: Delegation | null; text: string };
}

export type Section = 'nameservers' | 'records' | 'sites';

export type AddSet = (
  d: Draft,
  type: number,
  ttl: number,
  rdata: RData[],
  node: Node | null,
  path: string,
  values: Ref[],
) => void;

/** Every name of the zone being compiled, by case-folded name, and its origin. */
export class ZoneDrafts {
  readonly drafts = new Map<string, Draft>();
  private readonly claims = new Map<string, { name: string; path: string; section: Section }>();

  constructor(
    readonly src: Source,
    readonly origin: string,
    readonly originKey: string,
    readonly defaultTtl: number,
  ) {}

  draftFor(name: string): Draft {
    const key = foldCase(name);
    let d = this.drafts.get(key);
    if (!d) this.drafts.set(key, (d = { name, rrsets: new Map(), tainted: false }));
    return d;
  }

  /**
   * Each name may be written once per section. The same name in nameservers: (its glue) and in
   * records: (its other data) is fine when spelled alike; any two spellings that differ only in
   * letter case are rejected, since DNS treats them as one name (RFC 4343) and the file is
   * ambiguous.
   */
  claim(name: string, node: Node | null, path: string, section: Section): boolean {
    const key = foldCase(name);
    const prev = this.claims.get(key);
    if (!prev) {
      this.claims.set(key, { name, path, section });
      return true;
    }
    if (prev.name !== name) {
      this.src.report(
        node,
        path,
        C.caseDuplicate,
        `${name} is the same name as ${prev.name} (${prev.path}); DNS names are case-insensitive (RFC 4343)`,
      );
      return false;
    }
    if (prev.section === section) {
      this.src.report(node, path, C.duplicateName, `${name} is already defined at ${prev.path}`);
      return false;
    }
    return true;
  }

  /** Once every name is in: the claims are spent (memory, for a large zone's last steps). */
  endClaims(): void {
    this.claims.clear();
  }

  /** Add an RRset to a name; a second one of the same type is a problem. */
  readonly addSet: AddSet = (d, type, ttl, rdata, node, path, values) => {
    const prev = d.rrsets.get(type);
    if (prev) {
      this.src.report(
        node,
        path,
        C.badValue,
        `${typeName(type)} records for ${d.name} are already defined at ${prev.path}`,
      );
      return;
    }
    // Memory, for large zones (compile-pieces.ts): arrays built by push() keep room for 17
    // elements, so the RRset gets one of its own size; and of the values' places only NS's are
    // kept, the only ones named after compiling (the glue check).
    const set = { name: d.name, type, ttl, rdata: rdata.slice() };
    const refs =
      type === Type.NS ? values.map((v) => ({ node: offsetOf(v.node), path: v.path })) : [];
    d.rrsets.set(type, { set, node: offsetOf(node), path, values: refs });
  };
}
