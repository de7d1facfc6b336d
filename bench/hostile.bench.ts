/**
 * Hostile networks: what attacks cost the Node-RED process that serves them. A child process runs a Node-RED 4
 * runtime with the package's nodes deployed (the PLC bridge on loopback, fed once a second, and an snmp-endpoint
 * with its trap receiver on loopback); this process
 * attacks it and reads the child's resident memory and open descriptors from /proc (Linux), so the attackers'
 * own sockets and buffers never count.
 *
 * Every case of ATTACKS runs for its duration while the case's probe (a legitimate client: a PLC polling the
 * bridge every 100 ms; an agent sending an SNMPv2c inform every 100 ms) keeps working; the same probe also runs once with no attack for the same time. Figures,
 * each beside the no-attack run's or the limit's: peak RSS and peak descriptors under attack, RSS and
 * descriptors 2 s after the attack (after a GC in the child) against before it, and the probe's answered polls.
 * To add an attack (SNMP, ...), add its nodes to TARGET_NODES, a probe to PROBES if it needs one, and a row to
 * ATTACKS.
 *
 * Run: npm run build && node --expose-gc dist/bench/hostile.bench.js [--seconds 10]   (npm run bench -- hostile)
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as dgram from 'dgram';
import * as snmp from 'net-snmp';
import { Comparison, report } from './report';
import { CRAFTED_INFORM, mutate, seededRandom } from '../test/helpers/snmp-fuzz';
import notifications from '../test/fixtures/snmp-notifications.json';

/** the bridge's connection limit (nodes/plc-bridge/plc-bridge.ts MAX_CLIENTS): squatters may hold that many */
const PLC_MAX_CLIENTS = 32;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------------------------
// the targets: ports the child serves on, and the nodes it deploys

interface Ports {
  plc: number;
  /** UDP port of the snmp-endpoint's trap receiver */
  trap: number;
}

/** The flow the child deploys: every node an attack aims at. */
function TARGET_NODES(ports: Ports): object[] {
  return [
    { id: 'hostile-tab', type: 'tab', label: 'hostile' },
    {
      id: 'hostile-feed',
      type: 'inject',
      z: 'hostile-tab',
      repeat: '1',
      once: true,
      topic: 'bms/pack1',
      props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
      payload: '{"voltage":53.21,"current":-12.3,"soc":87,"cellVoltages":[3.32,3.33,3.31,3.32]}',
      payloadType: 'json',
      wires: [['hostile-plc']],
    },
    {
      id: 'hostile-plc',
      type: 'dcpower-plc-bridge',
      z: 'hostile-tab',
      host: '127.0.0.1',
      port: ports.plc,
      unitId: 1,
      blockSize: 200,
      wordOrder: 'high-first',
      devices: [{ topic: 'bms/pack1', kind: 'jk-bms', keys: [{ key: 'voltage' }, { key: 'current' }, { key: 'soc' }, { key: 'cellVoltages', count: 4 }], alarms: [] }],
      wires: [[]],
    },
    // a link whose only job here is its trap receiver (no stored community: `public`, accepted on loopback)
    { id: 'hostile-snmp', type: 'snmp-endpoint', name: 'traps', targets: '127.0.0.1:1', port: 161, version: 'v2c', timeout: 1000, retries: 0, trapEnabled: true, trapPort: ports.trap, trapAddress: '127.0.0.1' },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// probes: legitimate clients, whose service under attack is compared with their service without

interface ProbeResult {
  sent: number;
  answered: number;
  /** 95th percentile reply time, ms */
  p95Ms: number;
}

interface ProbeRun {
  stop(): ProbeResult;
}

interface Probe {
  name: string;
  start(ports: Ports): ProbeRun;
}

function p95(values: number[]): number {
  if (values.length === 0) return NaN;
  const v = values.slice().sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(v.length * 0.95))];
}

