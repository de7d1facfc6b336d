/**
 * The JK simulator as a real server: TCP (an RS485-to-TCP gateway) answering real requests of every protocol,
 * fault injection, the DIP-0 bus master for listen mode, the `dcpower simulate jk` command, and a socat pty
 * pair with pacing checked roughly against wire time (no tight timing: the machine may be loaded).
 */
import { expect } from 'chai';
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { buildSwitchWrite, buildTrigger, decodePoll, JK_PROTOCOLS, JkDecoded, JkProtocolId } from '../../nodes/jk-bms/protocol';
import { Framer } from '../../lib/wire/framer';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { freeTcpPort, waitFor } from '../helpers/ports';

interface Bus {
  send(bytes: Buffer): void;
  /** frames received since the last call, cut by the protocol's framer */
  frames: Array<{ protocol: string; bytes: Buffer; at: number }>;
  chunks: number;
  skipped: number;
  close(): void;
}

function tcpBus(port: number, protocol: JkProtocolId): Promise<Bus> {
  return new Promise((resolve, reject) => {
    const framer = new Framer(JK_PROTOCOLS[protocol].framing.shapes);
    const socket = net.connect(port, '127.0.0.1');
    const bus: Bus = {
      send: (b) => socket.write(b),
      frames: [],
      chunks: 0,
      skipped: 0,
      close: () => socket.destroy(),
    };
    socket.on('data', (chunk) => {
      bus.chunks++;
      const before = framer.dropped;
      const frames = framer.push(chunk);
      bus.skipped += framer.dropped - before;
      for (const f of frames) bus.frames.push({ protocol: f.protocol, bytes: f.bytes, at: performance.now() });
    });
    socket.once('connect', () => resolve(bus));
    socket.once('error', reject);
  });
}

