// Builds the status page into dist/page/ (run by `npm run build`; nothing is built at run time):
//
//   index.html  ui/index.html with the world map drawn in as SVG path data
//   app.js      ui/*.ts bundled and minified by esbuild
//   style.css   ui/style.css
//
// The map is Natural Earth's 110m countries (world-atlas, TopoJSON) projected here, once, with
// d3-geo's Natural Earth projection: the page then ships path data and no map library (d3-geo
// and topojson-client would be ~60 KB of script that redraws the same picture on every load).
// Sites come and go with reloads, so markers are projected in the page, by the same projection's
// formula (ui/projection.ts), from the scale and translation written on the <svg> here; the
// browser test checks each marker against d3-geo itself.
//
// Fails when the page and its assets exceed 300 KB gzip-compressed (the budget).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { geoNaturalEarth1, geoPath, type GeoPermissibleObjects } from 'd3-geo';
import { build } from 'esbuild';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

export const BUDGET_BYTES = 300 * 1024;
/** The map's drawing size; the page scales it to fit. */
export const MAP_WIDTH = 1000;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'page');

/** Antarctica: no site is there, and leaving it out gives the rest of the world the height. */
const ANTARCTICA = '010';

export async function drawMap(): Promise<{ svg: string; k: number; tx: number; ty: number }> {
  const require = createRequire(import.meta.url);
  const topo = require('world-atlas/countries-110m.json') as Topology<{
    countries: GeometryCollection<{ name: string }>;
  }>;
  const all = feature(topo, topo.objects.countries);
  const shown = { ...all, features: all.features.filter((f) => f.id !== ANTARCTICA) };
  const projection = geoNaturalEarth1().fitWidth(MAP_WIDTH, shown as GeoPermissibleObjects);
  const path = geoPath(projection).digits(1);
  const [[, y0], [, y1]] = path.bounds(shown as GeoPermissibleObjects);
  const height = Math.ceil(y1 - y0 + 4);
  // Shift everything so the top of the land is at y=2.
  const shift = 2 - y0;
  projection.translate([projection.translate()[0], projection.translate()[1] + shift]);
  const land = path(shown as GeoPermissibleObjects) ?? '';
  const borders =
    path(mesh(topo, topo.objects.countries, (a, b) => a !== b) as GeoPermissibleObjects) ?? '';
  const [tx, ty] = projection.translate();
  const k = projection.scale();
  const svg =
    `<svg id="map" viewBox="0 0 ${MAP_WIDTH} ${height}" data-k="${k}" data-tx="${tx}" data-ty="${ty}" role="img" aria-labelledby="map-title" preserveAspectRatio="xMidYMid meet">` +
    `<title id="map-title">World map of the sites (Natural Earth, 110m)</title>` +
    `<path class="land" d="${land}"/><path class="borders" d="${borders}"/>` +
    `<g id="markers"></g></svg>`;
  return { svg, k, tx, ty };
}

/** Build dist/page; returns the files' gzip-compressed total, in octets. */
export async function buildPage(): Promise<number> {
  await mkdir(out, { recursive: true });
  const [template, css, map] = await Promise.all([
    readFile(join(root, 'ui', 'index.html'), 'utf8'),
    readFile(join(root, 'ui', 'style.css'), 'utf8'),
    drawMap(),
  ]);
  if (!template.includes('<!--map-->')) throw new Error('ui/index.html has no <!--map--> marker');
  const bundle = await build({
    entryPoints: [join(root, 'ui', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    legalComments: 'none',
  });
  const files: Record<string, string> = {
    'index.html': template.replace('<!--map-->', map.svg),
    'app.js': bundle.outputFiles[0]!.text,
    'style.css': css,
  };
  let total = 0;
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(out, name), text);
    total += gzipSync(text, { level: 9 }).length;
  }
  if (total > BUDGET_BYTES)
    throw new Error(
      `status page: ${total} octets gzip-compressed, over the ${BUDGET_BYTES} budget`,
    );
  return total;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const total = await buildPage();
  console.log(`status page: dist/page, ${(total / 1024).toFixed(1)} KB gzip-compressed`);
}
