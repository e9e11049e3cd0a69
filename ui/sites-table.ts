// The sites table: every site with its state, traffic, why, and its actions; opened, each address
// with its probe state, last RTT, last error and last change, and its own actions. It is also the
// map's accessible twin: everything the markers say, as text in a table.
import { ago, h, percent, rate } from './dom.js';
import { addressState, STATE_LABEL, type DashboardDocument, type SiteRow } from './model.js';
import { badge } from './panels.js';
import type { AddressAction, SiteAction } from './actions.js';
export interface SiteHandlers {
  expanded: Set<string>;
  toggle(key: string): void;
  site(row: SiteRow, action: SiteAction): void;
  address(row: SiteRow, address: string, action: AddressAction): void;
}

function siteActions(r: SiteRow): SiteAction[] {
  const o = r.site.override;
  const out: SiteAction[] = [];
  if (o !== 'drain') out.push('drain');
  if (o === 'drain') out.push('undrain');
  if (o !== 'down') out.push('force-down');
  if (o !== null) out.push('clear');
  return out;
}

const ACTION_TEXT: Record<string, string> = {
  drain: 'Drain',
  undrain: 'Undrain',
  'force-down': 'Force down',
  'force-up': 'Force up',
  clear: 'Clear',
};

export function sitesTable(rows: SiteRow[], d: DashboardDocument, on: SiteHandlers): HTMLElement {
  const now = Date.now();
  const multi = d.status.zones.length > 1;
  const body: HTMLElement[] = [];
  for (const r of rows) {
    const open = on.expanded.has(r.key);
    const addrs = r.site.addresses;
    body.push(
      h(
        'tr',
        {
          class: `site-row${open ? ' open' : ''}`,
          id: `site-${r.key}`,
          'data-site': r.site.name,
          'data-zone': r.zone,
          'data-state': r.state,
        },
        h(
          'th',
          { scope: 'row' },
          h(
            'button',
            {
              class: 'disclose',
              'aria-expanded': String(open),
              'data-key': `toggle:${r.key}`,
              onclick: () => on.toggle(r.key),
            },
            h('span', { 'aria-hidden': 'true' }, open ? '▾ ' : '▸ '),
            r.site.name,
          ),
          multi ? h('small', { class: 'zone' }, r.zone) : null,
        ),
        h('td', {}, badge(r.state, STATE_LABEL[r.state])),
        h(
          'td',
          { class: 'num' },
          `${r.site.upAddresses}/${addrs.length}`,
          h('small', {}, ` min ${r.site.minHealthy}`),
        ),
        h('td', { class: 'num' }, rate(r.perSecond)),
        h('td', { class: 'num' }, percent(r.share)),
        h('td', { class: 'reason' }, r.site.reason),
        h(
          'td',
          { class: 'actions' },
          siteActions(r).map((a) =>
            h(
              'button',
              {
                class: `act act-${a}`,
                'data-key': `site:${r.key}:${a}`,
                'data-action': a,
                onclick: () => on.site(r, a),
              },
              ACTION_TEXT[a],
            ),
          ),
        ),
      ),
    );
    if (!open) continue;
    body.push(
      h(
        'tr',
        { class: 'addresses-row' },
        h(
          'td',
          { colspan: 7 },
          h(
            'table',
            { class: 'addresses' },
            h('caption', { class: 'sr-only' }, `Addresses of ${r.site.name}`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['address', 'state', 'probe', 'last RTT', 'last error', 'last change', ''].map(
                  (c) => h('th', { scope: 'col' }, c),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              addrs.map((a) => {
                const st = addressState(a);
                const acts: AddressAction[] =
                  a.override === null
                    ? ['force-down', 'force-up']
                    : a.override === 'down'
                      ? ['force-up', 'clear']
                      : ['force-down', 'clear'];
                return h(
                  'tr',
                  { 'data-address': a.address },
                  h('th', { scope: 'row' }, h('code', {}, a.address)),
                  h(
                    'td',
                    {},
                    badge(st, st.replace('-', ' ')),
                    a.provisional ? h('small', {}, ' provisional') : null,
                  ),
                  h('td', {}, h('code', { class: 'probe' }, a.probe)),
                  h('td', { class: 'num' }, a.latencyMs === null ? '—' : `${a.latencyMs} ms`),
                  h(
                    'td',
                    {},
                    a.lastError
                      ? [
                          a.lastError.reason,
                          h('small', { title: a.lastError.at }, ` ${ago(a.lastError.at, now)}`),
                        ]
                      : '—',
                  ),
                  h(
                    'td',
                    {},
                    a.lastTransition
                      ? [
                          `${a.lastTransition.from} → ${a.lastTransition.to} `,
                          h('small', { title: a.lastTransition.at }, ago(a.lastTransition.at, now)),
                        ]
                      : '—',
                  ),
                  h(
                    'td',
                    { class: 'actions' },
                    acts.map((act) =>
                      h(
                        'button',
                        {
                          class: `act act-${act}`,
                          'data-key': `addr:${r.key}:${a.address}:${act}`,
                          'data-action': act,
                          onclick: () => on.address(r, a.address, act),
                        },
                        ACTION_TEXT[act],
                      ),
                    ),
                  ),
                );
              }),
            ),
          ),
        ),
      ),
    );
  }
  return h(
    'table',
    { class: 'sites' },
    h('caption', { class: 'sr-only' }, 'Sites, their state, traffic and actions'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['site', 'state', 'addresses up', 'answers/s', 'share 1 min', 'why', 'actions'].map(
          (c) => h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    h('tbody', {}, body),
  );
}