function decode(protocol: JkProtocolId, frame: Buffer, request?: Buffer): JkDecoded {
  const r = JK_PROTOCOLS[protocol].decode(frame, { request });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('JK simulator over TCP', function () {
  this.timeout(60_000);
  let sim: JkSimulator;
  let port: number;

  beforeEach(async () => {
    sim = new JkSimulator({ packs: [1, 2, 7], port: 0, baud: 115200, tickMs: 200, lateMs: 700 });
    port = (await sim.start()).port ?? 0;
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('answers a JK-PB trigger with the 300-byte frame and the ack of that address', async () => {
    const bus = await tcpBus(port, 'jk02');
    bus.send(buildTrigger(2, 'status'));
    await waitFor(() => bus.frames.length >= 2, 5000, 'frame and ack');
    const [frame, ack] = bus.frames;
    expect(frame.bytes.length).to.equal(300);
    const d = decode('jk02', frame.bytes);
    expect(d.reading?.cellVoltages).to.have.lengthOf(16);
    expect(decode('jk02', ack.bytes)).to.include({ frameType: 'ack', address: 2 });
    bus.close();
  });

  it('answers a JK Modbus poll, NW read-all and a DZ11 status request', async () => {
    const mb = await tcpBus(port, 'jk-modbus');
    const requests = JK_PROTOCOLS['jk-modbus'].buildRequests(7, 'status');
    const exchanges: Array<{ request: Buffer; reply: Buffer }> = [];
    for (const request of requests) {
      const before = mb.frames.length;
      mb.send(request);
      await waitFor(() => mb.frames.length > before, 5000, 'modbus reply');
      exchanges.push({ request, reply: mb.frames[before].bytes });
    }
    const poll = decodePoll('jk-modbus', exchanges);
    expect(poll.ok && poll.value.reading?.cellVoltages).to.have.lengthOf(16);
    expect(poll.ok && poll.value.address).to.equal(7);
    mb.send(buildSwitchWrite(7, 'discharge', false));
    await waitFor(() => mb.frames.length > requests.length, 5000, 'write ack');
    expect(sim.getPack(7)?.settings.dischargeSwitch).to.equal(0);
    mb.close();

    const nw = await tcpBus(port, 'jk-nw');
    nw.send(JK_PROTOCOLS['jk-nw'].buildRequests(0, 'status')[0]);
    await waitFor(() => nw.frames.length > 0, 5000, 'NW reply');
    expect(decode('jk-nw', nw.frames[0].bytes).reading?.cellVoltages).to.deep.equal(sim.getPack(1)?.cells);
    nw.close();

    const bal = await tcpBus(port, 'jk-balancer');
    bal.send(JK_PROTOCOLS['jk-balancer'].buildRequests(2, 'status')[0]);
    await waitFor(() => bal.frames.length > 0, 5000, 'balancer reply');
    expect(decode('jk-balancer', bal.frames[0].bytes).address).to.equal(2);
    bal.close();
  });

  it('reassembles a request split over several TCP reads', async () => {
    const bus = await tcpBus(port, 'jk02');
    const trigger = buildTrigger(1, 'settings');
    bus.send(trigger.subarray(0, 3));
    await sleep(20);
    bus.send(trigger.subarray(3, 9));
    await sleep(20);
    bus.send(trigger.subarray(9));
    await waitFor(() => bus.frames.length >= 2, 5000, 'reply to the split request');
    expect(decode('jk02', bus.frames[0].bytes)).to.include({ frameType: 'settings', address: 1 });
    bus.close();
  });

  it('stays silent for an absent address and for a corrupted request', async () => {
    const bus = await tcpBus(port, 'jk02');
    bus.send(buildTrigger(9, 'status'));
    const bad = buildTrigger(1, 'status');
    bad[10] ^= 0xff;
    bus.send(bad);
    await sleep(400);
    expect(bus.frames).to.have.lengthOf(0);
    bus.send(buildTrigger(1, 'status'));
    await waitFor(() => bus.frames.length >= 2, 5000, 'the good request still answered');
    bus.close();
  });

  it('injects faults per address: no-reply, bad-checksum, truncated, echo, merged, late, vanish', async () => {
    const bus = await tcpBus(port, 'jk02');
    const ask = async (address: number, waitMs = 400) => {
      bus.frames = [];
      bus.skipped = 0;
      bus.chunks = 0;
      bus.send(buildTrigger(address, 'status'));
      await sleep(waitMs);
      return bus.frames.map((f) => f.bytes.length);
    };
    sim.injectFault({ name: 'no-reply', address: 2 });
    expect(await ask(2)).to.deep.equal([]);
    expect(await ask(1)).to.deep.equal([300, 8]);
    sim.clearFaults();

    sim.injectFault({ name: 'bad-checksum', address: 1 });
    expect(await ask(1)).to.deep.equal([8]); // the frame fails its sum; only the ack survives
    expect(bus.skipped).to.equal(300);
    sim.clearFaults();

    sim.injectFault({ name: 'truncated' });
    expect(await ask(1)).to.deep.equal([]);
    sim.clearFaults();

    sim.injectFault({ name: 'echo', address: 1 });
    expect(await ask(1)).to.deep.equal([11, 300, 8]); // the echoed trigger comes first
    sim.clearFaults();

    sim.injectFault({ name: 'merged', address: 1 });
    expect(await ask(1)).to.deep.equal([300, 8]);
    expect(bus.chunks).to.equal(1);
    // the leading pad is dropped at once; the trailing one waits for more bytes until the inter-byte timeout
    expect(bus.skipped).to.equal(1);
    sim.clearFaults();

    sim.injectFault({ name: 'late', address: 7 });
    expect(await ask(7, 300)).to.deep.equal([]);
    await waitFor(() => bus.frames.length >= 2, 5000, 'the late reply');
    sim.clearFaults();

    sim.injectFault({ name: 'vanish', address: 2 });
    expect(await ask(2)).to.deep.equal([]);
    sim.clearFaults();
    expect(await ask(2)).to.deep.equal([]);
    expect(sim.getPack(2)).to.equal(undefined);
    bus.close();
  });

  it('paces replies at the configured baud', async () => {
    await sim.stop();
    sim = new JkSimulator({ packs: [1], port: 0, baud: 9600, turnaroundMs: 5, tickMs: 0 });
    port = (await sim.start()).port ?? 0;
    const bus = await tcpBus(port, 'jk02');
    const t0 = performance.now();
    bus.send(buildTrigger(1, 'status'));
    await waitFor(() => bus.frames.length >= 2, 10_000, 'paced reply');
    const elapsed = bus.frames[1].at - t0;
    const wire = (308 * 10 * 1000) / 9600; // 320.8 ms
    expect(elapsed).to.be.at.least(wire * 0.9);
    expect(bus.chunks).to.be.greaterThan(10); // dripped, not one burst
    bus.close();
  });

  it('a pack at address 0 is the bus master: it polls the others and broadcasts its own frames', async () => {
    await sim.stop();
    sim = new JkSimulator({ packs: [0, 1, 2], port: 0, masterCycleMs: 400, tickMs: 0 });
    port = (await sim.start()).port ?? 0;
    const bus = await tcpBus(port, 'jk02');
    await waitFor(() => bus.frames.filter((f) => f.bytes.length === 300).length >= 6, 10_000, 'one master cycle');
    // attribute each 300-byte frame from the ack that follows it, as listen mode does
    const seen = new Map<number, Set<string>>();
    let triggers = 0;
    for (let i = 0; i < bus.frames.length; i++) {
      const d = decode('jk02', bus.frames[i].bytes);
      if (d.frameType === 'trigger') triggers++;
      if (d.frameType !== 'status' && d.frameType !== 'settings') continue;
      const ack = bus.frames[i + 1] && decode('jk02', bus.frames[i + 1].bytes);
      if (!ack || ack.frameType !== 'ack' || ack.address === undefined) continue;
      const set = seen.get(ack.address) ?? new Set<string>();
      set.add(d.frameType);
      seen.set(ack.address, set);
    }
    expect(triggers).to.be.at.least(4);
    for (const a of [0, 1, 2]) expect([...(seen.get(a) ?? [])].sort(), `address ${a}`).to.deep.equal(['settings', 'status']);
    bus.close();
  });
});

describe('dcpower simulate jk (command)', function () {
  this.timeout(30_000);
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
  });

  it('listens on the given port and answers', async () => {
    const port = await freeTcpPort();
    child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'dcpower.js'), 'simulate', 'jk', '--port', String(port), '--packs', '1-2,5', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(() => out.includes('"packs"'), 15_000, 'the simulator to start');
    expect(JSON.parse(out)).to.deep.include({ port, packs: [1, 2, 5] });
    const bus = await tcpBus(port, 'jk02');
    bus.send(buildTrigger(5, 'device'));
    await waitFor(() => bus.frames.length >= 2, 5000, 'device frame');
    expect(decode('jk02', bus.frames[0].bytes).device?.name).to.equal('SIM5');
    bus.close();
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });

  it('prints its own options with --help', async () => {
    const res = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'dcpower.js'), 'simulate', 'jk', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    res.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => res.once('exit', (c) => r(c)));
    expect(code).to.equal(0);
    expect(out).to.include('--fault <name[@addr]>');
  });

  it('refuses bad options with a clear error', async () => {
    const res = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'dcpower.js'), 'simulate', 'jk', '--fault', 'explode'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    res.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((r) => res.once('exit', (c) => r(c)));
    expect(code).to.not.equal(0);
    expect(err).to.match(/fault/);
  });
});

