// npm run fuzz -- [--seed N] [--packets N] [--seconds S] [--transport udp|tcp|both]
// npm run fuzz -- --replay HEX [--transport udp|tcp|tcp-stream]
// Prints a FINDING line per finding as it is made, then the counts; exits 1 on any finding.
import { Command, Option } from 'commander';
import { findingLine, type Transport } from './report.js';
import { fuzz, inFlight, replay, writeFuzzZones } from './run.js';

const program = new Command('fuzz')
  .description('fuzz a geosteer server (started here, on 127.0.0.1) over UDP and TCP')
  .option('--seed <n>', 'PRNG seed: the same seed sends the same packets', '1')
  .option('--packets <n>', 'packets to send in all', '100000')
  .option('--seconds <s>', 'stop sending after this long', '600')
  .addOption(
    new Option('--transport <t>', 'udp, tcp or both; with --replay: udp, tcp or tcp-stream')
      .choices(['udp', 'tcp', 'both', 'tcp-stream'])
      .default('both'),
  )
  .option('--tcp-share <f>', 'share of the packets sent over TCP when both run', '0.3')
  .option('--max-lines <n>', 'print at most this many FINDING lines per check', '20')
  .option(
    '--target <host:port>',
    'fuzz this running server (serving --write-zones) instead of one started here',
  )
  .option('--write-zones <dir>', 'write the zones the fuzzer expects into this directory, and exit')
  .option(
    '--replay <hex>',
    'send this one packet (hex, as a FINDING line gives it) and judge the reply',
  )
  .parse();

interface Flags {
  seed: string;
  packets: string;
  seconds: string;
  transport: string;
  tcpShare: string;
  maxLines: string;
  replay?: string;
  target?: string;
  writeZones?: string;
}

/** "127.0.0.1:5300", "[::1]:5300". */
function parseTarget(v: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`--target: not host:port: "${v}"`);
  return { host: m[1]!, port };
}

const num = (flag: string, v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag}: not a number >= 0: "${v}"`);
  return n;
};

async function main(): Promise<number> {
  const f = program.opts<Flags>();
  if (f.writeZones !== undefined) {
    await writeFuzzZones(f.writeZones);
    console.log(
      `zones written to ${f.writeZones}; serve them, then: npm run fuzz -- --target HOST:PORT`,
    );
    return 0;
  }
  if (f.replay !== undefined) {
    const transport = (f.transport === 'both' ? 'udp' : f.transport) as Transport;
    if (!/^([0-9a-f]{2})*$/i.test(f.replay))
      throw new Error(`--replay: not hex octets: "${f.replay}"`);
    const { replies, report } = await replay(Buffer.from(f.replay, 'hex'), transport);
    for (const r of replies) console.log(`reply ${r.toString('hex')}`);
    if (!replies.length) console.log('no reply');
    for (const x of report.findings) console.log(findingLine(x));
    console.log(`findings ${report.findings.length}`);
    return report.findings.length ? 1 : 0;
  }
  if (f.transport === 'tcp-stream') throw new Error('--transport tcp-stream is for --replay');
  const maxLines = num('max-lines', f.maxLines);
  const printed = new Map<string, number>();
  const report = await fuzz({
    seed: num('seed', f.seed),
    packets: num('packets', f.packets),
    seconds: num('seconds', f.seconds),
    transports: f.transport === 'both' ? ['udp', 'tcp'] : [f.transport as 'udp' | 'tcp'],
    tcpShare: num('tcp-share', f.tcpShare),
    ...(f.target !== undefined ? { target: parseTarget(f.target) } : {}),
    onFinding: (x) => {
      const n = printed.get(x.check) ?? 0;
      printed.set(x.check, n + 1);
      if (n < maxLines) console.log(findingLine(x));
      else if (n === maxLines) console.log(`(more ${x.check} findings are counted, not printed)`);
    },
  });
  console.log(report.summary());
  return report.findings.length ? 1 : 0;
}

// The server runs in this process: if a packet kills it, say which packets were in flight.
process.on('uncaughtException', (err) => {
  console.log(`FINDING crash: ${err.stack ?? String(err)}`);
  for (const [t, packets] of Object.entries(inFlight))
    for (const p of packets) console.log(`  in flight over ${t}: ${p.toString('hex')}`);
  process.exit(2);
});

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
