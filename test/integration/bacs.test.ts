/**
 * The bacs node against the BACS simulator over real TCP: values cross-checked with two Modbus clients nobody
 * here wrote (Debian mbpoll and python3-pymodbus), a controller restart, and every injected fault.
 */
import { expect } from 'chai';
import { execFile } from 'child_process';
import { promisify } from 'util';
import { BacsSimulator, RequestFault } from '../../nodes/bacs/simulator';
import { DEFAULT_MODULE_TEMPLATE } from '../../nodes/bacs/registers';
import { helper, startServer, stopServer, TestNode } from '../node/red-helper';

/* eslint-disable @typescript-eslint/no-var-requires */
const endpointNode = require('../../nodes/links/modbus-endpoint');
const bacsNode = require('../../nodes/bacs/bacs');
const run = promisify(execFile);

interface Msg {
  topic: string;
  payload: { [key: string]: unknown };
  quality: string;
  alarms: Array<{ id: string }>;
  error?: { message: string };
}
type ModuleOut = { id: number; voltage?: number; temperature?: number; resistance?: number; equalizing?: number; stateCode?: number; available: boolean; state?: string };
type StringOut = { index: number; current?: number; voltage?: number; averageVoltage?: number; rippleCurrent?: number };

/** mbpoll: FC 3 (-t 4) or FC 4 (-t 3), PDU addressing (-0), one poll (-1); returns address -> unsigned value */
async function mbpoll(port: number, address: number, count: number, fc: 3 | 4 = 3): Promise<Map<number, number>> {
  const { stdout } = await run('mbpoll', ['-m', 'tcp', '-a', '1', '-t', fc === 3 ? '4' : '3', '-0', '-1', '-o', '3', '-r', String(address), '-c', String(count), '-p', String(port), '127.0.0.1'], { timeout: 20000 });
  const values = new Map<number, number>();
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)) values.set(Number(m[1]), Number(m[2]) & 0xffff);
  return values;
}

/** python3-pymodbus (Debian's /usr/bin/python3, not the first python3 on PATH) */
async function pymodbus(port: number, reads: Array<[number, number]>, fc: 3 | 4 = 3): Promise<Map<number, number>> {
  const script = [
    'import json, sys',
    'from pymodbus.client import ModbusTcpClient',
    `c = ModbusTcpClient("127.0.0.1", port=${port}, timeout=3)`,
    'assert c.connect()',
    'out = {}',
    `for address, count in json.loads(sys.argv[1]):`,
    `    r = c.${fc === 3 ? 'read_holding_registers' : 'read_input_registers'}(address, count, slave=1)`,
    '    assert not r.isError(), str(r)',
    '    for i, v in enumerate(r.registers): out[address + i] = v',
    'c.close()',
    'print(json.dumps(out))',
  ].join('\n');
  const { stdout } = await run('/usr/bin/python3', ['-c', script, JSON.stringify(reads)], { timeout: 20000 });
  const parsed = JSON.parse(stdout) as { [address: string]: number };
  return new Map(Object.entries(parsed).map(([a, v]) => [Number(a), v]));
}

const s16 = (raw: number): number => (raw >= 0x8000 ? raw - 0x10000 : raw);

function flow(port: number, extra: object = {}): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'bacs integration' },
    { id: 'ep', type: 'modbus-endpoint', host: '127.0.0.1', port: String(port), unitId: '1', timeout: '800', functionCode: '3', addressing: '0', reconnectMs: '100', reconnectMaxMs: '400', maxGap: '-1' },
    { id: 'b1', type: 'bacs', z: 'tab', endpoint: 'ep', deviceName: 'sim', topicPrefix: 'bacs', interval: '60', staleTime: '0', output: 'envelope', countSource: 'register', moduleSource: 'modbus', moduleTemplate: '', wires: [['out']], ...extra },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
}

