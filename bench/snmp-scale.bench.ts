/**
 * 1,000 simulated Jupiter units on loopback, 5 % of them dead, polled for the default profile's GET
 * (pollPlan(defaultProfile()).gets: identity + RFC 1628 objects, all in one request per unit).
 *
 * In one process and one run (the agents run in a child process, so process.cpuUsage() here is the client's
 * CPU only), inside one embedded Node-RED 4 runtime:
 *   - the floor: a bare net-snmp loop, one Session per unit created once and reused, the same GETs, timeout and
 *     retries, no bound; it checks each answer's varbinds for exceptions, the one protocol step ours does on them;
 *   - ours: this package's poll path, the snmp-endpoint link (lib/snmp/session.ts on net-snmp) deployed in the
 *     runtime, polling every unit per cycle, twice: with the dialog's default bound of 64 requests in flight, and
 *     with the bound at the number of units, like the bare loop (the like-for-like comparison the target is for);
 *   - node-red-node-snmp 0.0.24 set up as its users do: an inject and an snmp node per unit, all OIDs in one
 *     request, timeout 2 s like ours.
 * The clients run in alternate blocks of cycles (floor, ours, ours, floor, floor, ours, ...), so that machine
 * load drifting during the run and each one's place in the order weigh on all alike; CPU per unit-poll is the
 * median over the blocks of each block's mean, the cycle times medians over the cycles. No garbage collection is forced between cycles: the two cycles after a
 * forced full collection cost 2-4 times the CPU of a steady one (the bare loop alone: 197, 78, then 43 ms), so
 * the figures would be of that recovery; and with the young generation emptied before each cycle, a client
 * allocating 4 % more crossed into a second scavenge per cycle (1.6 against 1.0) and measured 15 % more. In
 * blocks, each client's collections fall mostly in its own cycles, in proportion to what it allocates, as in
 * production.
 * Figures: CPU time per unit-poll, cycle time until every live unit answered, the full cycle with the dead
 * units' timeouts, and CPU share of one core when 1,000 units are polled every 10 s (paced for 30 s).
 *
 * Alternate blocks in one process share one garbage collector: what one client leaves for it may be collected in
 * another's cycles. `--isolated` measures the other way as well: each client alone in a fresh process (the link's
 * transport, SnmpClient, without Node-RED), one after the other against the same agents, `--reps` times each in
 * turned order, polling the live units only (a cycle then lasts until the last answer, not the dead units'
 * timeouts). The per-process figures are printed too: V8's heuristics (allocation-site pretenuring) settle
 * differently from one process to the next, and the spread shows it.
 *
 * Run: npm run build && node dist/bench/snmp-scale.bench.js [--units 1000] [--rounds 6] [--block 3] [--no-peer] [--no-paced]
 *      node dist/bench/snmp-scale.bench.js --isolated [--reps 5] [--rounds 6] [--block 5]
 *      node dist/bench/snmp-scale.bench.js --paired [--reps 5] [--pairs 60]
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import * as snmp from 'net-snmp';
import { report, Comparison } from './report';
import { defaultProfile, pollPlan } from '../nodes/jupiter-hvdc/profile';
import type { SnmpEndpoint, SnmpLink, SnmpTarget } from '../lib/snmp/types';

const DEAD_EVERY = 20; // every 20th unit is dead: 5 %

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** child mode: the agents, in their own process */
async function runAgents(base: number, units: number): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { JupiterUnit } = require('../nodes/jupiter-hvdc/simulator') as typeof import('../nodes/jupiter-hvdc/simulator');
  const live = [];
  for (let i = 0; i < units; i++) if (i % DEAD_EVERY !== DEAD_EVERY - 1) live.push(new JupiterUnit({ port: base + i, index: i }));
  try {
    for (let i = 0; i < live.length; i += 100) await Promise.all(live.slice(i, i + 100).map((u) => u.start()));
  } catch (err) {
    process.stdout.write(`failed ${String(err)}\n`);
    process.exit(3);
  }
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

