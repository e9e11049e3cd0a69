// One catalogue of zone and configuration problems. Codes are stable: scripts and docs may rely on
// them. Messages read like a compiler's: file:line:col: path: message [code].

export const ProblemCode = {
  yamlSyntax: 'yaml-syntax',
  unknownKey: 'unknown-key',
  missingKey: 'missing-key',
  wrongType: 'wrong-type',
  badName: 'bad-name',
  badAddress: 'bad-address',
  badTtl: 'bad-ttl',
  badValue: 'bad-value',
  outOfZone: 'out-of-zone',
  cnameAndOther: 'cname-and-other-data',
  caseDuplicate: 'case-duplicate',
  missingGlue: 'missing-glue',
  occluded: 'occluded-data',
  duplicateZone: 'duplicate-zone',
  apexRecord: 'apex-record',
  unsupportedType: 'unsupported-type',
  io: 'io-error',
} as const;
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

export interface Problem {
  file: string;
  line: number;
  col: number;
  /** YAML path of the offending value, e.g. records.static.A[0]. */
  path: string;
  code: ProblemCode;
  message: string;
}

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
