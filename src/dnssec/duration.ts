// Durations as Knot writes them ("14d", "12h", "30m") or plain seconds, for the dnssec: stanza and
// the `geosteer dnssec` commands.
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/** Seconds, or null when `text` is not a duration. */
export function duration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : null;
  const m = /^(\d+(?:\.\d+)?)([smhdw])?$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!) : null;
}
