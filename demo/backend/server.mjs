// A stand-in for one site's service in the docker-compose demo: GET /health answers "ok" (what
// the zone's http probe expects), anything else says which site answered. No dependencies, so it
// runs on the same node image as geosteer and the demo pulls no extra image.
import { createServer } from 'node:http';
import process from 'node:process';

const site = process.env.SITE ?? '?';
const port = Number(process.env.PORT ?? 8080);

createServer((req, res) => {
  const body = req.url === '/health' ? 'ok\n' : `hello from site ${site}\n`;
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(body);
}).listen(port, '0.0.0.0', () =>
  process.stdout.write(`site ${site} backend listening on :${port}\n`),
);

// docker compose stop sends SIGTERM; node (PID 1) has no default handler for it, so exit here
// rather than wait out the stop timeout.
process.on('SIGTERM', () => process.exit(0));
