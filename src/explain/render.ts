// The text form of an Explanation, for `geosteer explain` (docs/explain.md shows and explains it).
// Only presentation lives here: every fact comes from the Explanation.

import type { ChainStep, Explanation, LocationView, SiteView, SteeringView } from './explain.js';
import { voteText } from './fleet-votes.js';

export interface RenderOptions {
  /** Append every trace line of the resolver and the policies. */
  trace?: boolean;
}

/** Labels in a left column of this width, values after them. */
const LABEL = 10;
const label = (l: string, v: string) => `${l.padEnd(LABEL)}${v}`;
const more = (v: string) => `${' '.repeat(LABEL)}${v}`;
const fqdn = (n: string) => (n.endsWith('.') ? n : `${n}.`);

export function renderExplanation(x: Explanation, opts: RenderOptions = {}): string {
  const out: string[] = [];
  out.push(label('question', `${fqdn(x.question.name)} ${x.question.type}`));
  const c = x.client;
  const full = c.family === 4 ? 32 : 128;
  const given =
    c.sourcePrefix === full
      ? `${c.input} (ECS source /${full})`
      : `${c.input} (ECS source /${c.sourcePrefix})`;
  out.push(
    label(
      'client',
      c.sourcePrefix > c.prefix
        ? `${given}, steered as ${c.network} (cut to /${c.prefix}, as the server cuts ECS)`
        : `${given}, steered as ${c.network}`,
    ),
  );
  out.push(...locationLines(x.location));
  out.push(
    label(
      'zone',
      x.zone
        ? `${x.zone.origin} (${x.zone.file})`
        : 'none: no zone served holds this name, so the server refuses it',
    ),
  );

  for (const step of x.chain) {
    out.push('');
    out.push(...stepLines(step, x.question.type, x.location));
  }

  out.push('');
  const a = x.answer;
  const status =
    a.outcome === 'nodata'
      ? `${a.rcode} (NODATA)`
      : a.outcome === 'referral'
        ? `${a.rcode} (referral, not authoritative)`
        : a.rcode;
  out.push(
    label(
      'answer',
      `${status}, ECS scope /${a.ecsScope}${a.steered ? '' : ' (not steered: the same for every client)'}`,
    ),
  );
  for (const r of a.answer) out.push(`  ${rr(r)}`);
  if (a.authority.length) out.push('authority', ...a.authority.map((r) => `  ${rr(r)}`));
  if (a.additional.length) out.push('additional', ...a.additional.map((r) => `  ${rr(r)}`));
  if (opts.trace) {
    out.push('');
    out.push('trace');
    for (const t of x.trace) out.push(`  ${t}`);
    if (x.trace.length === 0) out.push('  (nothing traced: no policy took part)');
  }
  return out.join('\n') + '\n';
}

const rr = (r: { name: string; ttl: number; type: string; data: string }) =>
  `${fqdn(r.name)} ${r.ttl} IN ${r.type} ${r.data}`;

function locationLines(l: LocationView): string[] {
  const out: string[] = [];
  const net = `${l.network} (/${l.prefixLength})`;
  switch (l.source) {
    case 'override':
      out.push(label('location', `override ${l.origin}, network ${net}`));
      break;
    case 'database':
      out.push(label('location', `database ${l.origin}, network ${net}`));
      break;
    case 'default':
      out.push(
        label('location', `default location (${l.origin}): nothing else knows ${l.network}`),
      );
      break;
    case 'none':
      out.push(
        label('location', `none: no override, database or default location knows ${l.network}`),
      );
      break;
  }
  const where: string[] = [];
  if (l.country) where.push(`country ${l.country}`);
  if (l.continent) where.push(`continent ${l.continent}`);
  if (l.subdivision) where.push(`subdivision ${l.subdivision}`);
  if (l.location) where.push(`at ${l.location.lat}, ${l.location.lon}`);
  if (l.site) where.push(`site ${l.site}`);
  if (where.length) out.push(more(where.join(', ')));
  if (!l.usedByPolicy) out.push(more('(not used: no policy on the way asked where the client is)'));
  return out;
}

