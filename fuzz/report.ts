// What a run saw: counts by transport, generator and RCODE, the largest UDP reply-to-query ratio,
// and the findings, each with the packet (and reply) in hex so it can be replayed.
import { deservesReply, judge, rcodeText } from './check.js';

/** How a finding's packet was sent: one UDP datagram, one framed TCP message, or raw TCP bytes. */
export type Transport = 'udp' | 'tcp' | 'tcp-stream';

export interface Finding {
  check: string;
  transport: Transport;
  kind: string;
  query: Buffer;
  reply: Buffer | null;
  detail: string;
}

export function findingLine(f: Finding): string {
  const reply = f.reply ? f.reply.toString('hex') : '-';
  return `FINDING ${f.check} ${f.transport} ${f.kind} query=${f.query.toString('hex') || '-'} reply=${reply} : ${f.detail}`;
}

export class Report {
  readonly sent = { udp: 0, tcp: 0 };
  readonly replies = { udp: 0, tcp: 0 };
  /** Packets that got no reply (RFC 1035 4.1.1: responses and scraps; anything else is a finding). */
  readonly drops = { udp: 0, tcp: 0 };
  /** TCP connections that carried a framing trick. */
  streams = 0;
  readonly kinds = new Map<string, number>();
  readonly rcodes = new Map<string, number>();
  readonly findings: Finding[] = [];
  maxAmplification: { ratio: number; query: Buffer; reply: Buffer } = {
    ratio: 0,
    query: Buffer.alloc(0),
    reply: Buffer.alloc(0),
  };
  startedAt = Date.now();
  endedAt = 0;

  constructor(
    private readonly serverMaxUdp: number,
    /** Called for each finding as it is made (the CLI prints it at once). */
    private readonly onFinding: (f: Finding) => void = () => {},
  ) {}

  find(f: Finding): void {
    this.findings.push(f);
    this.onFinding(f);
  }

  /** One packet and every reply it got (in order), judged. */
  packet(
    transport: 'udp' | 'tcp',
    kind: string,
    q: Buffer,
    replies: Buffer[],
    via: Transport = transport,
  ): void {
    this.sent[transport]++;
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    if (replies.length === 0) {
      this.drops[transport]++;
      if (deservesReply(q))
        this.find({
          check: 'unanswered',
          transport: via,
          kind,
          query: q,
          reply: null,
          detail: 'a query with a full header and QR clear got no reply',
        });
      return;
    }
    this.replies[transport] += replies.length;
    if (replies.length > 1)
      this.find({
        check: 'multiple-replies',
        transport: via,
        kind,
        query: q,
        reply: replies[1]!,
        detail: `${replies.length} replies`,
      });
    for (const r of replies) this.reply(transport, kind, q, r, via);
  }

  reply(
    transport: 'udp' | 'tcp',
    kind: string,
    q: Buffer,
    r: Buffer,
    via: Transport = transport,
  ): void {
    const { violations, rcode } = judge(q, r, transport, this.serverMaxUdp);
    if (rcode !== null) {
      const name = rcodeText(rcode);
      this.rcodes.set(name, (this.rcodes.get(name) ?? 0) + 1);
    }
    for (const v of violations) this.find({ ...v, transport: via, kind, query: q, reply: r });
    const ratio = r.length / Math.max(1, q.length);
    if (transport === 'udp' && ratio > this.maxAmplification.ratio)
      this.maxAmplification = { ratio, query: q, reply: r };
  }

  /** Findings by check, most frequent first. */
  byCheck(): [string, number][] {
    const m = new Map<string, number>();
    for (const f of this.findings) m.set(f.check, (m.get(f.check) ?? 0) + 1);
    return [...m].sort((a, b) => b[1] - a[1]);
  }

  summary(): string {
    const secs = ((this.endedAt || Date.now()) - this.startedAt) / 1000;
    const total = this.sent.udp + this.sent.tcp;
    const list = (m: Map<string, number> | [string, number][]) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none';
    const amp = this.maxAmplification;
    return [
      `packets   ${total} in ${secs.toFixed(1)} s (${Math.round(total / Math.max(secs, 0.001))}/s): udp ${this.sent.udp}, tcp ${this.sent.tcp} (${this.streams} with framing tricks)`,
      `replies   udp ${this.replies.udp}, tcp ${this.replies.tcp}; no reply: udp ${this.drops.udp}, tcp ${this.drops.tcp}`,
      `rcodes    ${list(this.rcodes)}`,
      `generators ${list(this.kinds)}`,
      `max amplification (udp reply/query octets) ${amp.ratio.toFixed(2)}: ${amp.query.length} -> ${amp.reply.length} (query ${amp.query.toString('hex')})`,
      `findings  ${this.findings.length}${this.findings.length ? `: ${list(this.byCheck())}` : ''}`,
    ].join('\n');
  }
}
