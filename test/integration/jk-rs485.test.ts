/**
 * jk-bms over a real serial line: a socat pseudo-terminal pair with the JK simulator on the far end, paced at
 * the line's baud. Unplug and replug (kill and restart socat), a silent pack among live ones, and a hundred
 * redeploys without leaked handles.
 */
import { expect } from 'chai';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { openBusCount } from '../../lib/rs485/registry';
import { waitFor as until } from '../helpers/ports';
import { PtyPair } from '../helpers/pty';
import { helper, startServer, stopServer, TestNode } from '../node/red-helper';

/* eslint-disable @typescript-eslint/no-var-requires */
const busNode = require('../../nodes/links/rs485-bus');
const jkNode = require('../../nodes/jk-bms/jk-bms');
const catchNode = require('@node-red/nodes/core/common/25-catch');
/* eslint-enable @typescript-eslint/no-var-requires */

interface Msg {
  topic: string;
  payload: Record<string, unknown>;
  quality: string;
  error?: { message: string };
}

function flow(path: string, jk: Record<string, unknown> = {}, bus: Record<string, unknown> = {}): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'jk' },
    { id: 'bus1', type: 'rs485-bus', link: 'serial', path, baud: 115200, gap: 20, timeout: 300, reconnectMs: 200, reconnectMaxMs: 800, ...bus },
    { id: 'jk1', type: 'jk-bms', z: 'tab', bus: 'bus1', protocol: 'jk02', addresses: '1-3', interval: 0.2, staleTime: 0, topic: 'jk', wires: [['out']], ...jk },
    { id: 'out', type: 'helper', z: 'tab', wires: [] },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab', wires: [] },
  ];
}

function collect(id: string): Msg[] {
  const got: Msg[] = [];
  (helper.getNode(id) as TestNode).on('input', (m: Msg) => got.push(m));
  return got;
}

/**
 * A full redeploy that waits for the flows to start again. The helper's own setFlows gives a deploy 300 ms,
 * which a loaded machine can exceed while a serial port closes; the listener is registered before the deploy.
 */
async function redeploy(flow: object[]): Promise<void> {
  const internals = helper as unknown as {
    _events: { once(e: string, fn: () => void): void; off(e: string, fn: () => void): void };
    _redNodes: { setFlows(flows: object[], credentials: object, type: string): Promise<unknown> };
  };
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('flows did not restart within 20 s')), 20_000);
    onStarted = () => {
      clearTimeout(timer);
      resolve();
    };
    internals._events.once('flows:started', onStarted);
  });
  try {
    await internals._redNodes.setFlows(flow, {}, 'full');
    await started;
  } finally {
    internals._events.off('flows:started', onStarted);
  }
}

const activeHandles = (): number => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;

(PtyPair.available() ? describe : describe.skip)('jk-bms over a socat pseudo-terminal (integration)', function () {
  this.timeout(120_000);
  let pty: PtyPair;
  let sim: JkSimulator;

  const startSim = async (packs: number[]): Promise<void> => {
    sim = new JkSimulator({ serial: pty.b, packs, baud: 115200, turnaroundMs: 3 });
    await sim.start();
  };

  before(startServer);
  after(stopServer);
  beforeEach(async () => {
    pty = new PtyPair();
    await pty.start();
    await startSim([1, 2, 3]);
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop().catch(() => undefined);
    await pty.dispose();
  });

  it('reads every pack through the serial line', async () => {
    await helper.load([busNode, jkNode, catchNode], flow(pty.a));
    const got = collect('out');
    await until(() => [1, 2, 3].every((a) => got.some((m) => m.topic === `jk/pack${a}` && m.quality === 'good')), 15_000, 'three packs');
    const m = got.find((x) => x.topic === 'jk/pack3') as Msg;
    expect(m.payload.cellVoltages).to.be.an('array').with.length(16);
  });

  it('a silent pack among live ones: the live ones keep their data', async () => {
    await helper.load([busNode, jkNode, catchNode], flow(pty.a, { addresses: '1,5,2,6,3' }));
    const got = collect('out');
    const caught = collect('caught');
    // wait on every live pack: on a loaded machine one of their polls may time out, which this test does not judge
    const goodPolls = (a: number): number => got.filter((m) => m.topic === `jk/pack${a}` && m.quality === 'good').length;
    await until(() => [1, 2, 3].every((a) => goodPolls(a) >= 4), 60_000, 'four good polls of each live pack');
    for (const a of [5, 6]) expect(got.filter((m) => m.topic === `jk/pack${a}`).map((m) => m.quality)).to.deep.equal(['comm_error']);
    expect(caught.filter((m) => /pack 5/.test(m.error?.message ?? ''))).to.have.length(1);
  });

  it('unplug and replug: red status and one Catch message, then it recovers by itself', async () => {
    await helper.load([busNode, jkNode, catchNode], flow(pty.a));
    const got = collect('out');
    const caught = collect('caught');
    const jk = helper.getNode('jk1') as TestNode;
    await until(() => got.some((m) => m.topic === 'jk/pack1' && m.quality === 'good'), 15_000, 'first reading');
    await sim.stop();
    await pty.stop(); // pull the adapter
    await until(() => caught.some((m) => /RS485 link .* lost/.test(m.error?.message ?? '')), 10_000, 'link-lost error');
    const statuses = (): Array<{ fill?: string; shape?: string; text?: string }> =>
      jk.status.getCalls().filter((c) => (c as unknown as { thisValue: { id: string } }).thisValue.id === 'jk1').map((c) => c.args[0] as { fill?: string });
    await until(() => statuses().some((s) => s.fill === 'red'), 5000, 'red status');
    await new Promise((r) => setTimeout(r, 1500)); // several retries while unplugged
    expect(caught.filter((m) => /RS485 link/.test(m.error?.message ?? ''))).to.have.length(1);
    const before = got.length;
    await pty.start(); // plug it back in
    await startSim([1, 2, 3]);
    await until(() => got.slice(before).some((m) => m.topic === 'jk/pack2' && m.quality === 'good'), 20_000, 'readings after replug');
    await until(() => statuses().slice(-1)[0]?.fill === 'green', 5000, 'green status');
  });

  it('a hundred redeploys leave no port, handle or timer behind', async () => {
    await helper.load([busNode, jkNode, catchNode], flow(pty.a));
    const got = collect('out');
    await until(() => got.some((m) => m.quality === 'good'), 15_000, 'first reading');
    const baseline = activeHandles();
    const firstNode = helper.getNode('jk1');
    for (let i = 0; i < 100; i++) {
      // change both the bus and the node so both are torn down and rebuilt
      await redeploy(flow(pty.a, { interval: 0.2 + (i % 2) * 0.1 }, { gap: 20 + (i % 2) }));
    }
    expect(openBusCount()).to.equal(1);
    expect(helper.getNode('jk1')).to.not.equal(firstNode); // really rebuilt
    const after: Msg[] = [];
    (helper.getNode('out') as TestNode).on('input', (m: Msg) => after.push(m));
    await until(() => after.some((m) => m.topic === 'jk/pack3' && m.quality === 'good'), 15_000, 'readings after the redeploys');
    await new Promise((r) => setTimeout(r, 300));
    expect(activeHandles()).to.be.at.most(baseline + 3);
    await helper.unload();
    await new Promise((r) => setTimeout(r, 200));
    expect(openBusCount()).to.equal(0);
  });
});