function stepLines(s: ChainStep, qtype: string, where: LocationView): string[] {
  const name = fqdn(s.name);
  const wild = s.wildcard ? ', from a wildcard' : '';
  switch (s.kind) {
    case 'cname':
      return [`${name}  CNAME ${fqdn(s.target ?? '')} (ttl ${s.ttl}${wild}): followed`];
    case 'static':
      return [
        `${name}  static ${qtype} data${wild}: not steered, the same for every client (ECS scope /0)`,
      ];
    case 'nodata':
      return [`${name}  has no ${qtype} data (NODATA)`];
    case 'nxdomain':
      return [`${name}  no such name (NXDOMAIN)`];
    case 'referral':
      return [
        `${name}  below a delegation: the server refers the resolver to the child zone's nameservers`,
      ];
    case 'external':
      return [`${name}  outside the zone: the resolver follows the CNAME there`];
    case 'loop':
      return [`${name}  already followed: a CNAME loop, the chain stops`];
    case 'steered':
      return steeringLines(name, s.steering!, wild, where);
  }
}

function steeringLines(name: string, v: SteeringView, wild: string, where: LocationView): string[] {
  const fam = `IPv${v.family}`;
  const out = [
    `${name}  steer: ${v.policy}${wild} (${fam}, ttl ${v.ttl}, at most ${v.answers} address${v.answers === 1 ? '' : 'es'}, when_all_down ${v.whenAllDown})`,
  ];
  const cols: { head: string; cell: (s: SiteView) => string; right?: boolean }[] = [
    { head: 'site', cell: (s) => s.name },
    {
      head: 'state',
      cell: (s) => (s.state === 'drain' ? 'drain' : s.open ? 'enabled' : 'drained (health table)'),
    },
    { head: 'available', cell: (s) => (s.available ? 'yes' : 'no') },
    {
      head: `${fam} addresses`,
      cell: (s) =>
        s.addresses.length
          ? s.addresses
              .map(
                (a) =>
                  `${a.up ? a.address : `${a.address} (down)`}${a.fleet ? ` [${voteText(a.fleet)}]` : ''}`,
              )
              .join(' ')
          : '(none)',
    },
  ];
  const has = (k: keyof SiteView) => v.sites.some((s) => s[k] !== undefined);
  if (has('km'))
    cols.push({
      head: 'distance',
      cell: (s) => (s.km === undefined ? '' : `${Math.round(s.km)} km`),
      right: true,
    });
  if (has('withinSpread'))
    cols.push({
      head: 'spread',
      cell: (s) => (s.withinSpread === undefined ? '' : s.withinSpread ? 'within' : 'outside'),
    });
  if (has('weight'))
    cols.push({
      head: 'weight',
      cell: (s) => (s.weight === undefined ? '' : String(s.weight)),
      right: true,
    });
  if (has('score'))
    cols.push({
      head: 'score',
      cell: (s) => (s.score === undefined ? '' : s.score.toFixed(3)),
      right: true,
    });
  if (has('group'))
    cols.push({
      head: 'group',
      cell: (s) => (s.group === undefined ? '' : String(s.group)),
      right: true,
    });
  cols.push({ head: '', cell: (s) => (s.chosen ? '<- answers' : '') });
  const rows = [cols.map((c) => c.head), ...v.sites.map((s) => cols.map((c) => c.cell(s)))];
  const widths = cols.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    out.push(
      `  ${r
        .map((cell, i) => (cols[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd()}`,
    );
  const detail = (l: string, val: string) => `  ${l.padEnd(12)}${val}`;
  if (v.decidedBy) out.push(detail('decided by', v.decidedBy));
  if (v.mode !== 'policy') out.push(detail('mode', v.mode));
  out.push(
    detail(
      'answer',
      v.chosen.length
        ? `${v.chosen.join(', ')}: ${v.addresses.join(' ')}`
        : v.addresses.length
          ? v.addresses.join(' ')
          : '(no addresses)',
    ),
  );
  let why = '';
  if (v.scope === 0) why = ' (does not depend on the client)';
  else if (where.usedByPolicy && v.scope < where.prefixLength)
    why = ` (wider than the located network /${where.prefixLength}: the networks around it get the same answer)`;
  out.push(detail('ECS scope', `/${v.scope}${why}`));
  for (const n of v.notes) out.push(detail('note', n));
  return out;
}
