// One catalogue of zone and configuration problems. Codes are stable: scripts and docs may rely on
// them. Messages read like a compiler's: file:line:col: path: message [code].

export const ProblemCode = {
  /** The file is not valid YAML (or holds more than one document). */
  yamlSyntax: 'yaml-syntax',
  /** The same key twice in one mapping; YAML would silently keep only one of them. */
  duplicateKey: 'duplicate-key',
  /** A key the format does not define (often a typo: "tll", "nameserver"). */
  unknownKey: 'unknown-key',
  missingKey: 'missing-key',
  /** A mapping where a value was expected, a list where a mapping was, a boolean for a name... */
  wrongType: 'wrong-type',
  /** A malformed domain name: bad characters, empty label, label over 63 or name over 255 octets. */
  badName: 'bad-name',
  badAddress: 'bad-address',
  badTtl: 'bad-ttl',
  /** Any other malformed or disallowed value (MX/SRV/CAA syntax, duplicate records, ...). */
  badValue: 'bad-value',
  outOfZone: 'out-of-zone',
  cnameAndOther: 'cname-and-other-data',
  /** Two owner names that differ only in letter case (RFC 4343). */
  caseDuplicate: 'case-duplicate',
  /** One owner name written twice in another spelling (e.g. "www" and "www.example.org."). */
  duplicateName: 'duplicate-name',
  missingGlue: 'missing-glue',
  occluded: 'occluded-data',
  duplicateZone: 'duplicate-zone',
  /** SOA or apex NS written under records: they come from soa: and nameservers:. */
  apexRecord: 'apex-record',
  unsupportedType: 'unsupported-type',
  /** A record names a site that `sites:` does not declare. */
  unknownSite: 'unknown-site',
  /** A `steer:` stanza that does not make a usable policy (unknown policy, missing location...). */
  badPolicy: 'bad-policy',
  /** The same country, continent, subdivision or subnet in two rules of a geo policy. */
  ruleConflict: 'rule-conflict',
  io: 'io-error',
  /** A zone file over the size limit (docs/zone-format.md#limits); not read past it. */
  fileTooLarge: 'file-too-large',
  /** Mappings and lists nested deeper than the limit; reported before anything recurses. */
  nestingTooDeep: 'nesting-too-deep',
  /** More names under records: in one zone than the limit. */
  tooManyNames: 'too-many-names',
  /** More records in one zone than the limit. */
  tooManyRecords: 'too-many-records',
  /** More values in one RRset (a type of a name, a site's addresses, the apex NS) than the limit. */
  rrsetTooLarge: 'rrset-too-large',
  /**
   * A reload found no zone files where zones were being served. Refused: an emptied directory (a
   * bad sync, a stray rm) must not take every zone down at once.
   */
  noZones: 'no-zones',
  /** A zone's DNSSEC key files are missing, unreadable, or do not make a usable key set. */
  dnssecKey: 'dnssec-key',
} as const;
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

export interface Problem {
  file: string;
  /** 1-based line and column of the offending token (the key or value, not the line start). */
  line: number;
  col: number;
  /** YAML path of the offending value, e.g. records.static.A[0]. */
  path: string;
  code: ProblemCode;
  message: string;
}

/** `file:line:col: path: message [code]`; the path is left out for problems outside any value (YAML syntax, I/O). */
export function formatProblem(p: Problem): string {
  const where = p.path ? `${p.path}: ` : '';
  return `${p.file}:${p.line}:${p.col}: ${where}${p.message} [${p.code}]`;
}

export class ProblemsError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ProblemsError';
  }
}

/** One file's problems in reading order (line, then column), as a compiler lists them; stable for ties. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}
