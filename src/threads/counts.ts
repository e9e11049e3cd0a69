// The answer threads' counts, summed: each thread counts into its own handler (one increment per
// query, nothing shared on the answer path), and the main thread fetches and adds them up when the
// metrics are scraped (and once a second for the status page).
import type { AnswerCounts } from '../server/answer-pool.js';
import type { AnswerTally } from '../server/handler.js';
import { CLOSE_REASONS, type TcpStats } from '../server/tcp-table.js';
import type { FromThread, ThreadCounts, ToThread } from './protocol.js';

/** What SummedCounts needs of a thread: to ask, and to hear the reply. */
export interface CountedThread {
  send(m: ToThread): void;
  reply<T>(pick: (m: FromThread) => T | undefined): Promise<T | FromThread>;
}

/** Longest wait for a thread's counts: a thread busy past this is summed as last heard. */
const COUNTS_TIMEOUT_MS = 2000;

export class SummedCounts implements AnswerCounts {
  /** Each thread's last counts (kept when a later fetch goes unanswered). */
  private readonly last: (ThreadCounts | null)[];
  private tallies = new Map<string, AnswerTally>();
  private running: Promise<void> | null = null;
  private id = 0;
  rrl: { dropped: number[]; slipped: number[] } | null = null;
  cookies: { verdicts: number[]; badcookies: number } | null = null;
  tcp: TcpStats | undefined;

  constructor(
    private readonly threads: readonly CountedThread[],
    count: number,
    tcp: boolean,
  ) {
    this.last = new Array<ThreadCounts | null>(count).fill(null);
    this.tcp = tcp ? emptyTcp() : undefined;
  }

  answered(): Iterable<AnswerTally> {
    return this.tallies.values();
  }

  perThread(): readonly number[] {
    return this.last.map((c) => {
      let n = 0;
      for (const t of c?.tallies ?? []) n += t[5] + t[6];
      return n;
    });
  }

  /** Fetch every thread's counts; callers while a fetch runs share it. */
  refresh(): Promise<void> {
    this.running ??= this.fetch().finally(() => (this.running = null));
    return this.running;
  }

  private async fetch(): Promise<void> {
    const id = ++this.id;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>(
      (r) => (timer = setTimeout(() => r(null), COUNTS_TIMEOUT_MS)),
    );
    await Promise.all(
      this.threads.map(async (t, i) => {
        t.send({ type: 'counts', id });
        const m = await Promise.race([
          t.reply((x) => (x.type === 'counts' && x.id === id ? x : undefined)),
          timeout,
        ]);
        if (m?.type === 'counts') this.last[i] = m.counts;
      }),
    );
    clearTimeout(timer);
    this.sum();
  }

  private sum(): void {
    const tallies = new Map<string, AnswerTally>();
    let rrl: typeof this.rrl = null;
    let cookies: typeof this.cookies = null;
    const tcp = this.tcp ? emptyTcp() : undefined;
    for (const c of this.last) {
      if (!c) continue;
      for (const [zone, qtype, rcode, policy, sites, udp, tcpN] of c.tallies) {
        const k = `${zone ?? ''}\0${qtype}\0${rcode}\0${policy ?? ''}\0${sites.join('\0')}`;
        const t = tallies.get(k);
        if (t) {
          t.udp += udp;
          t.tcp += tcpN;
        } else tallies.set(k, { zone, qtype, rcode, policy, sites, udp, tcp: tcpN });
      }
      if (c.rrl) {
        rrl ??= { dropped: c.rrl.dropped.map(() => 0), slipped: c.rrl.slipped.map(() => 0) };
        c.rrl.dropped.forEach((n, i) => (rrl!.dropped[i]! += n));
        c.rrl.slipped.forEach((n, i) => (rrl!.slipped[i]! += n));
      }
      if (c.cookies) {
        cookies ??= { verdicts: c.cookies.verdicts.map(() => 0), badcookies: 0 };
        c.cookies.verdicts.forEach((n, i) => (cookies!.verdicts[i]! += n));
        cookies.badcookies += c.cookies.badcookies;
      }
      if (tcp && c.tcp) {
        tcp.open += c.tcp.open;
        tcp.accepted += c.tcp.accepted;
        for (const r of CLOSE_REASONS) tcp.closed[r] += c.tcp.closed[r];
      }
    }
    this.tallies = tallies;
    this.rrl = rrl;
    this.cookies = cookies;
    if (tcp && this.tcp) Object.assign(this.tcp, tcp);
  }
}

function emptyTcp(): TcpStats {
  return {
    open: 0,
    accepted: 0,
    closed: Object.fromEntries(CLOSE_REASONS.map((r) => [r, 0])) as TcpStats['closed'],
  };
}
