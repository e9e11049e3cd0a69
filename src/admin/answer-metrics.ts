// Query and answer metrics (docs/admin.md#metrics), folded from the answer tallies when
// Prometheus scrapes: the query path only counts into an AnswerTally (src/server/handler.ts) and
// never calls prom-client.
import { Counter, type Registry } from 'prom-client';
import type { AnswerCounts } from '../server/answer-pool.js';
import { COOKIE_VERDICT_NAMES } from '../server/cookies.js';
import { RRL_CLASS_NAMES } from '../server/rrl.js';
import { rcodeName, typeName } from '../wire/constants.js';

/** Queries, steered answers per site, RRL, cookies and per-thread counts. */
export function registerAnswerMetrics(
  registry: Registry,
  counts: () => AnswerCounts | undefined,
): void {
  const registers = [registry];

  const queries = new Counter({
    name: 'geosteer_queries_total',
    help: 'Queries answered, by zone ("" when in no zone), query type ("other" for types without a name), rcode, steering policy ("none" when not steered) and transport.',
    labelNames: ['zone', 'qtype', 'rcode', 'policy', 'transport'],
    registers,
    collect() {
      const s = counts();
      if (!s) return;
      queries.reset();
      for (const t of s.answered()) {
        const labels = {
          zone: t.zone ?? '',
          qtype: t.qtype < 0 ? 'other' : typeName(t.qtype),
          rcode: rcodeName(t.rcode),
          policy: t.policy ?? 'none',
        };
        if (t.udp) queries.inc({ ...labels, transport: 'udp' }, t.udp);
        if (t.tcp) queries.inc({ ...labels, transport: 'tcp' }, t.tcp);
      }
    },
  });

  const answers = new Counter({
    name: 'geosteer_answers_total',
    help: 'Steered answers holding each site: one per answer per site whose addresses are in it.',
    labelNames: ['zone', 'site'],
    registers,
    collect() {
      const s = counts();
      if (!s) return;
      answers.reset();
      const sums = new Map<string, { zone: string; site: string; n: number }>();
      for (const t of s.answered()) {
        const n = t.udp + t.tcp;
        if (n === 0) continue;
        for (const site of t.sites) {
          const k = `${t.zone ?? ''}\u0000${site}`;
          const sum = sums.get(k);
          if (sum) sum.n += n;
          else sums.set(k, { zone: t.zone ?? '', site, n });
        }
      }
      for (const { zone, site, n } of sums.values()) answers.inc({ zone, site }, n);
    },
  });

  const rrlResponses = new Counter({
    name: 'geosteer_rrl_responses_total',
    help: 'UDP responses held back by response rate limiting, by class (answer, nxdomain, nodata, referral, error) and action (dropped; slipped: sent truncated, or as BADCOOKIE to a query with a cookie). With rrl.log_only, those it would have held back.',
    labelNames: ['class', 'action'],
    registers,
    collect() {
      const rrl = counts()?.rrl;
      rrlResponses.reset();
      if (!rrl) return;
      RRL_CLASS_NAMES.forEach((cls, i) => {
        rrlResponses.inc({ class: cls, action: 'dropped' }, rrl.dropped[i]!);
        rrlResponses.inc({ class: cls, action: 'slipped' }, rrl.slipped[i]!);
      });
    },
  });

  const cookies = new Counter({
    name: 'geosteer_cookies_total',
    help: 'Queries with a DNS COOKIE option, by what it held (verdict: client_only, valid, invalid), and BADCOOKIE replies sent (verdict: badcookie_sent).',
    labelNames: ['verdict'],
    registers,
    collect() {
      const c = counts()?.cookies;
      cookies.reset();
      if (!c) return;
      COOKIE_VERDICT_NAMES.forEach((v, i) => cookies.inc({ verdict: v }, c.verdicts[i]!));
      cookies.inc({ verdict: 'badcookie_sent' }, c.badcookies);
    },
  });

  const threadQueries = new Counter({
    name: 'geosteer_thread_queries_total',
    help: 'Queries answered by each answer thread (thread "0" alone when the main thread answers: threads: 1).',
    labelNames: ['thread'],
    registers,
    collect() {
      const s = counts();
      if (!s) return;
      threadQueries.reset();
      s.perThread().forEach((n, i) => threadQueries.inc({ thread: String(i) }, n));
    },
  });
}