/** A PLC: one connection (reopened if closed), FC04 of 125 registers every 100 ms, 1 s reply timeout. */
const plcProbe: Probe = {
  name: 'PLC polling every 100 ms',
  start(ports) {
    let socket: net.Socket | undefined;
    let sent = 0;
    let answered = 0;
    let transaction = 0;
    let waiting: { id: number; at: bigint } | undefined;
    let buffer: Buffer = Buffer.alloc(0);
    const times: number[] = [];
    const open = (): net.Socket => {
      const s = net.connect(ports.plc, '127.0.0.1');
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        if (socket === s) socket = undefined;
      });
      s.on('data', (chunk: Buffer) => {
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        while (buffer.length >= 7 && buffer.length >= 6 + buffer.readUInt16BE(4)) {
          const id = buffer.readUInt16BE(0);
          const fc = buffer[7];
          buffer = buffer.subarray(6 + buffer.readUInt16BE(4));
          if (waiting && id === waiting.id && fc === 4) {
            answered++;
            times.push(Number(process.hrtime.bigint() - waiting.at) / 1e6);
            waiting = undefined;
          }
        }
      });
      buffer = Buffer.alloc(0);
      return s;
    };
    const timer = setInterval(() => {
      if (waiting && Number(process.hrtime.bigint() - waiting.at) / 1e6 > 1000) waiting = undefined; // lost
      if (waiting) return;
      if (!socket) socket = open();
      transaction = (transaction + 1) & 0xffff;
      const adu = Buffer.from([0, 0, 0, 0, 0, 6, 1, 4, 0, 0, 0, 125]);
      adu.writeUInt16BE(transaction, 0);
      sent++;
      waiting = { id: transaction, at: process.hrtime.bigint() };
      socket.write(adu);
    }, 100);
    return {
      stop() {
        clearInterval(timer);
        socket?.destroy();
        return { sent, answered, p95Ms: p95(times) };
      },
    };
  },
};

/** An agent that sends an SNMPv2c inform (community public) every 100 ms; answered = acknowledged by the receiver. */
const informProbe: Probe = {
  name: 'inform every 100 ms',
  start(ports) {
    const session = snmp.createSession('127.0.0.1', 'public', { version: snmp.Version2c, trapPort: ports.trap, timeout: 1000, retries: 0 });
    session.on('error', () => undefined);
    let sent = 0;
    let answered = 0;
    let waiting = false;
    const times: number[] = [];
    const timer = setInterval(() => {
      if (waiting) return;
      waiting = true;
      sent++;
      const at = process.hrtime.bigint();
      session.inform('1.3.6.1.4.1.8072.2.3.0.1', [{ oid: '1.3.6.1.4.1.8072.2.3.2.1', type: snmp.ObjectType.Integer, value: sent }], (err: Error | null) => {
        waiting = false;
        if (err) return;
        answered++;
        times.push(Number(process.hrtime.bigint() - at) / 1e6);
      });
    }, 100);
    return {
      stop() {
        clearInterval(timer);
        session.close();
        return { sent, answered, p95Ms: p95(times) };
      },
    };
  },
};

const PROBES = { plc: plcProbe, inform: informProbe };

// ---------------------------------------------------------------------------------------------------------------
// attacks

interface Attack {
  stop(): Promise<void>;
  /** one line on what the attack did, for the report */
  summary(): string;
}

interface AttackCase {
  name: string;
  probe: keyof typeof PROBES;
  /** descriptors the target may legitimately hold for the attack (its connection limit), beside the no-attack run */
  allowedDescriptors: number;
  /** share of the probe's no-attack service it must keep (default 0.95); null: measured, no target (an attack
   * that saturates the CPU this machine shares with the attacker degrades any receiver) */
  serviceTarget?: number | null;
  start(ports: Ports): Promise<Attack>;
}