async function startAgents(units: number): Promise<{ child: ChildProcess; base: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    // below the ephemeral range (32768+ on Linux): a dead unit's port must not be some session's local port,
    // or requests to it land on that session (node-red-node-snmp's net-snmp 1.2.4 then throws and kills the process)
    const base = 20000 + Math.floor(Math.random() * (32000 - 20000 - units));
    const child = spawn(process.execPath, [__filename, '--agents', String(base), String(units)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const ok = await new Promise<boolean>((resolve) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve(true);
        if (out.includes('failed')) resolve(false);
      });
      child.once('exit', () => resolve(false));
    });
    if (ok) return { child, base };
    child.kill();
  }
  throw new Error('could not bind the agents');
}

interface CycleFigures {
  cpuMsPerPoll: number;
  liveCycleMs: number;
  fullCycleMs: number;
  answered: number;
  failed: number;
}

type Cycle = (onDone: (ok: boolean) => void) => void;

interface CycleResult {
  cpuMs: number;
  liveMs: number;
  fullMs: number;
  answered: number;
  failed: number;
}

/** One cycle: every unit polled once; resolves when every unit answered or failed. */
function runCycle(cycle: Cycle, units: number, live: number): Promise<CycleResult> {
  return new Promise((resolve) => {
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    let answered = 0;
    let failed = 0;
    let liveMs = 0;
    cycle((ok) => {
      if (ok) answered++;
      else failed++;
      if (ok && answered === live) liveMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (answered + failed === units) {
        const cpu = process.cpuUsage(cpu0);
        resolve({ cpuMs: (cpu.user + cpu.system) / 1000, liveMs, fullMs: Number(process.hrtime.bigint() - start) / 1e6, answered, failed });
      }
    });
  });
}

/**
 * Runs the clients in turn, `rounds` rounds of `block` cycles each after a warm-up round (sessions, JIT). Medians
 * over the blocks: the agents share the machine's cores with the client, single cycles are noisy.
 */
async function measure(clients: Record<string, Cycle>, rounds: number, block: number, units: number, live: number): Promise<Record<string, CycleFigures>> {
  const names = Object.keys(clients);
  const results: Record<string, CycleResult[]> = {};
  const blockCpuMs: Record<string, number[]> = {};
  for (const name of names) {
    results[name] = [];
    blockCpuMs[name] = [];
  }
  for (let round = -1; round < rounds; round++) {
    // the order turns every round (A B C, C B A, ...): a client always measured right after another would carry
    // that one's position in the garbage collector's cycle
    for (const name of round % 2 === 0 ? names : names.slice().reverse()) {
      let cpuMs = 0;
      for (let i = 0; i < block; i++) {
        const r = await runCycle(clients[name], units, live);
        cpuMs += r.cpuMs;
        if (round >= 0) results[name].push(r);
      }
      if (round >= 0) blockCpuMs[name].push(cpuMs / block);
    }
  }
  const out: Record<string, CycleFigures> = {};
  for (const name of names) {
    const rs = results[name];
    out[name] = {
      cpuMsPerPoll: median(blockCpuMs[name]) / units,
      liveCycleMs: median(rs.map((r) => r.liveMs)),
      fullCycleMs: median(rs.map((r) => r.fullMs)),
      answered: rs.reduce((n, r) => n + r.answered, 0),
      failed: rs.reduce((n, r) => n + r.failed, 0),
    };
  }
  return out;
}