describe('JK simulator on a socat pseudo-terminal pair', function () {
  this.timeout(60_000);
  let socat: ChildProcess | undefined;
  let sim: JkSimulator | undefined;
  let port: { close(cb: () => void): void; write(b: Buffer): void; on(e: string, f: (c: Buffer) => void): void } | undefined;

  afterEach(async () => {
    if (port) await new Promise<void>((r) => port?.close(() => r()));
    port = undefined;
    if (sim) await sim.stop();
    sim = undefined;
    if (socat && socat.exitCode === null) {
      const exited = new Promise((r) => socat?.once('exit', r));
      socat.kill('SIGTERM');
      await exited;
    }
  });

  it('answers over the pty and paces its reply at the baud (roughly)', async () => {
    socat = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    socat.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    const ptys = await waitFor(() => {
      const m = [...log.matchAll(/PTY is (\S+)/g)].map((x) => x[1]);
      return m.length >= 2 ? m : undefined;
    }, 10_000, 'socat ptys');
    const baud = 19200;
    sim = new JkSimulator({ packs: [3], serial: ptys[0], baud, tickMs: 0 });
    await sim.start();
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { SerialPort } = require('serialport') as { SerialPort: new (o: { path: string; baudRate: number }) => NonNullable<typeof port> & { once(e: string, f: (err?: Error) => void): void } };
    const serial = new SerialPort({ path: ptys[1], baudRate: baud });
    port = serial;
    await new Promise<void>((resolve, reject) => {
      serial.once('open', () => resolve());
      serial.once('error', (err) => reject(err));
    });
    const framer = new Framer(JK_PROTOCOLS.jk02.framing.shapes);
    const frames: Array<{ bytes: Buffer; at: number }> = [];
    serial.on('data', (chunk: Buffer) => {
      for (const f of framer.push(chunk)) frames.push({ bytes: f.bytes, at: performance.now() });
    });
    const t0 = performance.now();
    serial.write(buildTrigger(3, 'status'));
    await waitFor(() => frames.length >= 2, 10_000, 'reply over the pty');
    const elapsed = frames[1].at - t0;
    const wire = (308 * 10 * 1000) / baud; // 160 ms at 19200 8N1
    expect(decode('jk02', frames[0].bytes).reading?.cellVoltages).to.have.lengthOf(16);
    expect(decode('jk02', frames[1].bytes)).to.include({ frameType: 'ack', address: 3 });
    expect(elapsed, `reply took ${elapsed.toFixed(0)} ms, wire time ${wire.toFixed(0)} ms`).to.be.at.least(wire * 0.9);
  });
});