/** 32 connections that each send the 7 header bytes of a request and nothing more; one that is closed comes back. */
async function squatters(port: number, count: number): Promise<Attack> {
  let running = true;
  let opened = 0;
  let closedByServer = 0;
  const sockets = new Set<net.Socket>();
  const open = (): Promise<void> =>
    new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      opened++;
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('connect', () => {
        s.write(Buffer.from([0, 1, 0, 0, 0, 6, 1]));
        resolve();
      });
      s.on('close', () => {
        sockets.delete(s);
        resolve();
        if (!running) return;
        closedByServer++;
        // an attacker comes back, not in a tight loop
        setTimeout(() => running && void open(), 250);
      });
    });
  for (let i = 0; i < count; i++) await open();
  return {
    async stop() {
      running = false;
      for (const s of sockets) s.destroy();
    },
    summary: () => `${opened} connections opened, ${closedByServer} closed by the server`,
  };
}

/** One client that pipelines FC04 reads of 125 registers as fast as its socket takes them and never reads. */
async function pipeliner(port: number): Promise<Attack> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  s.pause();
  let running = true;
  let requests = 0;
  const batch = Buffer.concat(Array.from({ length: 500 }, () => Buffer.from([0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 125])));
  const pump = (): void => {
    if (!running || s.destroyed) return;
    s.write(batch);
    requests += 500;
    // one batch per turn, and none while its own buffer is over 1 MB: the attacker must not starve the probe
    if (s.writableLength < 1 << 20) setImmediate(pump);
    else s.once('drain', pump);
  };
  pump();
  return {
    async stop() {
      running = false;
      s.destroy();
    },
    summary: () => `${requests.toLocaleString('en-US')} requests written (${((requests * 259) / 1e6).toFixed(0)} MB of replies asked for), ${s.destroyed ? 'closed' : 'still open'}`,
  };
}

/**
 * Malformed datagrams at the trap port from 64 source ports, `perMs` every millisecond: the crafted 41-byte
 * inform that used to end the process, and seeded mutations of real traps and informs (v1, v2c, v3).
 */
async function datagramFlood(port: number, perMs: number): Promise<Attack> {
  const random = seededRandom(41);
  const seeds = [CRAFTED_INFORM, ...(notifications as { datagrams: Array<{ hex: string }> }).datagrams.map((d) => Buffer.from(d.hex, 'hex'))];
  const sockets = await Promise.all(
    Array.from({ length: 64 }, () => {
      const s = dgram.createSocket('udp4');
      s.on('error', () => undefined);
      return new Promise<dgram.Socket>((r) => s.bind(0, '127.0.0.1', () => r(s)));
    }),
  );
  let running = true;
  let sent = 0;
  const pump = (): void => {
    if (!running) return;
    for (let i = 0; i < perMs; i++) {
      const seed = seeds[Math.floor(random() * seeds.length)];
      const datagram = sent % 10 === 0 ? CRAFTED_INFORM : mutate(seed, random);
      sockets[sent % sockets.length].send(datagram, port, '127.0.0.1');
      sent++;
    }
    setTimeout(pump, 1);
  };
  const startedAt = Date.now();
  pump();
  return {
    async stop() {
      running = false;
      for (const s of sockets) s.close();
    },
    summary: () => `${sent.toLocaleString('en-US')} malformed datagrams sent from ${sockets.length} source ports (${Math.round(sent / ((Date.now() - startedAt) / 1000)).toLocaleString('en-US')}/s)`,
  };
}

const ATTACKS: AttackCase[] = [
  // about 1,000 a second: the 5,000 in a few seconds, as a scan or a broken sender produces them
  { name: 'malformed datagrams at the trap port (~1,000/s)', probe: 'inform', allowedDescriptors: 0, start: (p) => datagramFlood(p.trap, 1) },
  // as fast as one loop sends them: the receiver's CPU is the limit, the process must still hold its memory
  { name: 'malformed datagram flood at the trap port (CPU-bound)', probe: 'inform', allowedDescriptors: 0, serviceTarget: null, start: (p) => datagramFlood(p.trap, 50) },
  { name: '32 idle squatters (7 header bytes each)', probe: 'plc', allowedDescriptors: PLC_MAX_CLIENTS, start: (p) => squatters(p.plc, 32) },
  { name: 'non-reading pipelining client', probe: 'plc', allowedDescriptors: 1, start: (p) => pipeliner(p.plc) },
];

// ---------------------------------------------------------------------------------------------------------------
// the child: Node-RED with TARGET_NODES deployed; answers "gc" on stdin

