// Makes docs/status-page.png, the README's picture of the status page: `npm start`'s own
// configuration (geosteer.yaml, the example zone) on free loopback ports, a drain and a forced-down
// address set through the admin API, some steered traffic from clients around the world (ECS
// subnets), then Chromium at 1280×800.
//
//   npm run build && npx tsx scripts/readme-screenshot.ts
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, ecsOption, udpExchange } from '../test/helpers/dns-client.js';
import { screenshot } from './page-screenshot.js';

const OUT = 'docs/status-page.png';
/** Clients in Europe, North America and India, as the ECS subnets a resolver would send. */
const CLIENTS = ['81.2.69.0/24', '2.16.0.0/24', '8.8.8.0/24', '24.48.0.0/24', '49.36.0.0/16'];
const QUERIES = 300;

async function freePort(): Promise<number> {
  for (;;) {
    const srv = createServer();
    const port = await new Promise<number>((r) =>
      srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)),
    );
    await new Promise<void>((r) => srv.close(() => r()));
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, '127.0.0.1', () => r(true));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    if (ok) return port;
  }
}

const dns = await freePort();
const admin = await freePort();
const dir = await mkdtemp(join(tmpdir(), 'geosteer-shot-'));
const child = spawn(
  process.execPath,
  [
    'dist/src/cli.js',
    'serve',
    '--config',
    'geosteer.yaml',
    '--listen',
    `127.0.0.1:${dns}`,
    '--admin',
    `127.0.0.1:${admin}`,
    '--state-file',
    join(dir, 'state.json'),
    '--log-level',
    'warn',
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
const base = `http://127.0.0.1:${admin}`;
try {
  for (let i = 0; ; i++) {
    if (i > 100) throw new Error('geosteer did not start');
    const ok = await fetch(`${base}/status`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const post = async (path: string) => {
    const r = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  };
  await post('/sites/ap-south/drain?reason=maintenance%20CHG-1234');
  await post('/sites/us-east/addresses/192.0.2.11/force-down?reason=NIC%20replacement');
  for (let i = 0; i < QUERIES; i++) {
    const name = i % 3 === 2 ? 'api.gslb.example.com' : 'www.gslb.example.com';
    const q = buildQuery(name, 'A', {
      edns: 1232,
      ednsOptions: [ecsOption(CLIENTS[i % CLIENTS.length]!)],
    });
    await udpExchange(dns, q);
  }
  await screenshot(`${base}/`, OUT, { width: 1280, height: 800 });
  console.log(`wrote ${OUT}`);
} finally {
  if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  await new Promise((r) => child.once('close', r));
  await rm(dir, { recursive: true, force: true });
}