describe('bacs over real TCP: independent clients, restart, faults', function () {
  this.timeout(60000);
  let sim: BacsSimulator;
  let port: number;
  let messages: Msg[];

  before(startServer);
  after(stopServer);
  beforeEach(async () => {
    sim = new BacsSimulator({ strings: 2, modules: 40, port: 0, tickMs: 0, seed: 3 });
    sim.setModule(5, { temperature: -2.5, equalizing: 72 });
    port = await sim.start();
    messages = [];
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  async function load(extra: object = {}): Promise<TestNode> {
    await helper.load([endpointNode, bacsNode], flow(port, extra));
    const out = helper.getNode('out') as TestNode;
    out.on('input', (m: Msg) => messages.push(m));
    return helper.getNode('b1') as TestNode;
  }

  async function nextMessage(b1: TestNode | undefined, match: (m: Msg) => boolean, ms = 15000): Promise<Msg> {
    const from = messages.length;
    b1?.receive({});
    const until = Date.now() + ms;
    for (;;) {
      const found = messages.slice(from).find(match);
      if (found) return found;
      if (Date.now() > until) throw new Error(`no matching message; got ${JSON.stringify(messages.slice(from).map((m) => [m.quality, m.error]))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function checkAgainst(msg: Msg, regs: Map<number, number>): void {
    const t = DEFAULT_MODULE_TEMPLATE;
    expect(msg.payload.statusWord).to.equal(regs.get(1000));
    expect(msg.payload.batteryStatusWord).to.equal(regs.get(1001));
    expect(msg.payload.alarmFlagsWord).to.equal(regs.get(1002));
    expect(msg.payload.stringCount).to.equal(regs.get(1003));
    expect(msg.payload.moduleCount).to.equal(regs.get(1004));
    const strings = msg.payload.strings as StringOut[];
    for (const s of strings) {
      const base = 1010 + 5 * (s.index - 1);
      expect([s.current, s.voltage, s.averageVoltage, s.rippleCurrent]).to.deep.equal([0, 1, 2, 3].map((o) => s16(regs.get(base + o) as number)));
    }
    const modules = msg.payload.modules as ModuleOut[];
    expect(modules).to.have.length(40);
    for (const m of modules) {
      const base = t.base + t.stride * (m.id - 1);
      expect(m.voltage, `module ${m.id} voltage`).to.equal(Number(((regs.get(base) as number) * 0.01).toFixed(3)));
      expect(m.temperature, `module ${m.id} temperature`).to.equal(Number((s16(regs.get(base + 1) as number) * 0.1).toFixed(2)));
      expect(m.resistance, `module ${m.id} resistance`).to.equal(Number(((regs.get(base + 2) as number) * 0.01).toFixed(3)));
      expect(m.equalizing, `module ${m.id} equalizing`).to.equal(regs.get(base + 3));
      expect(m.stateCode, `module ${m.id} state`).to.equal(regs.get(base + 4));
    }
  }

  it('reports the same values mbpoll reads (FC 3 and FC 4)', async () => {
    const b1 = await load();
    const msg = await nextMessage(undefined, (m) => m.quality === 'good');
    const regs = new Map([...(await mbpoll(port, 1000, 20)), ...(await mbpoll(port, 2000, 100)), ...(await mbpoll(port, 2100, 100, 4))]);
    expect(regs.size).to.equal(220);
    checkAgainst(msg, regs);
    expect((msg.payload.modules as ModuleOut[])[4].temperature).to.equal(-2.5);
    expect(b1).to.not.equal(undefined);
  });

  it('reports the same values a python3-pymodbus client reads', async () => {
    await load({});
    const msg = await nextMessage(undefined, (m) => m.quality === 'good');
    const regs = await pymodbus(port, [
      [1000, 20],
      [2000, 125],
      [2125, 75],
    ]);
    expect(regs.size).to.equal(220);
    checkAgainst(msg, regs);
  });

  it('reads with FC 4 the same values pymodbus reads with FC 4', async () => {
    await helper.load([endpointNode, bacsNode], [
      { id: 'tab', type: 'tab', label: 'x' },
      { id: 'ep', type: 'modbus-endpoint', host: '127.0.0.1', port: String(port), unitId: '1', timeout: '800', functionCode: '4', addressing: '0' },
      { id: 'b1', type: 'bacs', z: 'tab', endpoint: 'ep', interval: '60', staleTime: '0', moduleSource: 'modbus', moduleTemplate: '', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ]);
    const out = helper.getNode('out') as TestNode;
    const msg = await new Promise<Msg>((resolve) => out.once('input', resolve));
    const regs = await pymodbus(port, [[1000, 20], [2000, 125], [2125, 75]], 4);
    checkAgainst(msg, regs);
  });

  it('with the wrong addressing (1-based against a 0-based map) reports comm_error, not garbage', async () => {
    const b1 = await load();
    expect(b1).to.not.equal(undefined);
    await helper.unload();
    messages = [];
    await helper.load([endpointNode, bacsNode], flow(port).map((n) => ((n as { id: string }).id === 'ep' ? { ...n, addressing: '1' } : n)));
    const out = helper.getNode('out') as TestNode;
    out.on('input', (m: Msg) => messages.push(m));
    // register 1000 becomes protocol address 999, which the controller does not have: exception 2
    const msg = await nextMessage(undefined, (m) => m.quality === 'comm_error');
    expect(msg.error?.message).to.match(/exception 2/);
  });

  it('survives a controller restart: comm_error while down, good again when it is back', async () => {
    const b1 = await load();
    await nextMessage(undefined, (m) => m.quality === 'good');
    await sim.stop();
    const down = await nextMessage(b1, (m) => m.quality === 'comm_error');
    expect(down.error?.message).to.match(/connect|closed|connection/);
    const restarted = new BacsSimulator({ strings: 2, modules: 40, port, tickMs: 0, seed: 3 });
    await restarted.start();
    sim = restarted;
    let good: Msg | undefined;
    for (let i = 0; i < 40 && !good; i++) {
      good = await nextMessage(b1, () => true, 3000).then(
        (m) => (m.quality === 'good' ? m : undefined),
        () => undefined,
      );
      if (!good) await new Promise((r) => setTimeout(r, 200));
    }
    expect(good?.payload.modules as unknown[]).to.have.length(40);
  });

  const faults: Array<{ name: string; fault: RequestFault; error: RegExp }> = [
    { name: 'a dropped connection', fault: { kind: 'drop' }, error: /closed the connection/ },
    { name: 'no answer', fault: { kind: 'ignore' }, error: /no reply/ },
    { name: 'a slow answer', fault: { kind: 'slow', ms: 1500 }, error: /no reply/ },
    { name: 'exception 2 (illegal data address)', fault: { kind: 'exception', code: 2 }, error: /exception 2/ },
    { name: 'exception 4 (server device failure)', fault: { kind: 'exception', code: 4 }, error: /exception 4/ },
    { name: 'exception 6 (server device busy)', fault: { kind: 'exception', code: 6 }, error: /exception 6/ },
    { name: 'a reply of the wrong length', fault: { kind: 'wrong-length' }, error: /bytes for/ },
  ];
  for (const { name, fault, error } of faults) {
    it(`reports ${name} as comm_error with a clear error, and the next poll recovers`, async () => {
      const b1 = await load();
      await nextMessage(undefined, (m) => m.quality === 'good');
      sim.setFaults([fault]);
      const failed = await nextMessage(b1, (m) => m.quality === 'comm_error');
      expect(failed.error?.message).to.match(error);
      const status = b1.status.getCalls().map((c) => c.args[0] as { fill: string; shape: string });
      expect(status[status.length - 1]).to.include({ fill: 'red', shape: 'ring' });
      sim.setFaults([]);
      const good = await nextMessage(b1, (m) => m.quality === 'good');
      expect(good.payload.modules as unknown[]).to.have.length(40);
    });
  }

  it('answers slowly but within the timeout: still good', async () => {
    const b1 = await load();
    await nextMessage(undefined, (m) => m.quality === 'good');
    sim.setFaults([{ kind: 'slow', ms: 200 }]);
    const msg = await nextMessage(b1, () => true);
    expect(msg.quality).to.equal('good');
  });

  it('reports a lost module and the recovery of it', async () => {
    const b1 = await load();
    await nextMessage(undefined, (m) => m.quality === 'good');
    sim.loseModule(12);
    const lost = await nextMessage(b1, (m) => m.quality === 'good');
    expect((lost.payload.modules as ModuleOut[])[11]).to.include({ available: false, state: 'dataNotAvailable' });
    expect(lost.payload.status).to.include('moduleLost');
    sim.loseModule(12, false);
    const back = await nextMessage(b1, (m) => m.quality === 'good');
    expect((back.payload.modules as ModuleOut[])[11].available).to.equal(true);
    expect(back.payload.status).to.not.include('moduleLost');
  });

  it('reports status 0x0000 (internal communication lost) as comm_error until it clears', async () => {
    const b1 = await load();
    await nextMessage(undefined, (m) => m.quality === 'good');
    sim.loseCommunication(true);
    const lost = await nextMessage(b1, (m) => m.quality === 'comm_error');
    expect(lost.payload.status).to.deep.equal(['internalCommunicationLost']);
    sim.loseCommunication(false);
    const back = await nextMessage(b1, (m) => m.quality === 'good');
    expect(back.payload.status).to.include('running');
  });

  it('follows the dynamics: discharge, recharge and equalizing show in status, currents and modules', async () => {
    const b1 = await load();
    sim.setPhase('discharge');
    sim.step(30);
    const discharging = await nextMessage(b1, (m) => m.quality === 'good' && (m.payload.status as string[]).includes('discharging'));
    expect((discharging.payload.strings as StringOut[])[0].current).to.be.below(0);
    sim.setPhase('recharge');
    for (let i = 0; i < 10; i++) sim.step(5);
    const charging = await nextMessage(b1, (m) => m.quality === 'good' && (m.payload.status as string[]).includes('charging'));
    expect((charging.payload.strings as StringOut[])[0].current).to.be.above(0);
    expect(charging.payload.status).to.include('equalizing');
    expect((charging.payload.modules as ModuleOut[]).some((m) => (m.equalizing ?? 0) > 0)).to.equal(true);
  });
});
