// The question explain is asked: a name, a type, and a client as a resolver would send it (ECS).

import { parseClientAddress } from '../base/address.js';
import type { ClientHint } from '../policy/types.js';
import { Type, typeFromName } from '../wire/constants.js';
import { MAX_STEERING_PREFIX, truncate } from '../wire/ecs.js';
import { MAX_LABEL_OCTETS, nameToLabels, wireLength, MAX_NAME_OCTETS } from '../wire/name.js';

export type ExplainErrorCode = 'bad-name' | 'bad-type' | 'bad-client';

/** The question or client cannot be asked: explain says which, in words for the command line. */
export class ExplainError extends Error {
  constructor(
    readonly code: ExplainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ExplainError';
  }
}

/** A client as explain takes it: what a resolver would send as ECS, and the hint the server derives. */
export interface ExplainClient {
  input: string;
  sourcePrefix: number;
  hint: ClientHint;
}

/**
 * "198.51.100.7", "198.51.100.0/24", "2001:db8::/48" as the ECS subnet a resolver sends; without
 * a prefix, the whole address (/32, /128). The server steers by at most /24 or /56 of it
 * (handler.ts, RFC 7871 11.1), so the hint is cut to that, as the handler cuts it.
 */
export function parseExplainClient(text: string): ExplainClient {
  const net = parseClientAddress(text);
  if (!net)
    throw new ExplainError(
      'bad-client',
      `not an address or network (e.g. 198.51.100.7, 198.51.100.0/24 or 2001:db8::/48): "${text}"`,
    );
  if (net.prefix === 0)
    throw new ExplainError(
      'bad-client',
      `"${text}": a resolver that sends ECS /0 asks not to be steered by subnet (RFC 7871 7.1.2), and the server then steers by the resolver's own address: give that address instead`,
    );
  const prefix = Math.min(net.prefix, MAX_STEERING_PREFIX[net.family]);
  const address = truncate(Uint8Array.from(net.bytes), prefix);
  return {
    input: text.trim(),
    sourcePrefix: net.prefix,
    hint: { address, family: net.family, prefix, fromEcs: true },
  };
}

/** A query type by mnemonic ("AAAA") or RFC 3597 number ("TYPE65", "65"). */
export function parseQueryType(text: string): number {
  const t = text.trim();
  const n = /^(?:TYPE)?([0-9]{1,5})$/i.exec(t);
  const code = n ? Number(n[1]) : typeFromName(t);
  if (code === undefined || code < 1 || code > 65535)
    throw new ExplainError(
      'bad-type',
      `not a query type: "${text}" (e.g. A, AAAA, CNAME, MX, TXT, ANY, TYPE65)`,
    );
  if (code === Type.OPT)
    throw new ExplainError(
      'bad-type',
      'OPT is a pseudo-type (RFC 6891 6.1.1), not something to ask for',
    );
  return code;
}

/** A name in presentation form; a trailing dot is optional. */
export function parseQueryName(text: string): string {
  const name = text.trim().replace(/\.$/, '');
  const bad = (why: string) =>
    new ExplainError('bad-name', `not a domain name: "${text}" (${why})`);
  if (name === '' || /\s/.test(name)) throw bad('empty or with spaces');
  const labels = nameToLabels(name);
  if (labels.some((l) => l.length === 0)) throw bad('an empty label');
  if (labels.some((l) => l.length > MAX_LABEL_OCTETS))
    throw bad(`a label over ${MAX_LABEL_OCTETS} octets`);
  if (wireLength(name) > MAX_NAME_OCTETS)
    throw bad(`over ${MAX_NAME_OCTETS} octets (RFC 1035 2.3.4)`);
  return name;
}