async function runChild(ports: Ports): Promise<void> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-bench-hostile-'));
  const modules = path.join(userDir, 'node_modules');
  fs.mkdirSync(path.join(modules, '@dcpower'), { recursive: true });
  const root = path.resolve(__dirname, '..', '..');
  fs.symlinkSync(root, path.join(modules, '@dcpower', 'node-red-nodes'), 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'bench', private: true, dependencies: { '@dcpower/node-red-nodes': '*' } }));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(TARGET_NODES(ports)));
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const RED = require('node-red') as { init(server: http.Server, settings: object): void; start(): Promise<void>; stop(): Promise<void>; events: { once(e: string, l: () => void): void } };
  RED.init(http.createServer(), {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    logging: { console: { level: 'error', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false },
  });
  const started = new Promise<void>((r) => RED.events.once('flows:started', () => r()));
  await RED.start();
  await started;
  const quit = (): void => {
    void RED.stop()
      .catch(() => undefined)
      .then(() => {
        fs.rmSync(userDir, { recursive: true, force: true });
        process.exit(0);
      });
  };
  let input = '';
  process.stdin.on('data', (d: Buffer) => {
    input += d.toString();
    for (let i = input.indexOf('\n'); i >= 0; i = input.indexOf('\n')) {
      const line = input.slice(0, i).trim();
      input = input.slice(i + 1);
      if (line === 'gc') {
        global.gc?.();
        process.stdout.write('@gc\n');
      }
    }
  });
  process.stdin.on('end', quit);
  process.stdout.write('@ready\n');
}

class Child {
  private lines: string[] = [];
  private waiters: Array<(line: string) => void> = [];

  constructor(readonly proc: ChildProcess) {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
        const line = out.slice(0, i).trim();
        out = out.slice(i + 1);
        // the protocol's lines start with @; the runtime's own log lines pass through
        if (!line.startsWith('@')) {
          if (line) process.stderr.write(`child: ${line}\n`);
          continue;
        }
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
  }

  line(timeoutMs: number): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the Node-RED child did not answer')), timeoutMs);
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  async gc(): Promise<void> {
    this.proc.stdin?.write('gc\n');
    while ((await this.line(10_000)) !== '@gc');
  }

