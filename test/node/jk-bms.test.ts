import { expect } from 'chai';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { waitFor as until } from '../helpers/ports';
import { helper, startServer, stopServer, TestNode } from './red-helper';

/* eslint-disable @typescript-eslint/no-var-requires */
const busNode = require('../../nodes/links/rs485-bus');
const jkNode = require('../../nodes/jk-bms/jk-bms');
const catchNode = require('@node-red/nodes/core/common/25-catch');
const helperNode = require('@node-red/nodes/core/common/21-debug');
/* eslint-enable @typescript-eslint/no-var-requires */

interface Msg {
  topic: string;
  payload: Record<string, unknown>;
  quality: string;
  device: Record<string, unknown>;
  units: Record<string, string>;
  alarms: unknown[];
  raw?: { tx: string[]; rx: string[] };
  error?: { message: string };
}

function flow(port: number, jk: Record<string, unknown>, bus: Record<string, unknown> = {}): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'jk' },
    { id: 'bus1', type: 'rs485-bus', link: 'tcp', host: '127.0.0.1', port, gap: 10, timeout: 300, reconnectMs: 100, reconnectMaxMs: 500, ...bus },
    { id: 'jk1', type: 'jk-bms', z: 'tab', bus: 'bus1', protocol: 'jk02', addresses: '1', interval: 0.3, staleTime: 0, topic: 'jk', wires: [['out']], ...jk },
    { id: 'out', type: 'helper', z: 'tab', wires: [] },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab', wires: [] },
  ];
}

function collect(node: TestNode): Msg[] {
  const got: Msg[] = [];
  node.on('input', (m: Msg) => got.push(m));
  return got;
}

