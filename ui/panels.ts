// The panels beside and under the map: the summary, traffic, recent transitions, zones and the
// process (the sites table is sites-table.ts). Each is redrawn from one dashboard document.
import { ago, clock, duration, h, percent, rate } from './dom.js';
import { STATE_LABEL, type DashboardDocument, type SiteRow, type SiteState } from './model.js';

export function badge(state: string, text: string): HTMLElement {
  return h('span', { class: `badge state-${state}` }, text);
}

export function summary(rows: SiteRow[], d: DashboardDocument): HTMLElement[] {
  const count = (st: SiteState) => rows.filter((r) => r.state === st).length;
  const total = d.traffic.policies.reduce((n, p) => n + p.perSecond, 0);
  const chips = (['up', 'degraded', 'down', 'drained', 'forced-down', 'unknown'] as const)
    .filter((st) => st === 'up' || st === 'down' || count(st) > 0)
    .map((st) =>
      h(
        'li',
        { class: `chip state-${st}`, 'data-state': st },
        h('strong', {}, count(st)),
        ' ',
        STATE_LABEL[st],
      ),
    );
  return [
    h('ul', { class: 'chips', 'aria-label': 'sites by state' }, chips),
    h('p', { class: 'kpi' }, h('strong', { id: 'qps' }, rate(total)), h('span', {}, ' answers/s')),
  ];
}

export function traffic(rows: SiteRow[], d: DashboardDocument): HTMLElement[] {
  const max = Math.max(1e-9, ...rows.map((r) => r.perSecond));
  const bySite = h(
    'table',
    { class: 'bars' },
    h(
      'caption',
      {},
      `By site (answers/s over ${Math.round(d.traffic.rateWindowSeconds)} s; share of the last minute)`,
    ),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'site'),
        h('th', { scope: 'col' }, 'answers/s'),
        h('th', { scope: 'col' }, 'share'),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          { 'data-site': r.site.name },
          h('th', { scope: 'row' }, r.site.name),
          h(
            'td',
            {},
            h(
              'span',
              { class: 'bar' },
              h('meter', {
                min: 0,
                max,
                value: r.perSecond,
                'aria-label': `${r.site.name} answers per second`,
              }),
              h('span', { class: 'num' }, rate(r.perSecond)),
            ),
          ),
          h('td', { class: 'num share' }, percent(r.share)),
        ),
      ),
    ),
  );
  const policies = [...d.traffic.policies].sort((a, b) => b.perSecond - a.perSecond);
  const byPolicy = h(
    'table',
    { class: 'bars' },
    h('caption', {}, 'By policy'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'policy'),
        h('th', { scope: 'col' }, 'answers/s'),
        h('th', { scope: 'col' }, 'last minute'),
      ),
    ),
    h(
      'tbody',
      {},
      policies.length
        ? policies.map((p) =>
            h(
              'tr',
              {},
              h(
                'th',
                { scope: 'row' },
                p.policy,
                d.status.zones.length > 1 ? h('small', {}, ` ${p.zone}`) : null,
              ),
              h('td', { class: 'num' }, rate(p.perSecond)),
              h('td', { class: 'num' }, p.lastMinute.toLocaleString()),
            ),
          )
        : h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no queries yet')),
    ),
  );
  return [bySite, byPolicy];
}

export function transitions(d: DashboardDocument): HTMLElement {
  if (!d.transitions.length) return h('p', { class: 'muted' }, 'No health changes since start.');
  return h(
    'ol',
    { class: 'log' },
    d.transitions.map((t) => {
      const tone =
        t.to === 'down' || t.to === 'unavailable'
          ? 'down'
          : t.to === 'up' || t.to === 'available'
            ? 'up'
            : t.kind === 'override'
              ? 'drained'
              : 'unknown';
      return h(
        'li',
        { class: `tone-${tone}` },
        h('time', { datetime: t.at, title: t.at }, clock(t.at)),
        h('span', { class: 'msg' }, t.message.replace(/^health: /, '')),
      );
    }),
  );
}

export function zones(d: DashboardDocument): HTMLElement {
  const now = Date.now();
  return h(
    'table',
    { class: 'kv zones' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['zone', 'serial', 'generation', 'loaded', 'last reload', 'last reload error'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      d.zones.map((z) => {
        const st = d.status.zones.find((s) => s.name === z.name);
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, z.name),
          h('td', { class: 'num' }, st?.serial ?? '—'),
          h('td', { class: 'num' }, z.generation),
          h(
            'td',
            {},
            z.loadedAt ? h('span', { title: z.loadedAt }, ago(z.loadedAt, now)) : 'at start',
          ),
          h(
            'td',
            {},
            z.lastReload
              ? [
                  h('span', { title: z.lastReload.at }, ago(z.lastReload.at, now)),
                  ` (${z.lastReload.result})`,
                ]
              : 'none since start',
          ),
          h(
            'td',
            {},
            z.lastError
              ? [
                  badge('down', 'rejected'),
                  ' ',
                  h('small', { title: z.lastError.at }, ago(z.lastError.at, now)),
                  h('pre', { class: 'problems' }, z.lastError.problems.join('\n')),
                ]
              : 'none',
          ),
        );
      }),
    ),
  );
}

export function process(d: DashboardDocument): HTMLElement {
  const p = d.process;
  const now = Date.now();
  const rows: [string, Node | string][] = [
    ['version', `geosteer ${p.version} (Node.js ${p.node})`],
    ['uptime', `${duration(p.uptimeSeconds)} (pid ${p.pid})`],
    ['threads', `${p.threads ?? '—'} OS threads; ${probeThread(p.probeThread)}`],
    ['generation', `${d.status.generation}, health version ${d.status.healthVersion}`],
    [
      'probes',
      `${d.status.probes.checks} checks, ${d.status.probes.runs.toLocaleString()} runs, ${d.status.probes.inFlight} in flight`,
    ],
    ['state file', d.status.stateFile ?? 'none: overrides end with the process'],
  ];
  for (const g of p.geoip)
    rows.push([
      'GeoIP',
      h(
        'span',
        {},
        h('code', {}, g.file.split('/').pop() ?? g.file),
        ` ${g.type}, built ${g.buildEpoch.slice(0, 10)} `,
        h('small', {}, `(${g.ageDays} days old)`),
      ),
    ]);
  if (!p.geoip.length) rows.push(['GeoIP', 'no database']);
  const last = d.reloads[0];
  if (last) rows.push(['last reload', `${ago(last.at, now)}: ${last.result} (${last.reason})`]);
  return h(
    'dl',
    { class: 'kv' },
    rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

function probeThread(t: DashboardDocument['process']['probeThread']): string {
  if (!t) return 'probes on the main thread';
  if (t.tid === null && t.starts === 0) return 'probe thread not started (no probes)';
  const cpu = t.cpuSeconds === null ? '' : `, ${t.cpuSeconds.toFixed(2)} s CPU`;
  return `probes on thread ${t.tid ?? '?'}${cpu}`;
}
