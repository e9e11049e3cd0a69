// The last step of every reply, fresh or memoised: this query's ID, RD and letter case patched
// into the encoded bytes, its DNS cookie judged (RFC 7873, RFC 9018), RRL asked over UDP whether
// to send, slip or drop it, and the OPT record written whole, last. Also the error replies
// (FORMERR, NOTIMP, the cookie answer), which go through the same cookie and RRL rules.
import { EDNS_UDP_PAYLOAD, EdnsOption, Rcode } from '../wire/constants.js';
import { ECS_OPTION } from '../wire/ecs.js';
import { encodeReply, type EdnsReply, optLength, writeOpt } from '../wire/encode.js';
import type { Edns } from '../wire/query.js';
import type { Answer } from '../wire/rr.js';
import type { EcsInQuery } from './client-hint.js';
import { COOKIE_REPLY_LEN, cookieLengthValid, type Cookies, CookieVerdict } from './cookies.js';
import type { Encoded } from './memo.js';
import { Shape, shapeReply } from './reply-shape.js';
import { nameHash, RrlAction, RrlClass, type RateLimiter } from './rrl.js';

export const TCP_LIMIT = 65535;
export const EMPTY: Answer = {
  rcode: Rcode.NOERROR,
  aa: false,
  answer: [],
  authority: [],
  additional: [],
};
/** Errors outside any zone are keyed on the root, as classify keys them (reply-shape.ts). */
const ROOT_NAME = nameHash('');

export function opt(dnssecOk: boolean, extendedRcode: number, compactOk = false): EdnsReply {
  return { udpSize: EDNS_UDP_PAYLOAD, extendedRcode, dnssecOk, compactOk, options: [] };
}

/** Finishes the replies of one handler, one query at a time (`begin` starts each). */
export class ReplyFinisher {
  /** This query's transport and source, and its COOKIE (offset of the data, or -1) as judged. */
  private udp = false;
  private source = '';
  cookieAt = -1;
  verdict: CookieVerdict = CookieVerdict.ClientOnly;
  private ip: Uint8Array = new Uint8Array(4);
  /** Set by finish: the reply went out cut short (slip, BADCOOKIE), not as answered. */
  shaped = false;

  constructor(
    readonly rrl: RateLimiter | null,
    readonly cookies: Cookies | null,
  ) {}

  begin(udp: boolean, source: string): void {
    this.udp = udp;
    this.source = source;
    this.cookieAt = -1;
  }

  /**
   * An error reply (FORMERR, NOTIMP, or RFC 7873 5.4's cookie answer), with our OPT when the
   * query had one (`dnssecOk` not null), echoing a well-formed COOKIE with a fresh server cookie,
   * and rate limited over UDP as the error class (a slip is the same reply with TC set).
   */
  errorReply(
    msg: Buffer,
    header: { id: number; queryFlags: number },
    question: { message: Buffer; start: number; end: number; qname: string } | null,
    rcode: number,
    dnssecOk: boolean | null,
  ): Buffer | null {
    let action: RrlAction = RrlAction.Send;
    const valid = this.cookieAt >= 0 && this.verdict === CookieVerdict.Valid;
    if (this.rrl && this.udp && !valid)
      action = this.rrl.check(this.source, RrlClass.Error, ROOT_NAME);
    if (action === RrlAction.Drop) return null;
    const edns = dnssecOk === null ? null : opt(dnssecOk, rcode >> 4);
    if (edns && this.cookieAt >= 0) {
      const data = Buffer.allocUnsafe(COOKIE_REPLY_LEN);
      this.cookies!.write(data, 0, msg, this.cookieAt, this.ip);
      edns.options.push({ code: EdnsOption.COOKIE, data });
    }
    const out = encodeReply(header, question, { ...EMPTY, rcode: rcode & 0xf }, edns, TCP_LIMIT);
    if (rcode === Rcode.BADCOOKIE) this.cookies!.badcookies++;
    if (action === RrlAction.Slip) out[2]! |= 0x02; // TC (RFC 1035 4.1.1)
    return out;
  }

