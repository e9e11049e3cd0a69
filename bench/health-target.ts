// The backend the bench's health probes hit: one HTTP server on 127.0.0.1, a separate process
// pinned beside dnsperf so that serving probes costs the server's core nothing. Every path under
// /probe/ answers 200 "ok"; GET /hits says how many probe requests it has answered, so the bench
// can tell probes really ran during a measured run (the server's own figure is a second witness).
// Prints {"port":N} on stdout once it listens. Stops on SIGTERM (by PID, from bench/proc.ts).
import { createServer } from 'node:http';

let hits = 0;
const server = createServer((req, res) => {
  if (req.url?.startsWith('/probe/')) {
    hits++;
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end('ok\n');
  } else if (req.url === '/hits') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ hits }));
  } else {
    res.writeHead(404).end();
  }
});
// Probes arrive on fresh connections (no keep-alive); the default backlog of 511 covers 500 at once.
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(
    JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n',
  );
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
