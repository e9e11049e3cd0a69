// Drain / undrain / force-down / clear for a site, force-down / force-up / clear for an address:
// a confirmation that says what will change, then the admin API's reply shown as it came.
import { ApiError, post, Unauthorized } from './api.js';
import { byId, h, replace } from './dom.js';
import type { SiteRow } from './model.js';
import type { OverrideResult } from '../src/admin/overrides.js';

export type SiteAction = 'drain' | 'undrain' | 'force-down' | 'clear';
export type AddressAction = 'force-down' | 'force-up' | 'clear';

const SITE_EFFECT: Record<SiteAction, string> = {
  drain: 'It will be left out of every DNS answer, even when every other site is down.',
  undrain:
    'Its drain override is removed; it comes back into answers if its probes say it is up. A site forced down stays down.',
  'force-down':
    'It will be treated as down, as if its probes failed (when every site is down, serve_all may still answer with it).',
  clear: 'Its override is removed: back to what the zone file and the probes say.',
};

const ADDRESS_EFFECT: Record<AddressAction, string> = {
  'force-down': 'It will be left out of answers whatever its probe says.',
  'force-up': 'It will be given out whatever its probe says.',
  clear: 'Its override is removed: back to what its probe says.',
};

export interface Confirmed {
  /** Ask, then run; resolves when the dialog is closed either way. */
  site(row: SiteRow, action: SiteAction): Promise<void>;
  address(row: SiteRow, address: string, action: AddressAction): Promise<void>;
}

export function actions(onDone: () => void, onUnauthorized: () => void): Confirmed {
  const dialog = byId<HTMLDialogElement>('confirm');
  const title = byId('confirm-title');
  const what = byId('confirm-what');
  const reason = byId<HTMLInputElement>('confirm-reason');
  const go = byId<HTMLButtonElement>('confirm-go');
  const result = byId('result');

  const ask = (heading: string, lines: string[], path: string, label: string): Promise<void> =>
    new Promise((resolve) => {
      title.textContent = heading;
      replace(what, ...lines.map((l) => h('p', {}, l)));
      reason.value = '';
      go.textContent = label;
      const onClose = async () => {
        dialog.removeEventListener('close', onClose);
        if (dialog.returnValue !== 'go') return resolve();
        await run(heading, path, reason.value.trim());
        resolve();
      };
      dialog.addEventListener('close', onClose);
      dialog.returnValue = '';
      dialog.showModal();
    });

  const run = async (heading: string, path: string, why: string) => {
    // Every path already has ?zone=; the reason goes beside it. The admin API takes each in the
    // query or in the JSON body, not both; the body stays {}.
    const q = why ? `&reason=${encodeURIComponent(why)}` : '';
    try {
      const r = await post<OverrideResult>(path + q, {});
      show('ok', heading, r.changes.map(describe));
    } catch (e) {
      if (e instanceof Unauthorized) return onUnauthorized();
      const err = e as Error;
      const detail = e instanceof ApiError ? `${e.code}: ${e.message}` : err.message;
      show('error', `${heading}: failed`, [detail]);
    }
    onDone();
  };

  const show = (tone: 'ok' | 'error', heading: string, lines: string[]) => {
    result.hidden = false;
    result.className = `result ${tone}`;
    replace(
      result,
      h('strong', {}, tone === 'ok' ? `Done: ${heading}` : heading),
      h(
        'ul',
        {},
        lines.map((l) => h('li', {}, l)),
      ),
      h(
        'button',
        { class: 'close', 'aria-label': 'dismiss', onclick: () => (result.hidden = true) },
        '×',
      ),
    );
  };

  const zoneQuery = (row: SiteRow) => `zone=${encodeURIComponent(row.zone)}`;
  return {
    site: (row, action) =>
      ask(
        `${label(action)} site ${row.site.name}`,
        [
          `Site ${row.site.name} in zone ${row.zone} is now ${row.site.override ? `under override ${row.site.override}` : 'without override'} (${row.site.reason}).`,
          SITE_EFFECT[action],
        ],
        `sites/${encodeURIComponent(row.site.name)}/${action}?${zoneQuery(row)}`,
        label(action),
      ),
    address: (row, address, action) =>
      ask(
        `${label(action)} ${address} of ${row.site.name}`,
        [
          `Address ${address} of site ${row.site.name} in zone ${row.zone}.`,
          ADDRESS_EFFECT[action],
        ],
        `sites/${encodeURIComponent(row.site.name)}/addresses/${encodeURIComponent(address)}/${action}?${zoneQuery(row)}`,
        label(action),
      ),
  };
}

function label(action: string): string {
  const t = action.replace('-', ' ');
  return t[0]!.toUpperCase() + t.slice(1);
}

function describe(c: OverrideResult['changes'][number]): string {
  const who = c.address ? `${c.address} of ${c.site}` : c.site;
  const avail = c.available ? 'available' : 'not available';
  const up = c.up === undefined ? '' : c.up ? ', address given out' : ', address not given out';
  return `${c.zone} ${who}: override ${c.from ?? 'none'} → ${c.to ?? 'none'}; site ${avail} (${c.reason})${up}${c.note ? `. ${c.note}` : ''}`;
}
