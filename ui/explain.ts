// The explain form: the same decision trace `geosteer explain` prints, from this server's live
// health and GeoIP (GET /explain?format=text), with the chosen sites picked out from the JSON.
import { ApiError, getJson, getText, Unauthorized } from './api.js';
import { byId, h, replace } from './dom.js';
import type { Explanation } from '../src/explain/explain.js';

export function explainForm(onUnauthorized: () => void): void {
  const form = byId<HTMLFormElement>('explain-form');
  const out = byId('explain-out');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const q = new URLSearchParams({
      name: String(data.get('name') ?? '').trim(),
      type: String(data.get('type') ?? 'A').trim() || 'A',
      client: String(data.get('client') ?? '').trim(),
    });
    const trace = data.get('trace') === 'on';
    replace(out, h('p', { class: 'muted' }, 'Explaining…'));
    void (async () => {
      try {
        const [x, text] = await Promise.all([
          getJson<Explanation>(`explain?${q}`),
          getText(`explain?${q}&format=text${trace ? '&trace=1' : ''}`),
        ]);
        const chosen = [...new Set(x.chain.flatMap((c) => c.steering?.chosen ?? []))];
        replace(
          out,
          h(
            'p',
            { class: 'verdict', id: 'explain-sites' },
            chosen.length
              ? ['Answered from ', h('strong', {}, chosen.join(', ')), ` (${x.answer.rcode})`]
              : `${x.answer.rcode}: not steered`,
          ),
          h('pre', { class: 'trace', id: 'explain-text' }, text),
        );
      } catch (err) {
        if (err instanceof Unauthorized) return onUnauthorized();
        const msg =
          err instanceof ApiError ? `${err.code}: ${err.message}` : (err as Error).message;
        replace(out, h('p', { class: 'error', role: 'alert' }, msg));
      }
    })();
  });
}
