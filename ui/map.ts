// The markers on the world map: one per site of each zone, at its `location:`, coloured and
// labelled by state, with a ring whose filled arc is the site's share of the zone's steered
// answers over the last minute. Sites without a location are listed under the map instead.
import { s, percent } from './dom.js';
import { type Fit, project } from './projection.js';
import { STATE_GLYPH, STATE_LABEL, type SiteRow } from './model.js';

const RING_R = 15;
const RING = 2 * Math.PI * RING_R;
/** Wide enough for the longest label drawn on the map; each label is sized to its own text. */
const LABEL_W = 150;

export function fitOf(svg: SVGSVGElement): Fit {
  return {
    k: Number(svg.dataset.k),
    tx: Number(svg.dataset.tx),
    ty: Number(svg.dataset.ty),
  };
}

export function drawMarkers(
  layer: SVGGElement,
  fit: Fit,
  rows: SiteRow[],
  select: (key: string) => void,
): void {
  const placed = rows
    .filter((r) => r.lat !== null && r.lon !== null)
    .map((r) => ({ r, xy: project(fit, r.lon!, r.lat!) }));
  // Labels go right of the marker unless another marker sits close on the right: then left.
  const side = (x: number, y: number) =>
    placed.some((p) => p.xy[0] > x && p.xy[0] - x < LABEL_W + 30 && Math.abs(p.xy[1] - y) < 40)
      ? -1
      : 1;
  layer.replaceChildren(
    ...placed.map(({ r, xy: [x, y] }) => {
      const dir = side(x, y);
      const share = r.share ?? 0;
      const stateText = `${STATE_LABEL[r.state].toUpperCase()} · ${percent(r.share)}`;
      // System UI fonts: about 8.6 units a character for the name, 8.2 for the spaced capitals.
      const w = Math.ceil(Math.max(r.site.name.length * 8.6, stateText.length * 8.2) + 16);
      const lx = dir === 1 ? RING_R + 6 : -(RING_R + 6 + w);
      const label = `${r.site.name}: ${STATE_LABEL[r.state]}, ${percent(r.share)} of ${r.zone}'s answers in the last minute`;
      return s(
        'g',
        {
          class: `marker state-${r.state}`,
          transform: `translate(${x.toFixed(2)} ${y.toFixed(2)})`,
          'data-key': r.key,
          'data-site': r.site.name,
          'data-zone': r.zone,
          'data-state': r.state,
          'data-x': x.toFixed(3),
          'data-y': y.toFixed(3),
          tabindex: 0,
          role: 'button',
          'aria-label': label,
          onclick: () => select(r.key),
          onkeydown: ((e: KeyboardEvent) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              select(r.key);
            }
          }) as EventListener,
        },
        s('title', {}, label),
        s('circle', { class: 'ring-track', r: RING_R }),
        s('circle', {
          class: 'ring-share',
          r: RING_R,
          'stroke-dasharray': `${(share * RING).toFixed(2)} ${RING.toFixed(2)}`,
          transform: 'rotate(-90)',
        }),
        s('circle', { class: 'dot', r: 9 }),
        s('text', { class: 'glyph', 'text-anchor': 'middle', dy: '0.35em' }, STATE_GLYPH[r.state]),
        s(
          'g',
          { class: 'label', transform: `translate(${lx} -19)` },
          s('rect', { width: w, height: 38, rx: 5 }),
          s('text', { class: 'name', x: 8, y: 16 }, r.site.name),
          s('text', { class: 'state', x: 8, y: 31 }, stateText),
        ),
      );
    }),
  );
}