  /**
   * Find and judge the query's COOKIE option (RFC 7873 5.2); false when it is malformed (a wrong
   * length, or two of them), which is FORMERR (5.2.2).
   */
  cookieOption(msg: Buffer, edns: Edns): boolean {
    let seen = false;
    for (const o of edns.options) {
      if (o.code !== EdnsOption.COOKIE) continue;
      if (seen || !cookieLengthValid(o.data.length)) return false;
      seen = true;
      this.judge(msg, o.data.byteOffset - msg.byteOffset, o.data.length);
    }
    return true;
  }

  /** Judge the COOKIE data at msg[at, at + len) for this query's source address. */
  judge(msg: Buffer, at: number, len: number): void {
    const c = this.cookies!;
    this.cookieAt = at;
    this.ip = c.address(this.source || '0.0.0.0');
    this.verdict = c.check(msg, at, len, this.ip);
  }

  /**
   * The reply to this query from an encoded one: this query's ID, RD bit and question letter case
   * (RFC 1035 4.1.1: ID and RD are echoed), then the OPT written whole, last, from data: the
   * encoded options (EDE), for an ECS query the ECS echo (RFC 7871 7.2.1: FAMILY, SOURCE
   * PREFIX-LENGTH and ADDRESS as sent, and our SCOPE PREFIX-LENGTH), for a COOKIE query the
   * client cookie and a server cookie (RFC 7873 5.2), RDLENGTH computed.
   *
   * Over UDP, the answer is decided by now, so this is where RRL counts it (memo hit or not):
   * null when it is dropped; a slip or a BADCOOKIE keeps only the header and question (Shape),
   * and `shaped` says so.
   */
  finish(
    hit: Encoded,
    msg: Buffer,
    qnameEnd: number,
    ecs: EcsInQuery | null,
    scope: number,
  ): Buffer | null {
    const { body, opt } = hit;
    const cookie = this.cookieAt >= 0;
    let shape: Shape = Shape.Full;
    if (this.udp && (this.rrl || cookie)) {
      // RFC 7873 5.2.3 option 2 (cookies.require): no valid server cookie over UDP, BADCOOKIE.
      const valid = cookie && this.verdict === CookieVerdict.Valid;
      if (cookie && !valid && this.cookies!.require) shape = Shape.BadCookie;
      // A valid server cookie proves the source address is not spoofed: no limit (as Knot).
      if (this.rrl && !valid) {
        const cls = shape === Shape.BadCookie ? RrlClass.Error : hit.cls;
        const a = this.rrl.check(
          this.source,
          cls,
          shape === Shape.BadCookie ? ROOT_NAME : hit.name,
        );
        if (a === RrlAction.Drop) return null;
        // A client that sent a cookie learns one from a BADCOOKIE, and retries with it over UDP.
        if (a === RrlAction.Slip) shape = cookie ? Shape.BadCookie : Shape.Truncated;
      }
    }
    const len = shape === Shape.Full ? body.length : qnameEnd + 4;
    const extra = (ecs ? 4 + ecs.len : 0) + (cookie ? 4 + COOKIE_REPLY_LEN : 0);
    const out = Buffer.allocUnsafe(len + (opt ? optLength(opt, extra) : 0));
    body.copy(out, 0, 0, len);
    out[0] = msg[0]!;
    out[1] = msg[1]!;
    out[2] = (body[2]! & 0xfe) | (msg[2]! & 0x01);
    // The question name starts right after the 12-octet header in both messages.
    msg.copy(out, 12, 12, qnameEnd);
    this.shaped = shape !== Shape.Full;
    if (this.shaped) shapeReply(out, shape, opt !== null);
    if (shape === Shape.BadCookie) this.cookies!.badcookies++;
    if (opt) {
      let at = writeOpt(out, len, opt, extra, shape === Shape.BadCookie ? 1 : opt.extendedRcode);
      if (ecs) {
        out.writeUInt16BE(ECS_OPTION, at);
        out.writeUInt16BE(ecs.len, at + 2);
        msg.copy(out, at + 4, ecs.at, ecs.at + ecs.len);
        out[at + 7] = msg[ecs.at + 2] === 0 ? 0 : scope; // source /0: scope /0 (RFC 7871 7.2.1)
        at += 4 + ecs.len;
      }
      if (cookie) {
        out.writeUInt16BE(EdnsOption.COOKIE, at);
        out.writeUInt16BE(COOKIE_REPLY_LEN, at + 2);
        this.cookies!.write(out, at + 4, msg, this.cookieAt, this.ip);
      }
    }
    return out;
  }
}