  /** resident memory (MB) and open descriptors of the child, from /proc */
  sample(): { rssMb: number; fds: number } {
    const pid = this.proc.pid as number;
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
    return { rssMb: kb / 1024, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
  }
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface Phase {
  before: { rssMb: number; fds: number };
  peak: { rssMb: number; fds: number };
  after: { rssMb: number; fds: number };
  probe: ProbeResult;
  summary: string;
}

/** before (after a GC), the peak while `attack` and the probe run for ms, after (2 s later, after a GC) */
async function phase(child: Child, ports: Ports, probe: Probe, ms: number, attack?: AttackCase): Promise<Phase> {
  await child.gc();
  const before = child.sample();
  const peak = { ...before };
  // the probe connects after the attack began: a PLC (re)connecting to a full house is the case that locked out
  const running = attack ? await attack.start(ports) : undefined;
  const probing = probe.start(ports);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await sleep(250);
    const s = child.sample();
    peak.rssMb = Math.max(peak.rssMb, s.rssMb);
    peak.fds = Math.max(peak.fds, s.fds);
  }
  const result = probing.stop();
  const summary = running?.summary() ?? '';
  await running?.stop();
  await sleep(2000);
  await child.gc();
  return { before, peak, after: child.sample(), probe: result, summary };
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('reads /proc: Linux only');
  const seconds = arg('--seconds', 10);
  const ports: Ports = { plc: await freePort(), trap: await freeUdpPort() };
  const proc = spawn(process.execPath, ['--expose-gc', __filename, '--child', JSON.stringify(ports)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const child = new Child(proc);
  try {
    const ready = await child.line(60_000);
    if (ready !== '@ready') throw new Error(`child: ${ready}`);
    // warm-up, then wait for V8's memory reducer to give back the start-up heap (~8 s after start): before it,
    // the first run's RSS is ~25 MB higher than the same state's later, which would flatter every attack
    const warm = plcProbe.start(ports);
    await sleep(3000);
    warm.stop();
    let highest = 0;
    for (const until = Date.now() + 12_000; Date.now() < until; await sleep(500)) {
      await child.gc();
      const rss = child.sample().rssMb;
      highest = Math.max(highest, rss);
      if (rss < highest * 0.9) break;
    }
    process.stdout.write(`Node-RED child pid ${proc.pid}, PLC bridge on 127.0.0.1:${ports.plc}, ${seconds} s per run\n`);
    const baselines = new Map<string, Phase>();
    for (const key of new Set(ATTACKS.map((a) => a.probe))) {
      const p = await phase(child, ports, PROBES[key], seconds * 1000);
      baselines.set(key, p);
      process.stdout.write(`no attack (${PROBES[key].name}): RSS ${p.before.rssMb.toFixed(1)} -> peak ${p.peak.rssMb.toFixed(1)} MB, fds ${p.before.fds} -> ${p.peak.fds}, probe ${p.probe.answered}/${p.probe.sent} answered, p95 ${p.probe.p95Ms.toFixed(1)} ms\n`);
    }
    const comparisons: Comparison[] = [];
    for (const attack of ATTACKS) {
      const base = baselines.get(attack.probe) as Phase;
      const p = await phase(child, ports, PROBES[attack.probe], seconds * 1000, attack);
      process.stdout.write(
        `${attack.name}: RSS ${p.before.rssMb.toFixed(1)} -> peak ${p.peak.rssMb.toFixed(1)} -> after ${p.after.rssMb.toFixed(1)} MB, fds ${p.before.fds} -> ${p.peak.fds} -> ${p.after.fds}, probe ${p.probe.answered}/${p.probe.sent} answered, p95 ${p.probe.p95Ms.toFixed(1)} ms; ${p.summary}\n`,
      );
      comparisons.push(
        { name: `${attack.name}: peak RSS`, measured: p.peak.rssMb, reference: base.peak.rssMb, referenceName: 'no attack', unit: 'MB', higherIsBetter: false, target: { ratio: 1.2, comparison: '<=' } },
        { name: `${attack.name}: RSS after`, measured: p.after.rssMb, reference: p.before.rssMb, referenceName: 'before', unit: 'MB', higherIsBetter: false, target: { ratio: 1.1, comparison: '<=' } },
        {
          name: `${attack.name}: peak open fds`,
          measured: p.peak.fds,
          reference: base.peak.fds + attack.allowedDescriptors,
          referenceName: `no attack + ${attack.allowedDescriptors} allowed`,
          unit: 'fds',
          higherIsBetter: false,
          target: { ratio: 1, comparison: '<=' },
        },
        { name: `${attack.name}: open fds after`, measured: p.after.fds, reference: p.before.fds, referenceName: 'before', unit: 'fds', higherIsBetter: false, target: { ratio: 1, comparison: '<=' } },
        {
          name: `${attack.name}: ${PROBES[attack.probe].name}, answered`,
          measured: p.probe.answered,
          reference: base.probe.answered,
          referenceName: 'no attack',
          unit: 'polls',
          higherIsBetter: true,
          ...(attack.serviceTarget === null ? {} : { target: { ratio: attack.serviceTarget ?? 0.95, comparison: '>=' as const } }),
        },
        { name: `${attack.name}: ${PROBES[attack.probe].name}, p95 reply`, measured: p.probe.p95Ms, reference: base.probe.p95Ms, referenceName: 'no attack', unit: 'ms', higherIsBetter: false },
      );
    }
    process.stdout.write('\n');
    report(comparisons);
  } finally {
    proc.stdin?.end();
    await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(5000)]);
    if (proc.exitCode === null) proc.kill();
  }
}

if (process.argv[2] === '--child') {
  runChild(JSON.parse(process.argv[3]) as Ports).catch((err: unknown) => {
    process.stdout.write(`@failed ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(3);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`hostile: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
