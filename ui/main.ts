// The status page: asks for the token when the server wants one, then polls GET /dashboard once
// a second and redraws. Polling, not server-sent events: EventSource cannot send an
// Authorization header (the token would have to go in the URL, where logs keep it), one small
// JSON document a second is nothing for the admin listener, and a poll needs no long-lived
// connection, so a restarted server is picked up by the next one.
import { auth, getJson, Unauthorized } from './api.js';
import { actions } from './actions.js';
import { byId, clock, replace } from './dom.js';
import { explainForm } from './explain.js';
import { drawMarkers, fitOf } from './map.js';
import { siteRows, type DashboardDocument, type SiteRow } from './model.js';
import * as panels from './panels.js';
import { sitesTable } from './sites-table.js';

const POLL_MS = 1000;

const login = byId('login');
const app = byId('app');
const expanded = new Set<string>();
let last: DashboardDocument | null = null;
let timer: number | null = null;
let started = false;
/** The last token given was refused: say so at the prompt. */
let refused = false;

function showLogin(refused: boolean): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  last = null;
  app.hidden = true;
  // Nothing read with a token stays on the page once it is refused.
  for (const id of [
    'summary',
    'traffic',
    'sites',
    'transitions',
    'zones',
    'process',
    'explain-out',
  ])
    byId(id).replaceChildren();
  byId('markers').replaceChildren();
  login.hidden = false;
  byId('login-error').textContent = refused ? 'That token was refused.' : '';
  byId<HTMLInputElement>('token').focus();
}

/**
 * A 401. With a token: it was refused (or the server now wants none, which is also a 401), so
 * forget it and ask once more without; without a token: the server wants one.
 */
function unauthorized(): void {
  if (auth.token !== null) {
    auth.token = null;
    refused = true;
    void refresh();
    return;
  }
  showLogin(refused);
  refused = false;
}

async function poll(): Promise<void> {
  timer = null;
  try {
    const d = await getJson<DashboardDocument>('dashboard');
    login.hidden = true;
    app.hidden = false;
    refused = false;
    last = d;
    render(d);
    setLive(true, d);
  } catch (e) {
    if (e instanceof Unauthorized) return unauthorized();
    setLive(false, null, (e as Error).message);
  }
  timer = window.setTimeout(() => void poll(), POLL_MS);
}

function setLive(ok: boolean, d: DashboardDocument | null, why = ''): void {
  const el = byId('live');
  el.className = ok ? 'live ok' : 'live lost';
  el.textContent = ok ? `live · ${clock(new Date().toISOString())}` : `connection lost: ${why}`;
  byId('logout').hidden = auth.token === null;
  if (d) {
    byId('version').textContent = `v${d.process.version}`;
    byId('instance').textContent = location.host;
    document.title = `geosteer · ${d.status.zones.map((z) => z.name).join(', ')}`;
  }
}

function select(key: string): void {
  expanded.add(key);
  if (last) render(last);
  const row = document.getElementById(`site-${key}`);
  row?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  row?.querySelector('button')?.focus({ preventScroll: true });
}

const act = actions(
  () => void refresh(),
  () => unauthorized(),
);

async function refresh(): Promise<void> {
  if (timer !== null) clearTimeout(timer);
  await poll();
}

function render(d: DashboardDocument): void {
  const rows: SiteRow[] = siteRows(d);
  drawMarkers(
    byId('markers') as unknown as SVGGElement,
    fitOf(byId('map') as unknown as SVGSVGElement),
    rows,
    select,
  );
  const unplaced = rows.filter((r) => r.lat === null || r.lon === null);
  replace(
    byId('unplaced'),
    unplaced.length
      ? `Not on the map (no location:): ${unplaced.map((r) => r.site.name).join(', ')}`
      : '',
  );
  replace(byId('summary'), ...panels.summary(rows, d));
  replace(byId('traffic'), ...panels.traffic(rows, d));
  replace(
    byId('sites'),
    sitesTable(rows, d, {
      expanded,
      toggle: (key) => {
        if (!expanded.delete(key)) expanded.add(key);
        render(d);
      },
      site: (row, a) => void act.site(row, a),
      address: (row, addr, a) => void act.address(row, addr, a),
    }),
  );
  replace(byId('transitions'), panels.transitions(d));
  replace(byId('zones'), panels.zones(d));
  replace(byId('process'), panels.process(d));
}

function start(): void {
  if (started) return;
  started = true;
  explainForm(unauthorized);
  byId<HTMLFormElement>('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>('token');
    const t = input.value.trim();
    input.value = '';
    if (!t) return;
    auth.token = t;
    login.hidden = true;
    void refresh();
  });
  byId('logout').addEventListener('click', () => {
    auth.token = null;
    showLogin(false);
  });
  void poll();
}

start();
