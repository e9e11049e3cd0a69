// A stand-in for one site's service, in the docker-compose demo and in the local one (README,
// "Watch a site fail"): GET /health answers "ok" (what the zones' http probes expect), anything
// else says which site answered. No dependencies, so it runs on the same node image as geosteer
// and the demo pulls no extra image. HOST: the address to listen on (the containers take all of
// theirs; the local demo gives each site a loopback address of its own).
import { createServer } from 'node:http';
import process from 'node:process';

const site = process.env.SITE ?? '?';
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '0.0.0.0';

createServer((req, res) => {
  const body = req.url === '/health' ? 'ok\n' : `hello from site ${site}\n`;
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(body);
}).listen(port, host, () =>
  process.stdout.write(`site ${site} backend listening on ${host}:${port}\n`),
);

// docker compose stop sends SIGTERM; node (PID 1) has no default handler for it, so exit here
// rather than wait out the stop timeout. (`kill PID` in the local demo sends it too.)
process.on('SIGTERM', () => process.exit(0));