function median(values: number[]): number {
  const v = values.slice().sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * The floor: bare net-snmp, one session per unit created once and reused. It checks each answer's varbinds for an
 * exception value, the protocol work ours does on an answer too.
 */
function bareLoop(targets: SnmpTarget[], oids: string[]): { cycle: Cycle; close(): void } {
  const sessions = targets.map((t) => {
    const s = snmp.createSession(t.host, 'public', { port: t.port, version: snmp.Version2c, timeout: 2000, retries: 1 } as snmp.SessionOptions);
    (s as unknown as { on(e: string, l: () => void): void }).on('error', () => undefined);
    return s;
  });
  let exceptions = 0;
  return {
    cycle: (done) => {
      for (const s of sessions)
        s.get(oids, (err, varbinds) => {
          if (!err && varbinds) for (const vb of varbinds) if (snmp.isVarbindError(vb)) exceptions++;
          done(!err);
        });
    },
    close: () => sessions.forEach((s) => s.close()),
  };
}

/** Ours: every unit polled once through the link's `getThen`, the GET of the Jupiter adapter's poll (readUnit). */
function linkCycle(link: Pick<SnmpLink, 'getThen'>, units: SnmpTarget[], oids: string[]): Cycle {
  return (done) => {
    for (const t of units) link.getThen(t, oids, (err) => done(!err));
  };
}

/** The clients of `--isolated`, each run alone in its own process. */
const ISOLATED_CLIENTS = {
  bare: 'bare net-snmp loop',
  ours: 'ours (SnmpClient), unbounded',
  ours64: 'ours (SnmpClient), 64 in flight',
  layer: "ours' own layer (over stub sessions)",
} as const;
type IsolatedClient = keyof typeof ISOLATED_CLIENTS;

/**
 * A net-snmp session without the network: it answers each GET on the next turn of the loop with fresh varbinds,
 * as net-snmp's decoder would. Under both the link and the bare loop, the difference of their CPU is the link's
 * own layer (queue, bound, guard, checks) without net-snmp's encoding and the sockets.
 */
class StubSession {
  on(): void {}
  close(): void {}
  get(oids: string[], answered: (err: Error | null, varbinds: snmp.Varbind[]) => void): void {
    setImmediate(() => answered(null, oids.map((oid) => ({ oid, type: snmp.ObjectType.Integer, value: 1 }))));
  }
}

/** child mode `layer`: the link and the bare loop over stub sessions; prints the link's added CPU per unit-poll */
async function runLayerClient(units: number, oids: string[], rounds: number, block: number): Promise<void> {
  const netSnmp = require('net-snmp') as { createSession: () => unknown }; // eslint-disable-line @typescript-eslint/no-var-requires
  netSnmp.createSession = () => new StubSession();
  const targets = Array.from({ length: units }, (_, i) => ({ host: '127.0.0.1', port: 1 + i }));
  const { SnmpClient } = require('../lib/snmp/session') as typeof import('../lib/snmp/session'); // eslint-disable-line @typescript-eslint/no-var-requires
  const client = new SnmpClient(targets, { version: 'v2c', timeout: 2000, retries: 1, maxVarbinds: 24, concurrency: units }, { community: 'public' });
  const bare = bareLoop(targets, oids);
  const figures = await measure({ ours: linkCycle(client, targets, oids), bare: bare.cycle }, rounds, block, units, units);
  bare.close();
  await client.close();
  process.stdout.write(`RESULT ${JSON.stringify({ ...figures.ours, cpuMsPerPoll: figures.ours.cpuMsPerPoll - figures.bare.cpuMsPerPoll })}\n`);
}

/** child mode of --isolated: one client, alone, polling the live units; prints its CPU per unit-poll */
async function runIsolatedClient(name: IsolatedClient, base: number, units: number, rounds: number, block: number): Promise<void> {
  const oids = pollPlan(defaultProfile(), { entitySensor: false }).gets;
  if (name === 'layer') return runLayerClient(units, oids, rounds, block);
  const targets: SnmpTarget[] = [];
  for (let i = 0; i < units; i++) if (i % DEAD_EVERY !== DEAD_EVERY - 1) targets.push({ host: '127.0.0.1', port: base + i });
  let cycle: Cycle;
  let close: () => void;
  if (name === 'bare') ({ cycle, close } = bareLoop(targets, oids));
  else {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { SnmpClient } = require('../lib/snmp/session') as typeof import('../lib/snmp/session');
    const client = new SnmpClient(targets, { version: 'v2c', timeout: 2000, retries: 1, maxVarbinds: 24, concurrency: name === 'ours' ? targets.length : 64 }, { community: 'public' });
    cycle = linkCycle(client, targets, oids);
    close = () => void client.close();
  }
  const figures = await measure({ [name]: cycle }, rounds, block, targets.length, targets.length);
  close();
  process.stdout.write(`RESULT ${JSON.stringify(figures[name])}\n`);
}

/** --isolated: every client alone in a fresh process, in turned order, `reps` times; medians of the processes */
async function isolated(units: number, reps: number, rounds: number, block: number): Promise<void> {
  const { child, base } = await startAgents(units);
  const chosen = process.argv.includes('--clients') ? String(process.argv[process.argv.indexOf('--clients') + 1]).split(',') : undefined;
  const names = (Object.keys(ISOLATED_CLIENTS) as IsolatedClient[]).filter((n) => n === 'bare' || !chosen || chosen.includes(n));
  const perProcess: Record<string, number[]> = {};
  for (const name of names) perProcess[name] = [];
  process.stdout.write(`${units} units on 127.0.0.1:${base}-${base + units - 1}, the live ones polled; each client alone in a fresh process, ${reps} processes each, ${rounds} blocks of ${block} cycles per process\n`);
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const name of rep % 2 === 0 ? names : names.slice().reverse()) {
        const out = await new Promise<string>((resolve, reject) => {
          const c = spawn(process.execPath, [__filename, '--client', name, String(base), String(units), String(rounds), String(block)], { stdio: ['ignore', 'pipe', 'inherit'] });
          let text = '';
          c.stdout?.on('data', (d: Buffer) => (text += d.toString()));
          c.once('error', reject);
          c.once('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`${name} client exited with ${code}`))));
        });
        const line = out.split('\n').find((l) => l.startsWith('RESULT '));
        if (!line) throw new Error(`${name} client printed no result`);
        perProcess[name].push((JSON.parse(line.slice(7)) as CycleFigures).cpuMsPerPoll);
      }
    }
  } finally {
    child.stdin?.end();
    child.kill();
  }
  for (const name of names) {
    process.stdout.write(`${ISOLATED_CLIENTS[name].padEnd(38)} cpu/unit-poll median ${median(perProcess[name]).toFixed(4)} ms   per process ${perProcess[name].map((v) => v.toFixed(4)).join(' ')}\n`);
  }
  process.stdout.write('\n');
  const bare = median(perProcess.bare);
  const comparisons: Comparison[] = [];
  if (names.includes('ours')) comparisons.push({ name: 'CPU per unit-poll, each alone in its own process, ours vs bare, both unbounded', measured: median(perProcess.ours), reference: bare, referenceName: 'bare net-snmp loop', unit: 'ms', higherIsBetter: false });
  if (names.includes('ours64')) comparisons.push({ name: 'CPU per unit-poll, each alone in its own process, ours at 64 in flight vs bare', measured: median(perProcess.ours64), reference: bare, referenceName: 'bare net-snmp loop', unit: 'ms', higherIsBetter: false });
  if (names.includes('layer')) comparisons.push({ name: "ours' own layer per unit-poll (over stub sessions) vs a whole bare unit-poll", measured: median(perProcess.layer), reference: bare, referenceName: 'bare net-snmp loop', unit: 'ms', higherIsBetter: false });
  report(comparisons);
}