describe('jk-bms node (Node-RED runtime, simulator over TCP)', function () {
  this.timeout(30000);
  let sim: JkSimulator;
  let port: number;

  before(startServer);
  after(stopServer);
  beforeEach(async () => {
    sim = new JkSimulator({ port: 0, packs: [1, 2, 3], pacing: false, turnaroundMs: 1 });
    port = (await sim.start()).port as number;
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  it('sends one enveloped message per pack with cells, units and identity', async () => {
    await helper.load([busNode, jkNode, helperNode, catchNode], flow(port, { addresses: '1-2' }));
    const got = collect(helper.getNode('out') as TestNode);
    await until(() => (got.some((m) => m.topic === 'jk/pack2') && got.some((m) => m.topic === 'jk/pack1') ? true : undefined));
    const msg = got.find((m) => m.topic === 'jk/pack2') as Msg;
    expect(msg.quality).to.equal('good');
    expect(msg.payload.cellVoltages).to.be.an('array').with.length(16);
    expect(msg.payload.voltage).to.be.a('number').within(40, 60);
    expect(msg.units.voltage).to.equal('V');
    expect(msg.units.cellVoltages).to.equal('V');
    expect(msg.device).to.include({ kind: 'jk-bms', name: 'pack2', address: 2, model: 'JK_PB2A16S20P', firmware: '15.41' });
    expect(JSON.stringify(msg)).to.not.match(/passcode|password/i);
    expect(msg.alarms).to.be.an('array');
  });

  it('a silent pack costs its own timeout: the others keep their data, one comm_error and one Catch message', async () => {
    await helper.load([busNode, jkNode, helperNode, catchNode], flow(port, { addresses: '1-3,9' }));
    const got = collect(helper.getNode('out') as TestNode);
    const caught = collect(helper.getNode('caught') as TestNode);
    await until(() => (got.filter((m) => m.topic === 'jk/pack3' && m.quality === 'good').length >= 3 ? true : undefined), 20000);
    for (const a of [1, 2, 3]) expect(got.filter((m) => m.topic === `jk/pack${a}` && m.quality === 'good').length, `pack ${a}`).to.be.at.least(2);
    expect(got.filter((m) => m.topic === 'jk/pack9').map((m) => m.quality)).to.deep.equal(['comm_error']);
    const errors = caught.filter((m) => /pack 9/.test(m.error?.message ?? ''));
    expect(errors).to.have.length(1);
    expect(errors[0].error?.message).to.match(/no reply within 300 ms/);
  });

  it('auto-detects the protocol, decodes the current sign option and adds raw frames on demand', async () => {
    await helper.load([busNode, jkNode, helperNode, catchNode], flow(port, { protocol: 'auto', addresses: '1', invertCurrent: true, rawHex: true }));
    sim.setPack(1, { current: 12.5, forcedCurrent: 12.5 });
    const got = collect(helper.getNode('out') as TestNode);
    const msg = await until(() => got.find((m) => m.quality === 'good'));
    expect(msg.raw?.tx.length).to.be.at.least(1);
    expect(msg.raw?.rx.length).to.be.at.least(1);
    expect(msg.payload.current).to.be.a('number').below(0);
  });

  it('one message per value with only-on-change', async () => {
    await helper.load([busNode, jkNode, helperNode, catchNode], flow(port, { output: 'value', onlyChanged: true, deadbands: '1000' }));
    const got = collect(helper.getNode('out') as TestNode);
    await until(() => (got.some((m) => m.topic === 'jk/pack1/voltage') ? true : undefined));
    await new Promise((r) => setTimeout(r, 150)); // the rest of the first poll's messages
    const first = got.length;
    expect(got.find((m) => m.topic === 'jk/pack1/voltage')?.payload).to.be.a('number');
    await new Promise((r) => setTimeout(r, 1200)); // three more polls, nothing moves by 1000
    const steady = ['voltage', 'cellVoltages', 'cellAverage', 'soh', 'nominalCapacity'].map((k) => `jk/pack1/${k}`);
    const later = got.slice(first).filter((m) => steady.includes(m.topic));
    expect(later, JSON.stringify(later.map((m) => m.topic))).to.have.length(0);
  });

  it('refuses writes by default and writes an allow-listed switch with read-back', async () => {
    await helper.load([busNode, jkNode, helperNode, catchNode], flow(port, { protocol: 'jk-modbus' }));
    const jk = helper.getNode('jk1') as TestNode;
    const caught = collect(helper.getNode('caught') as TestNode);
    jk.receive({ command: { set: 'chargeEnabled', value: false } });
    await until(() => caught.find((m) => /writes are off|writesOff/.test(m.error?.message ?? '')));
    await helper.unload();
    await helper.load(
      [busNode, jkNode, helperNode, catchNode],
      flow(port, { protocol: 'jk-modbus', allowWrites: true, allowCharge: true, allowDischarge: false, allowBalancer: false }),
    );
    const out = collect(helper.getNode('out') as TestNode);
    const caught2 = collect(helper.getNode('caught') as TestNode);
    const jk2 = helper.getNode('jk1') as TestNode;
    jk2.receive({ command: { set: 'chargeEnabled', value: false } });
    const reply = await until(() => out.find((m) => m.topic === 'jk/pack1/command')).catch((err: Error) => {
      throw new Error(`${err.message}; caught: ${caught2.map((m) => m.error?.message).join(' | ')}`);
    });
    expect(reply.payload).to.deep.equal({ set: 'chargeEnabled', value: false, address: 1, confirmed: true });
    expect(sim.getPack(1)?.chargeEnabled).to.equal(false);
    jk2.receive({ command: { set: 'dischargeEnabled', value: false } });
    await until(() => caught2.find((m) => /allow-list|notAllowed/.test(m.error?.message ?? '')));
    expect(sim.getPack(1)?.dischargeEnabled).to.equal(true);
  });

  it('listen-only mode decodes the master\'s traffic and refuses writes', async () => {
    await sim.stop();
    sim = new JkSimulator({ port: 0, packs: [0, 1, 2], pacing: false, turnaroundMs: 1, masterCycleMs: 300 });
    port = (await sim.start()).port as number;
    await helper.load([busNode, jkNode, helperNode, catchNode], flow(port, { protocol: 'jk02-listen', addresses: '0-2', allowWrites: true, allowCharge: true }));
    const got = collect(helper.getNode('out') as TestNode);
    const caught = collect(helper.getNode('caught') as TestNode);
    await until(() => ([0, 1, 2].every((a) => got.some((m) => m.topic === `jk/pack${a}`)) ? true : undefined), 15000);
    (helper.getNode('jk1') as TestNode).receive({ command: { set: 'chargeEnabled', value: false, address: 1 } });
    await until(() => caught.find((m) => /listen/.test(m.error?.message ?? '')));
  });

  it('stops transmitting and listens when it sees a bus master (a pack at address 0) on the bus', async () => {
    await sim.stop();
    sim = new JkSimulator({ port: 0, packs: [0, 1, 2], pacing: false, turnaroundMs: 1, masterCycleMs: 300 });
    port = (await sim.start()).port as number;
    await helper.load([busNode, jkNode, helperNode, catchNode], flow(port, { protocol: 'jk02', addresses: '1-2', interval: 0.5 }));
    const got = collect(helper.getNode('out') as TestNode);
    const jk = helper.getNode('jk1') as TestNode;
    await until(() => jk.warn.getCalls().some((c) => /bus master/.test(String(c.args[0]))), 10000);
    const sentAfter = sim.stats.requests;
    const before = got.length;
    await until(() => [1, 2].every((a) => got.slice(before).some((m) => m.topic === `jk/pack${a}` && m.quality === 'good')), 10000);
    // from now on the node sends nothing (the simulated master's own polls do not count as requests)
    const quiet = sim.stats.requests;
    await new Promise((r) => setTimeout(r, 800));
    expect(sim.stats.requests).to.equal(quiet);
    expect(sentAfter).to.be.at.least(0);
  });

  it('a second bus on the same gateway with other settings is refused with a clear error', async () => {
    const f = flow(port, {});
    f.push(
      { id: 'bus2', type: 'rs485-bus', link: 'tcp', host: '127.0.0.1', port, gap: 250, timeout: 300 },
      { id: 'jk2', type: 'jk-bms', z: 'tab', bus: 'bus2', protocol: 'jk02', addresses: '2', interval: 1, wires: [[]] },
    );
    await helper.load([busNode, jkNode, helperNode, catchNode], f);
    const caught = collect(helper.getNode('caught') as TestNode);
    await until(() => caught.find((m) => /already opened by rs485-bus/.test(m.error?.message ?? '')), 1000).catch(() => undefined);
    const jk2 = helper.getNode('jk2') as TestNode;
    const errs = jk2.error.getCalls().map((c) => String(c.args[0]));
    expect(errs.join('\n')).to.match(/already opened by rs485-bus/);
  });

  it('losing the gateway turns the node red with one Catch message; it resumes when the gateway is back', async () => {
    await helper.load([busNode, jkNode, helperNode, catchNode], flow(port, { addresses: '1' }));
    const got = collect(helper.getNode('out') as TestNode);
    const caught = collect(helper.getNode('caught') as TestNode);
    await until(() => got.some((m) => m.quality === 'good'), 10000);
    await sim.stop();
    await until(() => caught.some((m) => /RS485 link .* lost/.test(m.error?.message ?? '')), 10000);
    await new Promise((r) => setTimeout(r, 1200)); // several reconnect attempts (100 ms doubling to 500 ms)
    expect(caught.filter((m) => /RS485 link/.test(m.error?.message ?? ''))).to.have.length(1);
    sim = new JkSimulator({ port, packs: [1], pacing: false, turnaroundMs: 1 });
    await sim.start();
    const before = got.length;
    await until(() => got.slice(before).some((m) => m.quality === 'good'), 15000);
  });

  it('the example flow (examples/jk-bms-two-packs.json) reads both packs when pointed at a simulator', async () => {
    const example = JSON.parse(require('fs').readFileSync(require('path').resolve(__dirname, '..', '..', '..', 'examples', 'jk-bms-two-packs.json'), 'utf8')) as Array<Record<string, unknown>>;
    const nodes = example.map((n) => {
      if (n.type === 'rs485-bus') return { ...n, port }; // the demo's gateway is 127.0.0.1:18899
      if (n.type === 'debug') return { id: n.id, type: 'helper', z: n.z, wires: [] };
      return n;
    });
    const commentNode = require('@node-red/nodes/core/common/90-comment');
    const injectNode = require('@node-red/nodes/core/common/20-inject');
    const alarmNode = require('../../nodes/alarm-rules/alarm-rules');
    await helper.load([busNode, jkNode, commentNode, injectNode, alarmNode], nodes);
    const got = collect(helper.getNode('jk-ex-debug') as TestNode);
    await until(() => [1, 2].every((a) => got.some((m) => m.topic === `jk/pack${a}` && m.quality === 'good')), 15000);
    expect(got.find((m) => m.topic === 'jk/pack1')?.device).to.include({ kind: 'jk-bms', address: 1 });
    // the alarm-rules node takes the readings without complaint (its rules are the JK LiFePO4 preset)
    const alarms = helper.getNode('jk-ex-alarms') as TestNode;
    expect(alarms).to.not.equal(null);
    const alarmErrors = alarms.error.getCalls().filter((c) => (c as unknown as { thisValue: { id: string } }).thisValue.id === 'jk-ex-alarms');
    expect(alarmErrors.map((c) => String(c.args[0]))).to.deep.equal([]);
  });

  it('with no bus configured shows a grey status and reports it', async () => {
    await helper.load([busNode, jkNode, helperNode, catchNode], [{ id: 'tab', type: 'tab' }, { id: 'jk1', type: 'jk-bms', z: 'tab', bus: '', wires: [[]] }]);
    const jk = helper.getNode('jk1') as TestNode;
    expect(jk.status.getCalls().map((c) => (c.args[0] as { fill: string }).fill)).to.include('grey');
  });
});
