import { expect } from 'chai';
import { BacsSimulator } from '../../nodes/bacs/simulator';
import { helper, startServer, stopServer, TestNode, waitFor } from './red-helper';

/* eslint-disable @typescript-eslint/no-var-requires */
const endpointNode = require('../../nodes/links/modbus-endpoint');
const bacsNode = require('../../nodes/bacs/bacs');

interface Msg {
  topic: string;
  payload: { [key: string]: unknown };
  quality: string;
  alarms: Array<{ id: string; severity: string }>;
  units: { [key: string]: string };
  device: { kind: string; name: string };
  error?: { message: string };
}

type ModuleOut = { id: number; string: number; position: number; voltage?: number; temperature?: number; resistance?: number; equalizing?: number; equalizingLevel?: string; state?: string; available: boolean };

function flow(port: number, bacs: object = {}, endpoint: object = {}): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'bacs test' },
    { id: 'ep', type: 'modbus-endpoint', host: '127.0.0.1', port: String(port), unitId: '1', timeout: '1000', functionCode: '3', addressing: '0', reconnectMs: '100', reconnectMaxMs: '500', maxGap: '-1', ...endpoint },
    { id: 'b1', type: 'bacs', z: 'tab', endpoint: 'ep', deviceName: 'ups-room', topicPrefix: 'bacs', interval: '60', staleTime: '0', output: 'envelope', onlyOnChange: false, countSource: 'register', moduleSource: 'modbus', moduleTemplate: '', wires: [['out']], ...bacs },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'c1', type: 'catch', z: 'tab', scope: ['b1'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

async function untilTrue(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function next(node: TestNode, match: (m: Msg) => boolean = () => true, ms = 10000): Promise<Msg> {
  return waitFor(node, 'input', (m) => (match(m as Msg) ? (m as Msg) : undefined), ms);
}

describe('bacs node (Node-RED runtime, simulator over real TCP)', function () {
  this.timeout(30000);
  let sim: BacsSimulator;
  let port: number;

  before(startServer);
  after(stopServer);
  beforeEach(async () => {
    sim = new BacsSimulator({ strings: 2, modules: 40, port: 0, tickMs: 0, seed: 7 });
    port = await sim.start();
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  it('sends one envelope with status, strings and every module mapped to string and position', async () => {
    await helper.load([endpointNode, bacsNode], flow(port));
    const msg = await next(helper.getNode('out') as TestNode);
    expect(msg.topic).to.equal('bacs/ups-room');
    expect(msg.quality).to.equal('good');
    expect(msg.device).to.include({ kind: 'bacs', name: 'ups-room' });
    const p = msg.payload;
    expect(p.status).to.include.members(['running', 'floatCharging']);
    expect(p.statusWord).to.equal(sim.statusWord());
    expect(p).to.include({ stringCount: 2, moduleCount: 40, moduleTemplateVerified: false, moduleSource: 'modbus' });
    const strings = p.strings as Array<{ index: number; voltage: number }>;
    expect(strings.map((s) => s.index)).to.deep.equal([1, 2]);
    expect(strings[0].voltage).to.equal(Math.round(sim.strings[0].voltage));
    const modules = p.modules as ModuleOut[];
    expect(modules).to.have.length(40);
    expect(modules[21]).to.include({ id: 22, string: 2, position: 2, available: true });
    expect(modules[21].voltage).to.be.closeTo(sim.modules[21].voltage, 0.006);
    expect(modules[21].temperature).to.be.closeTo(sim.modules[21].temperature, 0.06);
    expect(modules[21].resistance).to.be.closeTo(sim.modules[21].resistance, 0.006);
    expect(modules[21].state).to.equal('ok');
    expect(msg.units).to.include({ 'modules.voltage': 'V', 'modules.temperature': '°C', 'modules.resistance': 'mΩ', 'strings.current': 'A' });
    // steady state: the second poll costs exactly the minimum (1 request for 1000-1014, 2 for 200 module registers)
    const before = sim.requestCount;
    (helper.getNode('b1') as TestNode).receive({});
    await next(helper.getNode('out') as TestNode);
    expect(sim.requestCount - before).to.equal(3);
  });

  it('names the equalizing level and module states', async () => {
    sim.setModule(3, { equalizing: 55 });
    sim.setModule(4, { temperature: 45 });
    await helper.load([endpointNode, bacsNode], flow(port));
    const msg = await next(helper.getNode('out') as TestNode);
    const modules = msg.payload.modules as ModuleOut[];
    expect(modules[2]).to.include({ equalizing: 55, equalizingLevel: 'normal' });
    expect(modules[3].state).to.equal('temperatureWarning');
    expect(msg.payload.status).to.include('temperatureOutOfRange');
    expect(msg.alarms.map((a) => a.id)).to.include.members(['temperatureOutOfRange', 'module/4/temperatureWarning']);
  });

  it('sends one message per module (topic .../module/<id>) plus one for the system', async () => {
    await helper.load([endpointNode, bacsNode], flow(port, { output: 'perModule' }));
    const out = helper.getNode('out') as TestNode;
    const got: Msg[] = [];
    out.on('input', (m: Msg) => got.push(m));
    await waitFor(out, 'input', () => (got.length >= 41 ? true : undefined));
    expect(got[0].topic).to.equal('bacs/ups-room');
    expect(got[0].payload).to.not.have.property('modules');
    expect(got[1].topic).to.equal('bacs/ups-room/module/1');
    expect(got[40].topic).to.equal('bacs/ups-room/module/40');
    expect(got[40].payload).to.include({ id: 40, string: 2, position: 20 });
    expect(got[40].units).to.include({ voltage: 'V' });
  });

  it('sends one message per string with its modules (topic .../string/<n>) plus one for the system', async () => {
    await helper.load([endpointNode, bacsNode], flow(port, { output: 'perString' }));
    const out = helper.getNode('out') as TestNode;
    const got: Msg[] = [];
    out.on('input', (m: Msg) => got.push(m));
    await waitFor(out, 'input', () => (got.length >= 3 ? true : undefined));
    expect(got.map((m) => m.topic)).to.deep.equal(['bacs/ups-room', 'bacs/ups-room/string/1', 'bacs/ups-room/string/2']);
    expect(got[0].payload).to.not.have.property('modules');
    const second = got[2].payload as { index: number; voltage: number; modules: ModuleOut[] };
    expect(second.index).to.equal(2);
    expect(second.modules.map((m) => m.id)).to.deep.equal(Array.from({ length: 20 }, (_, i) => 21 + i));
    expect(got[2].units).to.include({ voltage: 'V', 'modules.temperature': '°C' });
  });

  it('only on change: sends nothing for an unchanged poll, a module message when a value moves beyond its deadband', async () => {
    await helper.load([endpointNode, bacsNode], flow(port, { output: 'perModule', onlyOnChange: true, deadbandVoltage: '0.05' }));
    const out = helper.getNode('out') as TestNode;
    const b1 = helper.getNode('b1') as TestNode;
    const got: Msg[] = [];
    out.on('input', (m: Msg) => got.push(m));
    await waitFor(out, 'input', () => (got.length >= 41 ? true : undefined));
    got.length = 0;
    // unchanged: a poll that sends nothing (done() still comes, via the Complete semantics of the input)
    await new Promise<void>((resolve) => {
      b1.receive({});
      setTimeout(resolve, 500);
    });
    expect(got, JSON.stringify(got)).to.have.length(0);
    sim.setModule(9, { voltage: sim.modules[8].voltage + 0.02 }); // within the deadband
    b1.receive({});
    await new Promise((r) => setTimeout(r, 500));
    // (the string sum may round to another whole volt, so only module messages are counted here)
    expect(got.filter((m) => m.topic.includes('/module/'))).to.have.length(0);
    sim.setModule(9, { voltage: sim.modules[8].voltage + 0.2 });
    b1.receive({});
    const msg = await next(out);
    expect(msg.topic).to.equal('bacs/ups-room/module/9');
    // msg.reset sends everything again
    got.length = 0;
    b1.receive({ reset: true });
    await waitFor(out, 'input', () => (got.length >= 41 ? true : undefined));
  });

  it('reports status 0x0000 as comm_error (web manager lost its internal communication), not as all clear', async () => {
    sim.loseCommunication(true);
    await helper.load([endpointNode, bacsNode], flow(port));
    const msg = await next(helper.getNode('out') as TestNode);
    expect(msg.quality).to.equal('comm_error');
    expect(msg.payload.status).to.deep.equal(['internalCommunicationLost']);
    expect(msg.payload).to.not.have.property('modules');
    expect(msg.alarms.map((a) => a.id)).to.deep.equal(['internalCommunicationLost']);
    const b1 = helper.getNode('b1') as TestNode;
    const calls = b1.status.getCalls().map((c) => c.args[0] as { fill: string; text: string });
    expect(calls[calls.length - 1]).to.include({ fill: 'red', shape: 'ring' });
  });

  it('drops a module voltage no block can have (655.34 V) and sends bad_data naming it; the other modules are untouched', async () => {
    sim.setModule(12, { voltage: 700 }); // the register clamps to 0xfffe: 655.34 V with the 0.01 V template scale
    await helper.load([endpointNode, bacsNode], flow(port));
    const msg = await next(helper.getNode('out') as TestNode);
    expect(msg.quality).to.equal('bad_data');
    const badKeys = (msg as Msg & { badKeys?: string[] }).badKeys;
    expect(badKeys).to.include('modules[11].voltage');
    const modules = msg.payload.modules as ModuleOut[];
    expect(modules[11]).to.not.have.property('voltage');
    expect(modules[11]).to.include({ id: 12, available: true });
    expect(modules[11].temperature).to.be.a('number');
    expect(modules[10].voltage).to.be.closeTo(sim.modules[10].voltage, 0.006);
    // every value that did go out is a real block voltage
    expect(modules.every((m) => m.voltage === undefined || (m.voltage >= 0 && m.voltage <= 30))).to.equal(true);
  });

  it('per module: only the message of the module with the implausible value is bad_data, with its own key', async () => {
    sim.setModule(3, { temperature: 3000 });
    await helper.load([endpointNode, bacsNode], flow(port, { output: 'perModule' }));
    const out = helper.getNode('out') as TestNode;
    const got: Array<Msg & { badKeys?: string[] }> = [];
    out.on('input', (m: Msg) => got.push(m));
    await waitFor(out, 'input', () => (got.length >= 41 ? true : undefined));
    const three = got.find((m) => m.topic === 'bacs/ups-room/module/3');
    expect(three?.quality).to.equal('bad_data');
    expect(three?.badKeys).to.deep.equal(['temperature']);
    expect(three?.payload).to.not.have.property('temperature');
    expect(got.find((m) => m.topic === 'bacs/ups-room/module/4')?.quality).to.equal('good');
    expect(got.find((m) => m.topic === 'bacs/ups-room')?.quality).to.equal('good');
  });

  it('per string: the string message names its module by its place in that message', async () => {
    sim.setModule(23, { resistance: 600 }); // string 2, position 3
    await helper.load([endpointNode, bacsNode], flow(port, { output: 'perString' }));
    const out = helper.getNode('out') as TestNode;
    const got: Array<Msg & { badKeys?: string[] }> = [];
    out.on('input', (m: Msg) => got.push(m));
    await waitFor(out, 'input', () => (got.length >= 3 ? true : undefined));
    const second = got.find((m) => m.topic === 'bacs/ups-room/string/2');
    expect(second?.quality).to.equal('bad_data');
    expect(second?.badKeys).to.deep.equal(['modules[2].resistance']);
    expect((second?.payload.modules as ModuleOut[])[2]).to.not.have.property('resistance');
    expect(got.find((m) => m.topic === 'bacs/ups-room/string/1')?.quality).to.equal('good');
  });

  it('refuses a poll where most values cannot be real, like a failed read', async () => {
    for (let id = 1; id <= 40; id++) sim.setModule(id, { voltage: 700, temperature: 3000, resistance: 700, equalizing: 900 });
    await helper.load([endpointNode, bacsNode], flow(port));
    const caught = helper.getNode('caught') as TestNode;
    const errorSeen = waitFor(caught, 'input', (m) => m as Msg);
    const msg = await next(helper.getNode('out') as TestNode);
    expect(msg.quality).to.equal('bad_data');
    expect(msg.payload).to.deep.equal({});
    expect(msg.error?.message).to.be.a('string');
    expect((await errorSeen).error?.message).to.contain(msg.error?.message);
  });

  it('reports a lost module as not available with the MODULE_LOST flag', async () => {
    sim.loseModule(7);
    await helper.load([endpointNode, bacsNode], flow(port));
    const msg = await next(helper.getNode('out') as TestNode);
    const modules = msg.payload.modules as ModuleOut[];
    expect(modules[6]).to.deep.equal({ id: 7, string: 1, position: 7, available: false, state: 'dataNotAvailable' });
    expect(msg.payload.status).to.include('moduleLost');
    expect(msg.alarms.map((a) => a.id)).to.include.members(['moduleLost', 'module/7/dataNotAvailable']);
  });

  it('reports a failing poll to Catch with a red status, sends comm_error once, and recovers', async () => {
    await helper.load([endpointNode, bacsNode], flow(port));
    const out = helper.getNode('out') as TestNode;
    const caught = helper.getNode('caught') as TestNode;
    const b1 = helper.getNode('b1') as TestNode;
    await next(out);
    const errors: Msg[] = [];
    caught.on('input', (m: Msg) => errors.push(m));
    sim.setFaults([{ kind: 'exception', code: 4 }]);
    const commError = next(out, (m) => m.quality === 'comm_error');
    b1.receive({});
    const failed = await commError;
    expect(failed.error?.message).to.match(/exception 4/);
    expect(failed.payload).to.deep.equal({});
    b1.receive({});
    await new Promise((r) => setTimeout(r, 500));
    const statuses = b1.status.getCalls().map((c) => c.args[0] as { fill: string; text: string });
    expect(statuses.some((s) => s.fill === 'red' && (s as { shape?: string }).shape === 'ring'), JSON.stringify(statuses)).to.equal(true);
    expect(errors.filter((e) => /exception 4/.test(JSON.stringify(e)))).to.have.length.at.least(1);
    sim.setFaults([]);
    b1.receive({});
    const good = await next(out, (m) => m.quality === 'good');
    expect(good.payload.modules as unknown[]).to.have.length(40);
  });

  it('an outage is one error to Catch, a red status throughout, and a good read within an interval of the link\'s return', async () => {
    // stale after 1.5 s: the outage outlasts it, and a stale watchdog must not turn the red status yellow
    await helper.load([endpointNode, bacsNode], flow(port, { interval: '0.5', staleTime: '1.5' }, { reconnectMs: '100', reconnectMaxMs: '800' }));
    const out = helper.getNode('out') as TestNode;
    const caught = helper.getNode('caught') as TestNode;
    const b1 = helper.getNode('b1') as TestNode;
    await next(out, (m) => m.quality === 'good');
    const errors: Msg[] = [];
    caught.on('input', (m: Msg) => errors.push(m));
    const statusesBefore = b1.status.getCalls().length;
    await sim.stop();
    // long enough for several reconnect attempts with a growing back-off, and many polls
    await new Promise((r) => setTimeout(r, 5000));
    const during = b1.status
      .getCalls()
      .slice(statusesBefore)
      .map((c) => c.args[0] as { fill: string; shape: string; text: string });
    const firstRed = during.findIndex((s) => s.fill === 'red');
    expect(firstRed, JSON.stringify(during)).to.be.greaterThan(-1);
    expect(during.slice(firstRed).filter((s) => s.fill !== 'red'), 'no status other than red once the outage is reported').to.deep.equal([]);
    expect(errors, JSON.stringify(errors.map((e) => e.error))).to.have.length(1);
    expect(JSON.stringify(errors[0]), 'the countdown stays in the status').to.not.match(/next attempt|retry in/);

    const back = new BacsSimulator({ strings: 2, modules: 40, port, tickMs: 0, seed: 7 });
    await back.start();
    const returnedAt = Date.now();
    try {
      await next(out, (m) => m.quality === 'good', 5000);
      // the link's own back-off (at most 0.8 s here) plus one interval (0.5 s), with room for a loaded machine
      expect(Date.now() - returnedAt).to.be.below(2500);
      expect(errors).to.have.length(1);
    } finally {
      await helper.unload();
      await back.stop();
    }
  });

  it('reads a fixed number of strings and modules and a user module template', async () => {
    const template = JSON.stringify({
      base: 2000,
      stride: 5,
      fields: [
        { key: 'voltage', offset: 0, type: 'U16', scale: 0.01 },
        { key: 'state', offset: 4, type: 'U16', scale: 1 },
      ],
      verified: true,
      verifiedNote: 'simulator, test',
    });
    await helper.load([endpointNode, bacsNode], flow(port, { countSource: 'fixed', fixedStrings: '1', fixedModules: '10', stringSizes: '10', moduleTemplate: template }));
    const msg = await next(helper.getNode('out') as TestNode);
    const modules = msg.payload.modules as ModuleOut[];
    expect(modules).to.have.length(10);
    expect(Object.keys(modules[0]).sort()).to.deep.equal(['available', 'id', 'position', 'state', 'stateCode', 'string', 'voltage']);
    expect(msg.payload.moduleTemplateVerified).to.equal(true);
    expect(msg.payload.strings as unknown[]).to.have.length(1);
  });

  it('warns about an unusable template and still reads system and strings', async () => {
    await helper.load([endpointNode, bacsNode], flow(port, { moduleTemplate: '{"base": 1, "stride": 0, "fields": []}' }));
    const msg = await next(helper.getNode('out') as TestNode);
    expect(msg.payload).to.not.have.property('modules');
    expect(msg.payload.strings as unknown[]).to.have.length(2);
    const b1 = helper.getNode('b1') as TestNode;
    expect(b1.warn.called).to.equal(true);
  });

  it('without a link: grey status and done(err) for input', async () => {
    await helper.load([endpointNode, bacsNode], flow(port, { endpoint: '' }));
    const b1 = helper.getNode('b1') as TestNode;
    const caught = helper.getNode('caught') as TestNode;
    const err = waitFor(caught, 'input', (m) => m);
    b1.receive({});
    await err;
    const calls = b1.status.getCalls().map((c) => c.args[0] as { fill: string });
    expect(calls[0]).to.include({ fill: 'grey', shape: 'ring' });
  });

  it('a link of the wrong kind is a clear config error (the typed link lookup), not a crash on first use', async () => {
    const wrong = flow(port, { endpoint: 'other' });
    wrong.push({ id: 'other', type: 'bacs', z: 'tab', endpoint: 'ep', interval: '60', staleTime: '0' });
    await helper.load([endpointNode, bacsNode], wrong);
    const b1 = helper.getNode('b1') as TestNode;
    const caught = helper.getNode('caught') as TestNode;
    const err = waitFor(caught, 'input', (m) => m as { error?: { message: string } });
    b1.receive({});
    // the test runtime has no locale catalogue loaded: the key stands in for the text
    expect((await err).error?.message).to.match(/not a modbus-endpoint|common.errors.wrongLink/);
    // the helper's status spy is shared by both bacs nodes: look for b1's grey ring among the calls
    const statuses = b1.status.getCalls().map((c) => c.args[0] as { fill?: string; shape?: string });
    expect(statuses.some((s) => s.fill === 'grey' && s.shape === 'ring'), JSON.stringify(statuses)).to.equal(true);
  });

  it('marks values stale when the controller goes quiet', async () => {
    await helper.load([endpointNode, bacsNode], flow(port, { interval: '0.5', staleTime: '1.5' }));
    const out = helper.getNode('out') as TestNode;
    await next(out);
    sim.setFaults([{ kind: 'ignore' }]);
    const stale = await next(out, (m) => m.quality === 'stale' || m.quality === 'comm_error', 15000);
    expect(['stale', 'comm_error']).to.include(stale.quality);
    const b1 = helper.getNode('b1') as TestNode;
    const staleShown = (): boolean =>
      b1.status.getCalls().some((c) => {
        const s = c.args[0] as { fill: string; shape: string };
        return s.fill === 'yellow' && s.shape === 'dot';
      });
    await untilTrue(staleShown, 15000);
  });

  it('closes its connection on redeploy and leaves nothing open over a hundred redeploys', async function () {
    this.timeout(180000);
    const handlesBefore = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    for (let i = 0; i < 100; i++) {
      await helper.load([endpointNode, bacsNode], flow(port));
      await next(helper.getNode('out') as TestNode);
      await helper.unload();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(sim.connections).to.equal(0);
    const handlesAfter = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    expect(handlesAfter).to.be.at.most(handlesBefore + 2);
  });
});
