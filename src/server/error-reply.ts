// Replies to queries the zones never see: a packet that does not parse as a query gets FORMERR or
// NOTIMP (wire/query.ts says which), a query with a malformed COOKIE or ECS option FORMERR, and a
// QUERY with no question but a COOKIE the server cookie (RFC 7873 5.4). Each is counted like an
// answer and goes out through the same cookie and RRL rules (reply-finish.ts errorReply).
import { Rcode } from '../wire/constants.js';
import type { ParseResult, Query } from '../wire/query.js';
import { CookieVerdict } from './cookies.js';
import type { ReplyFinisher } from './reply-finish.js';
import { count, NO_SITES, type Tallies, type Transport } from './tallies.js';

/** What parseQuery says of a packet that is answered, but not as a query. */
export type Unparsed = Extract<ParseResult, { action: 'formerr' | 'notimp' }>;

/** FORMERR or NOTIMP for a packet that did not parse as a query, or the cookie answer. */
export function unparsedReply(
  r: ReplyFinisher,
  tallies: Tallies,
  msg: Buffer,
  parsed: Unparsed,
  transport: Transport,
): Buffer | null {
  let rcode: number = parsed.action === 'formerr' ? Rcode.FORMERR : Rcode.NOTIMP;
  const q = parsed.question;
  const edns = parsed.edns;
  r.cookieAt = -1;
  if (edns && edns.version === 0 && r.cookies && !r.cookieOption(msg, edns)) {
    rcode = Rcode.FORMERR;
    r.cookieAt = -1;
  }
  // RFC 7873 5.4: a QUERY with no question but a COOKIE asks for a server cookie: NOERROR,
  // or BADCOOKIE when the server cookie it holds is not valid.
  else if (parsed.noQuestion && r.cookieAt >= 0)
    rcode = r.verdict === CookieVerdict.Invalid ? Rcode.BADCOOKIE : Rcode.NOERROR;
  // The type is the question's last four octets but two, when a question could be read.
  count(
    tallies.of(null, q ? (msg[q.end - 4]! << 8) | msg[q.end - 3]! : -1, rcode, null, NO_SITES),
    transport,
  );
  return r.errorReply(
    msg,
    { id: parsed.id, queryFlags: parsed.flags },
    q ? { message: msg, start: q.start, end: q.end, qname: '' } : null,
    rcode,
    edns?.dnssecOk ?? null,
  );
}

/** FORMERR for a query that parsed but carries a malformed option (RFC 7873 5.2.2, RFC 7871 7.1.1). */
export function formerrReply(
  r: ReplyFinisher,
  tallies: Tallies,
  msg: Buffer,
  q: Query,
  transport: Transport,
): Buffer | null {
  count(tallies.of(null, q.qtype, Rcode.FORMERR, null, NO_SITES), transport);
  return r.errorReply(
    msg,
    { id: q.id, queryFlags: q.flags },
    { message: msg, start: q.questionStart, end: q.questionEnd, qname: q.qname },
    Rcode.FORMERR,
    q.edns?.dnssecOk ?? null,
  );
}