async function main(): Promise<void> {
  const units = arg('--units', 1000);
  const rounds = arg('--rounds', 10);
  const block = arg('--block', 3);
  const withPeer = !process.argv.includes('--no-peer');
  const paced = !process.argv.includes('--no-paced');
  const oids = pollPlan(defaultProfile(), { entitySensor: false }).gets;
  const { child, base } = await startAgents(units);
  const targets: SnmpTarget[] = Array.from({ length: units }, (_, i) => ({ host: '127.0.0.1', port: base + i }));
  const live = targets.filter((_, i) => i % DEAD_EVERY !== DEAD_EVERY - 1).length;
  process.stdout.write(`${units} units on 127.0.0.1:${base}-${base + units - 1}, ${units - live} dead, ${oids.length} OIDs per unit-poll, ${rounds} rounds of ${block} cycles each\n`);
  process.stdout.write(
    'same work on both sides: one GET PDU of the same OIDs per unit-poll, timeout 2 s, 1 retry, the same dead units; ours is the\n' +
      "link's transport only (link.getThen: no decoding, no plausibility checks), the bare loop checks each varbind for an exception as\n" +
      'ours does; ours bounds requests in flight (64), the bare loop sends all at once\n',
  );

  // ---- the embedded Node-RED runtime with our link and the peer's inject + snmp nodes
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-bench-snmp-'));
  const modules = path.join(userDir, 'node_modules');
  fs.mkdirSync(path.join(modules, '@dcpower'), { recursive: true });
  const root = path.resolve(__dirname, '..', '..');
  fs.symlinkSync(root, path.join(modules, '@dcpower', 'node-red-nodes'), 'dir');
  fs.symlinkSync(path.join(root, 'node_modules', 'node-red-node-snmp'), path.join(modules, 'node-red-node-snmp'), 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'bench', private: true, dependencies: { '@dcpower/node-red-nodes': '*', 'node-red-node-snmp': '*' } }));
  const flows: object[] = [
    { id: 'bench-tab', type: 'tab', label: 'bench' },
    { id: 'bench-link', type: 'snmp-endpoint', targets: `127.0.0.1:${base}-${base + units - 1}`, port: 161, version: 'v2c', timeout: 2000, retries: 1, maxVarbinds: 24, concurrency: 64 },
    { id: 'bench-link-unbounded', type: 'snmp-endpoint', targets: `127.0.0.1:${base}-${base + units - 1}`, port: 161, version: 'v2c', timeout: 2000, retries: 1, maxVarbinds: 24, concurrency: units },
  ];
  if (withPeer) targets.forEach((t, i) => {
    flows.push({ id: `bench-inj-${i}`, type: 'inject', z: 'bench-tab', repeat: '', once: false, props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [[`bench-snmp-${i}`]] });
    flows.push({ id: `bench-snmp-${i}`, type: 'snmp', z: 'bench-tab', host: `127.0.0.1:${t.port}`, community: 'public', version: '2c', oids: oids.join(','), timeout: 2, wires: [[]] });
  });
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const RED = require('node-red') as {
    init(server: http.Server, settings: object): void;
    start(): Promise<void>;
    stop(): Promise<void>;
    nodes: { getNode(id: string): unknown };
    events: { once(e: string, l: () => void): void };
  };
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    // 'fatal' keeps the peer's one log line per failed poll off the terminal (the call itself still runs)
    logging: { console: { level: 'fatal', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false },
  });
  const started = new Promise<void>((r) => RED.events.once('flows:started', () => r()));
  await RED.start();
  await started;

  let results: Record<string, CycleFigures> = {};
  try {
    const floor = bareLoop(targets, oids);
    // ---- ours: the deployed snmp-endpoint link
    const link = RED.nodes.getNode('bench-link') as SnmpEndpoint | null;
    if (!link || link.configError) throw new Error(`link not deployed: ${link?.configError ?? 'missing'}`);
    const unbounded = RED.nodes.getNode('bench-link-unbounded') as SnmpEndpoint | null;
    if (!unbounded || unbounded.configError) throw new Error(`unbounded link not deployed: ${unbounded?.configError ?? 'missing'}`);
    results = await measure(
      { bare: floor.cycle, ours: linkCycle(link, link.targets(), oids), oursUnbounded: linkCycle(unbounded, unbounded.targets(), oids) },
      rounds,
      block,
      units,
      live,
    );
    floor.close();

    // ---- node-red-node-snmp 0.0.24: inject -> snmp per unit; count its sends and errors
    if (withPeer) {
      let onPeer: ((ok: boolean) => void) | undefined;
      const injects = targets.map((_, i) => {
        const n = RED.nodes.getNode(`bench-snmp-${i}`) as { send(m: unknown): void; error(e: unknown, m?: unknown): void } | null;
        if (!n) throw new Error('peer snmp node not deployed (is node-red-node-snmp installed?)');
        const send = n.send.bind(n);
        const error = n.error.bind(n);
        n.send = (m) => {
          send(m);
          onPeer?.(true);
        };
        n.error = (e, m) => {
          error(e, m); // as in production: logged and routed to Catch on every failed poll
          onPeer?.(false);
        };
        return RED.nodes.getNode(`bench-inj-${i}`) as { receive(m: object): void };
      });
      const peer = await measure(
        {
          peer: (done) => {
            onPeer = done;
            for (const inj of injects) inj.receive({});
          },
        },
        Math.max(2, rounds - 2),
        block,
        units,
        live,
      );
      results.peer = peer.peer;
      onPeer = undefined;
    }

    // ---- ours, paced as in production: every 10 s for 30 s, CPU over the whole span (idle included)
    const period = 10_000;
    let coreShare = NaN;
    let maxFull = NaN;
    if (paced) {
      const spans = 3;
      const cpu0 = process.cpuUsage();
      const t0 = Date.now();
      maxFull = 0;
      for (let i = 0; i < spans; i++) {
        const start = Date.now();
        await Promise.all(link.targets().map((t) => link.get(t, oids).then(() => undefined, () => undefined)));
        maxFull = Math.max(maxFull, Date.now() - start);
        const wait = start + period - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const cpu = process.cpuUsage(cpu0);
      coreShare = (cpu.user + cpu.system) / 1000 / (Date.now() - t0);
    }

    const line = (name: string, r: CycleFigures): string =>
      `${name.padEnd(28)} cpu/unit-poll ${r.cpuMsPerPoll.toFixed(3)} ms   live cycle ${Math.round(r.liveCycleMs)} ms   full cycle ${Math.round(r.fullCycleMs)} ms   answered ${r.answered} failed ${r.failed}\n`;
    process.stdout.write(line('bare net-snmp (floor)', results.bare));
    process.stdout.write(line('ours, 64 in flight', results.ours));
    process.stdout.write(line('ours, unbounded as the bare', results.oursUnbounded));
    if (results.peer) process.stdout.write(line('node-red-node-snmp 0.0.24', results.peer));
    process.stdout.write(
      `CPU per unit-poll: ours unbounded ${results.oursUnbounded.cpuMsPerPoll.toFixed(3)} ms (64 in flight ${results.ours.cpuMsPerPoll.toFixed(3)} ms), bare net-snmp ${results.bare.cpuMsPerPoll.toFixed(3)} ms, ratio ${(results.oursUnbounded.cpuMsPerPoll / results.bare.cpuMsPerPoll).toFixed(2)} (${(results.ours.cpuMsPerPoll / results.bare.cpuMsPerPoll).toFixed(2)})\n`,
    );
    if (paced) process.stdout.write(`ours paced every 10 s: ${(coreShare * 100).toFixed(2)} % of one core, slowest full cycle ${maxFull} ms\n`);
    process.stdout.write('\n');

    const comparisons: Comparison[] = [
      {
        name: 'CPU per unit-poll, ours vs bare net-snmp, both unbounded',
        measured: results.oursUnbounded.cpuMsPerPoll,
        reference: results.bare.cpuMsPerPoll,
        referenceName: 'bare net-snmp loop',
        unit: 'ms',
        higherIsBetter: false,
        target: { ratio: 1.0, comparison: '<=' },
      },
      {
        name: 'CPU per unit-poll, ours at 64 in flight vs bare net-snmp unbounded',
        measured: results.ours.cpuMsPerPoll,
        reference: results.bare.cpuMsPerPoll,
        referenceName: 'bare net-snmp loop',
        unit: 'ms',
        higherIsBetter: false,
      },
      {
        name: 'live cycle with 5 % dead, ours vs bare loop',
        measured: results.ours.liveCycleMs,
        reference: results.bare.liveCycleMs,
        referenceName: 'bare net-snmp loop (no bound)',
        unit: 'ms',
        higherIsBetter: false,
      },
    ];
    if (results.peer) {
      comparisons.push(
        {
          name: 'CPU per unit-poll, ours vs node-red-node-snmp',
          measured: results.ours.cpuMsPerPoll,
          reference: results.peer.cpuMsPerPoll,
          referenceName: 'node-red-node-snmp 0.0.24',
          unit: 'ms',
          higherIsBetter: false,
          target: { ratio: 0.5, comparison: '<=' },
        },
        {
          name: 'live cycle, node-red-node-snmp vs ours',
          measured: results.peer.liveCycleMs,
          reference: results.ours.liveCycleMs,
          referenceName: 'ours',
          unit: 'ms',
          higherIsBetter: false,
        },
      );
    }
    if (paced) {
      comparisons.push(
        {
          name: '1,000 units every 10 s, share of one core',
          measured: coreShare * 100,
          reference: 5,
          referenceName: 'target',
          unit: '%',
          higherIsBetter: false,
          target: { ratio: 1, comparison: '<=' },
        },
        {
          name: 'full cycle incl. dead timeouts vs 10 s period',
          measured: maxFull,
          reference: period,
          referenceName: 'poll period',
          unit: 'ms',
          higherIsBetter: false,
          target: { ratio: 1, comparison: '<=' },
        },
      );
    }
    report(comparisons);
  } finally {
    await RED.stop().catch(() => undefined);
    child.stdin?.end();
    child.kill();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

/**
 * child mode of --paired: in one process, single cycles of the bare loop, the link (unbounded) and the link's own
 * net-snmp sessions driven directly (`sessions`: connected to their units, guarded as the link guards them, no
 * queue, bound, checks or conversion), back to back in turned order over the live units. Prints each triple's CPU.
 */
async function runPairedClient(base: number, units: number, pairs: number): Promise<void> {
  const oids = pollPlan(defaultProfile(), { entitySensor: false }).gets;
  const targets: SnmpTarget[] = [];
  for (let i = 0; i < units; i++) if (i % DEAD_EVERY !== DEAD_EVERY - 1) targets.push({ host: '127.0.0.1', port: base + i });
  const { SnmpClient } = require('../lib/snmp/session') as typeof import('../lib/snmp/session'); // eslint-disable-line @typescript-eslint/no-var-requires
  const client = new SnmpClient(targets, { version: 'v2c', timeout: 2000, retries: 1, maxVarbinds: 24, concurrency: targets.length }, { community: 'public' });
  // the link's sessions as it opens them (private to the link: reached here for this measurement only)
  type Get = (oids: string[], cb: (err: Error | null, varbinds?: snmp.Varbind[]) => void) => void;
  const internals = client as unknown as { state(t: SnmpTarget): unknown; openSession(s: unknown): { get: Get } };
  const sessions = targets.map((t) => internals.openSession(internals.state(t)));
  const bare = bareLoop(targets, oids);
  const cycles: Record<string, Cycle> = {
    bare: bare.cycle,
    ours: linkCycle(client, targets, oids),
    sessions: (done) => {
      for (const session of sessions)
        session.get(oids, (err, varbinds) => {
          if (!err && varbinds) for (const vb of varbinds) snmp.isVarbindError(vb);
          done(!err);
        });
    },
  };
  const names = Object.keys(cycles);
  // every order of the three in turn: each client runs first, between and last equally often, so none always
  // inherits another's garbage-collection debt
  const orders = permutations(names);
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = -orders.length; i < pairs; i++) {
    for (const name of orders[(i + orders.length) % orders.length]) {
      const r = await runCycle(cycles[name], targets.length, targets.length);
      if (i >= 0) cpu[name].push(r.cpuMs / targets.length);
    }
  }
  bare.close();
  await client.close();
  process.stdout.write(`RESULT ${JSON.stringify(cpu)}\n`);
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/**
 * Median of the ratios of all processes and its 95 % interval: a two-level bootstrap (processes drawn first, then
 * ratios within each), because ratios from one process are not independent of each other. Fixed seed, so a run's
 * figures can be recomputed.
 */
function medianInterval(perProcess: number[][]): { median: number; low: number; high: number } {
  let seed = 12345;
  const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(from: T[]): T => from[Math.floor(random() * from.length)];
  const medians: number[] = [];
  for (let k = 0; k < 2000; k++) {
    const sample: number[] = [];
    for (let p = 0; p < perProcess.length; p++) {
      const ratios = pick(perProcess);
      for (let i = 0; i < ratios.length; i++) sample.push(pick(ratios));
    }
    medians.push(median(sample));
  }
  medians.sort((a, b) => a - b);
  return { median: median(perProcess.flat()), low: medians[50], high: medians[1949] };
}

/**
 * --paired: the finest comparison this machine allows. The clients share one process and alternate cycle by cycle
 * (about 0.1 s each, live units), so the host's speed, which drifts by up to ±20 % between processes and over
 * seconds here, weighs on both sides of each pair alike; the figure is the median of the per-cycle ratios, with
 * a bootstrap 95 % interval, over `--reps` processes.
 */
async function paired(units: number, reps: number, pairs: number): Promise<void> {
  const { child, base } = await startAgents(units);
  const ratios: Record<string, number[][]> = { ours: [], sessions: [] };
  process.stdout.write(`${units} units on 127.0.0.1:${base}-${base + units - 1}, the live ones polled; ${reps} processes of ${pairs} turns, one cycle of each client per turn (the link and its sessions driven directly share the link's sockets)\n`);
  try {
    for (let rep = 0; rep < reps; rep++) {
      const out = await new Promise<string>((resolve, reject) => {
        const c = spawn(process.execPath, [__filename, '--paired-client', String(base), String(units), String(pairs)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        c.stdout?.on('data', (d: Buffer) => (text += d.toString()));
        c.once('error', reject);
        c.once('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`paired client exited with ${code}`))));
      });
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error('paired client printed no result');
      const cpu = JSON.parse(line.slice(7)) as Record<string, number[]>;
      const own: string[] = [];
      for (const name of Object.keys(ratios)) {
        const r = cpu[name].map((v, i) => v / cpu.bare[i]);
        ratios[name].push(r);
        own.push(`${name} ${median(r).toFixed(3)}`);
      }
      process.stdout.write(`process ${rep + 1}: bare ${median(cpu.bare).toFixed(4)} ms per unit-poll; median ratios to bare: ${own.join(', ')}\n`);
    }
  } finally {
    child.stdin?.end();
    child.kill();
  }
  const comparisons: Comparison[] = [];
  for (const [name, label] of [
    ['ours', 'CPU per unit-poll, paired cycles, ours (unbounded) vs bare net-snmp'],
    ['sessions', "CPU per unit-poll, paired cycles, the link's own sessions driven directly vs bare net-snmp"],
  ] as const) {
    const { median: m, low, high } = medianInterval(ratios[name]);
    process.stdout.write(`${label}: median of ${ratios[name].flat().length} ratios ${m.toFixed(3)}, 95 % interval ${low.toFixed(3)}-${high.toFixed(3)}\n`);
    comparisons.push({ name: label, measured: m, reference: 1, referenceName: 'bare net-snmp loop (ratio 1)', unit: 'x', higherIsBetter: false, ...(name === 'ours' ? { target: { ratio: 1.0, comparison: '<=' as const } } : {}) });
  }
  process.stdout.write('\n');
  report(comparisons);
}

function exitWith(err: unknown): void {
  process.stderr.write(`snmp-scale: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}

if (process.argv[2] === '--agents') {
  void runAgents(Number(process.argv[3]), Number(process.argv[4]));
} else if (process.argv[2] === '--client') {
  const [name, base, units, rounds, block] = process.argv.slice(3);
  if (!(name in ISOLATED_CLIENTS)) exitWith(new Error(`unknown client ${name}`));
  runIsolatedClient(name as IsolatedClient, Number(base), Number(units), Number(rounds), Number(block)).then(() => process.exit(0), exitWith);
} else if (process.argv[2] === '--paired-client') {
  runPairedClient(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])).then(() => process.exit(0), exitWith);
} else if (process.argv.includes('--paired')) {
  paired(arg('--units', 1000), arg('--reps', 5), arg('--pairs', 60)).then(() => process.exit(0), exitWith);
} else if (process.argv.includes('--isolated')) {
  isolated(arg('--units', 1000), arg('--reps', 5), arg('--rounds', 6), arg('--block', 5)).then(() => process.exit(0), exitWith);
} else {
  main().then(() => process.exit(0), exitWith);
}
