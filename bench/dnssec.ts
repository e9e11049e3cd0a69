// The signed copy of the bench zone (issue #13): the same records as signed.example.com, with a
// key made by `geosteer dnssec keygen`, served beside gslb.example.com by every geosteer of the
// run, so the DNSSEC rows compare with the unsigned ones from the same server and run.
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SIGNED_ORIGIN = 'signed.example.com';

/** Write `<zonesDir>/signed.example.com.yaml` from the bench zone and its key under keys/. */
export async function prepareSignedZone(
  cli: string,
  zoneYaml: string,
  origin: string,
  zonesDir: string,
): Promise<void> {
  const text = (await readFile(zoneYaml, 'utf8')).replaceAll(origin, SIGNED_ORIGIN);
  const signed = text.replace(
    /^zone: .*$/m,
    (line) => `${line}\ndnssec:\n  keys: keys # made by geosteer dnssec keygen below`,
  );
  await writeFile(join(zonesDir, `${SIGNED_ORIGIN}.yaml`), signed);
  const r = spawnSync(
    process.execPath,
    [cli, 'dnssec', 'keygen', SIGNED_ORIGIN, '--dir', join(zonesDir, 'keys')],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`geosteer dnssec keygen failed:\n${r.stderr}`);
}
