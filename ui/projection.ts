// d3-geo's Natural Earth projection (geoNaturalEarth1, Šavrič et al. 2011) for one point: the
// map is drawn at build time with d3-geo (scripts/build-page.ts), which writes its scale and
// translation on the <svg>; markers use the same formula here, so the page ships no map library.
// The browser test checks every marker against d3-geo's own projection.

export interface Fit {
  k: number;
  tx: number;
  ty: number;
}

const RAD = Math.PI / 180;

/** [x, y] in the map's viewBox for a longitude and latitude in degrees. */
export function project(fit: Fit, lon: number, lat: number): [number, number] {
  const lambda = lon * RAD;
  const phi = lat * RAD;
  const phi2 = phi * phi;
  const phi4 = phi2 * phi2;
  const x =
    lambda *
    (0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4)));
  const y =
    phi * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4)));
  return [fit.tx + fit.k * x, fit.ty - fit.k * y];
}
