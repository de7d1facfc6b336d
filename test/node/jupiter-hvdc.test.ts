/**
 * jupiter-hvdc in a real Node-RED runtime (node-red-node-test-helper) against the in-process Jupiter agent
 * simulator over real UDP sockets on loopback: units that stop, restart, answer late or answer garbage, traps
 * end to end through the snmp-endpoint link, dry contacts with bounce and NO/NC, a contacts-only unit.
 */
import { expect } from 'chai';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as path from 'path';
import { JupiterUnit, SIM_OIDS } from '../../nodes/jupiter-hvdc/simulator';
import { defaultProfile, exportProfile, type JupiterProfile } from '../../nodes/jupiter-hvdc/profile';
import { freeTcpPort, freeUdpPort, waitFor } from '../helpers/ports';
import { ModbusTcpServer } from '../../lib/modbus/server';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const helper = require('node-red-node-test-helper') as {
  init(path: string, settings?: object): void;
  startServer(done: (err?: unknown) => void): void;
  stopServer(done: (err?: unknown) => void): void;
  load(nodes: unknown[], flow: object[], credentials?: object): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): (NodeLike & { receive(msg: object): void }) | null;
};
interface SpiedCall {
  thisValue: unknown;
  args: unknown[];
}
interface NodeLike {
  on(event: string, fn: (msg: Msg) => void): void;
  /** Node.prototype methods the helper spies on (shared by every node: filter by thisValue) */
  status: { getCalls(): SpiedCall[] };
  warn: { getCalls(): SpiedCall[] };
}
interface Alarm {
  id: string;
  source: string;
  raiseValue: unknown;
  endValue?: unknown;
  event?: string;
  severity: string;
}
interface Msg {
  topic: string;
  payload: Record<string, unknown>;
  quality: string;
  alarms: Alarm[];
  alarmEvents?: Alarm[];
  device: { name: string; address?: string };
  error?: { message: string };
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const endpointNode = require('../../nodes/links/snmp-endpoint');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const jupiterNode = require('../../nodes/jupiter-hvdc/jupiter-hvdc');

// eslint-disable-next-line @typescript-eslint/no-var-requires
const modbusNode = require('../../nodes/links/modbus-endpoint');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

helper.init(require.resolve('node-red'));

const ROOT = path.resolve(__dirname, '..', '..', '..');
const englishCatalogue = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'nodes', 'jupiter-hvdc', 'locales', 'en-US', 'jupiter-hvdc.json'), 'utf8')) as Record<string, unknown>;

/** the built English catalogue (common texts merged in); a key it does not have comes back as itself */
function english(key: string, subs: Record<string, unknown> = {}): string {
  let node: unknown = englishCatalogue;
  for (const part of key.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return typeof node === 'string' ? node.replace(/__(\w+)__/g, (m, name: string) => (name in subs ? String(subs[name]) : m)) : key;
}

/** the node with its English texts: the test helper's RED._ returns bare keys, and these tests read what a person reads */
function jupiterInEnglish(RED: { _: unknown }): void {
  RED._ = english;
  (jupiterNode as (red: unknown) => void)(RED);
}

/** what the node showed as its status, oldest first */
function statuses(id: string): Array<{ fill?: string; shape?: string; text?: string }> {
  const n = helper.getNode(id);
  if (!n) return [];
  return n.status
    .getCalls()
    .filter((c) => c.thisValue === n)
    .map((c) => c.args[0] as { fill?: string; shape?: string; text?: string });
}

function warnings(id: string): string[] {
  const n = helper.getNode(id);
  if (!n) return [];
  return n.warn
    .getCalls()
    .filter((c) => c.thisValue === n)
    .map((c) => String(c.args[0]));
}

function vendorProfile(): JupiterProfile {
  const p = defaultProfile();
  const set: Record<string, Partial<JupiterProfile['vendor'][number]>> = {
    loadVoltage: { oid: SIM_OIDS.loadVoltage, scale: 0.1 },
    ac_breaker_open: { oid: SIM_OIDS.acBreakerClosed },
    rectifierStates: {
      oid: `${SIM_OIDS.rectifierEntry}.2`,
      enumMap: { '1': { text: 'ok', ok: true }, '2': { text: 'fault', ok: false }, '3': { text: 'commFail', ok: false }, '4': { text: 'shutdown', ok: false } },
    },
  };
  p.vendor = p.vendor.map((r) => (set[r.key] ? { ...r, ...set[r.key] } : r));
  return p;
}

interface Rig {
  msgs: Msg[];
  caught: Msg[];
  byUnit(name: string): Msg[];
}

async function loadFlow(opts: {
  targets?: string;
  trapPort?: number;
  interval?: number;
  contacts?: object[];
  units?: object[];
  profile?: string;
  link?: boolean;
  modbusPort?: number;
  output?: string;
  /** the node's texts from the English catalogue */
  english?: boolean;
  /** node settings as a flow file holds them (an example's node), over the defaults below */
  node?: Record<string, unknown>;
  /** the link's request timeout (ms) and retries */
  snmpTimeout?: number;
  snmpRetries?: number;
}): Promise<Rig> {
  const flow: object[] = [
    { id: 'jtab', type: 'tab', label: 'jupiter test' },
    {
      type: 'jupiter-hvdc',
      name: 'jupiter',
      interval: opts.interval ?? 1,
      staleTime: 0,
      topicPrefix: 'jupiter',
      lang: 'en-US',
      units: opts.units ?? [],
      contacts: opts.contacts ?? [],
      profile: opts.profile ?? '',
      contactInterval: 0.2,
      output: opts.output ?? 'unit',
      ...(opts.node ?? {}),
      // the flow's own wiring wins over what an example's node carries
      id: 'jh',
      z: 'jtab',
      link: opts.link === false ? '' : 'ep',
      modbusLink: opts.modbusPort ? 'mb' : '',
      wires: [['out']],
    },
    { id: 'out', type: 'helper', z: 'jtab' },
    { id: 'jcatch', type: 'catch', z: 'jtab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'jtab' },
  ];
  if (opts.modbusPort) {
    flow.push({ id: 'mb', type: 'modbus-endpoint', name: 'DI module', host: '127.0.0.1', port: opts.modbusPort, unitId: 1, timeout: 300, functionCode: '3', addressing: '0', reconnectMs: 200, reconnectMaxMs: 1000, maxGap: -1 });
  }
  if (opts.link !== false) {
    flow.push({
      id: 'ep',
      type: 'snmp-endpoint',
      name: 'sim',
      targets: opts.targets ?? '',
      port: 161,
      version: 'v2c',
      timeout: opts.snmpTimeout ?? 400,
      retries: opts.snmpRetries ?? 0,
      concurrency: 8,
      trapEnabled: opts.trapPort !== undefined,
      trapPort: opts.trapPort ?? 1162,
      trapAddress: '127.0.0.1',
    });
  }
  await helper.load([endpointNode, opts.english ? jupiterInEnglish : jupiterNode, catchNode, modbusNode], flow, opts.link === false ? {} : { ep: { community: 'public' } });
  const rig: Rig = { msgs: [], caught: [], byUnit: (name) => rig.msgs.filter((m) => m.device.name === name) };
  helper.getNode('out')?.on('input', (m) => rig.msgs.push(m));
  helper.getNode('caught')?.on('input', (m) => rig.caught.push(m));
  return rig;
}

describe('jupiter-hvdc node (real runtime, simulated agents)', function () {
  this.timeout(60_000);
  const units: JupiterUnit[] = [];
  const sockets: dgram.Socket[] = [];

  before((done) => {
    helper.startServer(done);
  });
  after((done) => {
    helper.stopServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await Promise.all(units.splice(0).map((u) => u.stop()));
    for (const s of sockets.splice(0)) s.close();
  });

  async function startUnit(options: Partial<ConstructorParameters<typeof JupiterUnit>[0]> = {}, port?: number): Promise<JupiterUnit> {
    const u = new JupiterUnit({ port: port ?? (await freeUdpPort()), index: units.length, ...options });
    await u.start();
    units.push(u);
    return u;
  }

  it('reads three units, one message per unit, with the envelope of the design', async () => {
    const a = await startUnit();
    const b = await startUnit();
    const c = await startUnit({ scenario: 'rectifier-fault' });
    const rig = await loadFlow({
      targets: [a, b, c].map((u) => `127.0.0.1:${u.port}`).join(','),
      units: [{ name: 'rack-a', target: `127.0.0.1:${a.port}` }],
      profile: exportProfile(vendorProfile()),
    });
    await waitFor(() => ['rack-a', `127.0.0.1:${b.port}`, `127.0.0.1:${c.port}`].every((n) => rig.byUnit(n).some((m) => m.quality === 'good')), 20_000, 'three units');
    const m = rig.byUnit('rack-a').find((x) => x.quality === 'good') as Msg;
    expect(m.topic).to.equal('jupiter/rack-a');
    expect(m.device).to.include({ name: 'rack-a', address: `127.0.0.1:${a.port}` });
    const p = m.payload;
    expect(p.dcOutputVoltage).to.equal(240);
    expect(p.loadVoltage).to.be.closeTo(239.6, 0.01); // vendor mapping (the simulator's own OID)
    expect(p.batteryVoltage).to.be.closeTo(241.5, 0.01);
    expect(p.soc).to.equal(100);
    expect(p.acInputOk).to.equal(true);
    expect(p.onBattery).to.equal(false);
    expect(p.flags).to.deep.include({ ac_breaker_open: 1 });
    expect(p.rectifiers).to.have.length(4);
    expect(m.alarms).to.deep.equal([]);
    // the rectifier fault of unit c: UPS-MIB ChargerFailed stands for rectifier_fault
    const mc = rig.byUnit(`127.0.0.1:${c.port}`).find((x) => x.quality === 'good') as Msg;
    const fault = mc.alarms.find((x) => x.id === 'rectifier_fault');
    expect(fault).to.include({ source: 'snmp', severity: 'major', raiseValue: 'ChargerFailed' });
    expect((mc.payload.rectifiers as Array<{ ok: boolean }>).filter((r) => !r.ok)).to.have.length(1);
    expect(rig.caught).to.deep.equal([]);
  });

  it('a dead unit costs only itself: live units beside it keep their interval and stay good', async () => {
    const a = await startUnit();
    const b = await startUnit();
    // a socket that takes requests and never answers: every poll of it times out, 2 s twice (one retry)
    const dead = dgram.createSocket('udp4');
    sockets.push(dead);
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    const deadPort = (dead.address() as { port: number }).port;
    const rig = await loadFlow({ targets: `127.0.0.1:${a.port},127.0.0.1:${deadPort},127.0.0.1:${b.port}`, interval: 1, snmpTimeout: 2000, snmpRetries: 1, english: true });
    await waitFor(() => rig.byUnit(`127.0.0.1:${b.port}`).some((m) => m.quality === 'good'), 10_000, 'unit b');
    const from = rig.msgs.length;
    await new Promise((r) => setTimeout(r, 4500));
    const window = rig.msgs.slice(from);
    const goodOf = (port: number): number => window.filter((m) => m.device.name === `127.0.0.1:${port}` && m.quality === 'good').length;
    // one poll a second: 4 or 5 in 4.5 s; paced by the dead unit (4 s of timeouts + 1 s) it would be 1
    expect(goodOf(a.port), 'unit a polls in 4.5 s').to.be.at.least(3);
    expect(goodOf(b.port), 'unit b polls in 4.5 s').to.be.at.least(3);
    expect(window.filter((m) => m.device.name !== `127.0.0.1:${deadPort}` && m.quality !== 'good'), 'live units stay good').to.deep.equal([]);
    await waitFor(() => rig.byUnit(`127.0.0.1:${deadPort}`).some((m) => m.quality === 'comm_error'), 10_000, 'the dead unit reported');
    const last = statuses('jh').slice(-1)[0];
    expect(last).to.include({ fill: 'yellow', shape: 'dot' });
    expect(last.text).to.match(/2\/3/);
    expect(rig.caught.filter((c) => c.topic === `jupiter/127.0.0.1:${deadPort}`), 'the dead unit reported once').to.have.length(1);
  });

  it('drops a value no unit can have (1.79e308 V from a sensor row) and sends bad_data naming the key', async () => {
    // sensor 2 ("LOAD output voltage") with entPhySensorScale 110 and precision -3: 179 × 10^303 × 10^3 = 1.79e308 V
    const sensor = '1.3.6.1.2.1.99.1.1.1';
    const hostile = await startUnit({ overrides: { [`${sensor}.2.2`]: 110, [`${sensor}.3.2`]: -3, [`${sensor}.4.2`]: 179 } });
    const sane = await startUnit();
    const profile = defaultProfile();
    profile.entityMap = [{ key: 'loadVoltage', sensor: 'LOAD output voltage' }];
    const rig = await loadFlow({ targets: `127.0.0.1:${hostile.port},127.0.0.1:${sane.port}`, profile: exportProfile(profile) });
    const name = `127.0.0.1:${hostile.port}`;
    const m = (await waitFor(() => rig.byUnit(name).find((x) => x.quality === 'bad_data'), 15_000, 'bad_data')) as Msg & { badKeys?: string[] };
    expect(m.badKeys).to.deep.equal(['loadVoltage']);
    expect(m.payload).to.not.have.property('loadVoltage');
    expect(m.payload.dcOutputVoltage).to.equal(240); // the rest of the answer still goes out
    expect(m.payload.sensors).to.not.have.property('LOAD output voltage');
    expect(JSON.stringify(m)).to.not.match(/e\+30\d/);
    expect(m.alarms.map((a) => a.id)).to.not.include('load_output_undervoltage');
    await waitFor(() => rig.caught.find((c) => c.topic === `jupiter/${name}`), 5000, 'error to Catch');
    // the sane unit is good, with its LOAD voltage from the same sensor row
    const ok = await waitFor(() => rig.byUnit(`127.0.0.1:${sane.port}`).find((x) => x.quality === 'good'), 15_000, 'sane unit');
    expect(ok.payload.loadVoltage).to.be.closeTo(239.6, 0.01);
    expect((ok as Msg & { badKeys?: string[] }).badKeys).to.equal(undefined);
  });

  it('raises network interruption when a unit stops, once to Catch, and ends it when the unit restarts', async () => {
    const a = await startUnit();
    const b = await startUnit();
    const rig = await loadFlow({ targets: `127.0.0.1:${a.port},127.0.0.1:${b.port}` });
    const nameA = `127.0.0.1:${a.port}`;
    const nameB = `127.0.0.1:${b.port}`;
    await waitFor(() => rig.byUnit(nameA).some((m) => m.quality === 'good'), 15_000, 'first good poll');
    await a.stop();
    units.splice(units.indexOf(a), 1);
    const down = await waitFor(() => rig.byUnit(nameA).find((m) => m.quality === 'comm_error'), 15_000, 'comm_error');
    expect(down.alarms.map((x) => x.id)).to.include('network_interruption');
    expect(down.alarmEvents?.find((e) => e.id === 'network_interruption')).to.include({ event: 'raised', raiseValue: 1, source: 'snmp' });
    // the other unit keeps reporting good values while a is dead
    const seenB = rig.byUnit(nameB).length;
    await waitFor(() => rig.byUnit(nameB).length >= seenB + 2, 15_000, 'unit b keeps going');
    expect(rig.byUnit(nameB).slice(seenB).every((m) => m.quality === 'good')).to.equal(true);
    // several failed polls, one error to Catch
    await waitFor(() => rig.byUnit(nameA).filter((m) => m.quality === 'comm_error').length >= 3, 15_000, 'more failed polls');
    // (the message text is translated by the runtime's catalogue, which the test helper does not load: match the topic)
    expect(rig.caught.filter((m) => m.topic === `jupiter/${nameA}`)).to.have.length(1);
    // restart on the same port
    await startUnit({}, a.port);
    const up = await waitFor(() => rig.byUnit(nameA).find((m, i, all) => m.quality === 'good' && all.slice(0, i).some((x) => x.quality === 'comm_error')), 15_000, 'good again');
    expect(up.alarms.map((x) => x.id)).to.not.include('network_interruption');
    expect(up.alarmEvents?.find((e) => e.id === 'network_interruption')).to.include({ event: 'ended', raiseValue: 1, endValue: 0 });
  });

  it('treats a unit answering later than the timeout as failed without delaying the others', async () => {
    const slow = await startUnit({ delayMs: 1500 });
    const fast = await startUnit();
    const rig = await loadFlow({ targets: `127.0.0.1:${slow.port},127.0.0.1:${fast.port}` });
    await waitFor(() => rig.byUnit(`127.0.0.1:${fast.port}`).filter((m) => m.quality === 'good').length >= 2, 15_000, 'fast unit');
    await waitFor(() => rig.byUnit(`127.0.0.1:${slow.port}`).some((m) => m.quality === 'comm_error'), 15_000, 'slow unit fails');
    expect(rig.byUnit(`127.0.0.1:${slow.port}`).some((m) => m.quality === 'good')).to.equal(false);
  });

  it('survives an agent that answers garbage', async () => {
    const garbagePort = await freeUdpPort();
    const sock = dgram.createSocket('udp4');
    sockets.push(sock);
    sock.on('message', (_m, rinfo) => {
      sock.send(Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c]), rinfo.port, rinfo.address);
      sock.send(Buffer.from('not snmp at all'), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => sock.bind(garbagePort, '127.0.0.1', () => r()));
    const good = await startUnit();
    const rig = await loadFlow({ targets: `127.0.0.1:${garbagePort},127.0.0.1:${good.port}` });
    await waitFor(() => rig.byUnit(`127.0.0.1:${garbagePort}`).some((m) => m.quality === 'comm_error'), 15_000, 'garbage unit fails');
    await waitFor(() => rig.byUnit(`127.0.0.1:${good.port}`).filter((m) => m.quality === 'good').length >= 2, 15_000, 'good unit unaffected');
  });

  it('takes traps end to end: an AC failure reaches the node before the next poll', async () => {
    const trapPort = await freeUdpPort();
    const unit = await startUnit({ trap: { host: '127.0.0.1', port: trapPort, version: 'v2c', community: 'public' } });
    const rig = await loadFlow({ targets: `127.0.0.1:${unit.port}`, trapPort, interval: 3600 });
    const name = `127.0.0.1:${unit.port}`;
    await waitFor(() => rig.byUnit(name).some((m) => m.quality === 'good'), 15_000, 'first poll');
    const polled = rig.byUnit(name).length;
    unit.setScenario('ac-failure'); // the simulator sends upsTrapOnBattery and upsTrapAlarmEntryAdded
    const m = await waitFor(() => rig.byUnit(name).slice(polled).find((x) => x.alarms.some((a) => a.id === 'ac_interruption')), 15_000, 'trap message');
    const ac = m.alarms.find((a) => a.id === 'ac_interruption') as Alarm;
    expect(ac.source).to.equal('trap');
    expect(m.payload.onBattery).to.equal(true);
    expect(m.payload.acInputOk).to.equal(false);
    // a poll now confirms it from SNMP data and keeps the record (source stays where it came from)
    helper.getNode('jh')?.receive({ topic: 'poll' });
    const confirmed = await waitFor(() => rig.byUnit(name).slice(polled).find((x) => x.quality === 'good' && x.payload.acInputVoltage === 0), 15_000, 'poll after trap');
    expect(confirmed.alarms.find((a) => a.id === 'ac_interruption')).to.include({ source: 'trap' });
  });

  it('debounces contacts, honours NO/NC, and a contacts-only unit reports its alarms', async () => {
    const rig = await loadFlow({
      link: false,
      contacts: [
        { n: 1, unit: 'rack-7', alarm: 'ac_breaker_open', type: 'NC', closedLevel: 1, debounceMs: 200 },
        { n: 2, unit: 'rack-7', alarm: 'load_breaker_open', type: 'NO', closedLevel: 1, debounceMs: 0 },
      ],
    });
    const jh = helper.getNode('jh');
    if (!jh) throw new Error('node missing');
    // NC contact closed = healthy; NO contact open = healthy
    jh.receive({ topic: 'contact/1', payload: true });
    jh.receive({ topic: 'contact/2', payload: 0 });
    await waitFor(() => rig.msgs.some((m) => (m.payload.contacts as Record<string, boolean>)?.['1'] === true), 5000, 'contact 1 settles');
    const healthy = rig.msgs[rig.msgs.length - 1];
    expect(healthy.device.name).to.equal('rack-7');
    expect(healthy.quality).to.equal('good');
    expect(healthy.alarms).to.deep.equal([]);
    expect(healthy.payload.flags).to.deep.include({ ac_breaker_open: 1, load_breaker_open: 1 });
    // a bounce shorter than 200 ms on the NC contact: no alarm
    const before = rig.msgs.length;
    jh.receive({ topic: 'contact/1', payload: false });
    await new Promise((r) => setTimeout(r, 50));
    jh.receive({ topic: 'contact/1', payload: true });
    await new Promise((r) => setTimeout(r, 400));
    expect(rig.msgs.slice(before).some((m) => m.alarms.length > 0)).to.equal(false);
    // the NC contact opens for real: alarm, raised at 0.00 as the manual logs "AC breaker open"
    jh.receive({ topic: 'contact/1', payload: false });
    const raised = await waitFor(() => rig.msgs.find((m) => m.alarms.some((a) => a.id === 'ac_breaker_open')), 5000, 'NC alarm');
    expect(raised.alarms[0]).to.include({ source: 'contact', raiseValue: 0 });
    expect(raised.payload.contactStates).to.deep.include({ '1': 'open' });
    // NO contact closes: alarm without debounce
    jh.receive({ topic: 'contact/2', payload: 1 });
    await waitFor(() => rig.msgs.some((m) => m.alarms.some((a) => a.id === 'load_breaker_open')), 5000, 'NO alarm');
    // recovery ends the record with the value at end
    jh.receive({ topic: 'contact/1', payload: true });
    const ended = await waitFor(() => rig.msgs.find((m) => m.alarmEvents?.some((e) => e.id === 'ac_breaker_open' && e.event === 'ended')), 5000, 'end');
    expect(ended.alarmEvents?.find((e) => e.id === 'ac_breaker_open')).to.include({ raiseValue: 0, endValue: 1 });
    // bad contact input reaches Catch
    jh.receive({ topic: 'contact/1', payload: 'maybe' });
    jh.receive({ topic: 'contact/9', payload: 1 });
    await waitFor(() => rig.caught.length >= 2, 5000, 'catch');
  });

  it('polls contacts from a Modbus digital-input module, with a module that stops answering as comm_error', async () => {
    const inputs = [true, false, false, false, false, false, false, false];
    let silent = false;
    const server = new ModbusTcpServer({
      port: await freeTcpPort(),
      bank: { readBits: (fc, address, count) => (fc === 2 && address + count <= inputs.length ? inputs.slice(address, address + count) : { exception: 2 }) },
      onRequest: () => (silent ? { action: 'ignore' } : undefined),
    });
    const port = await server.listen();
    try {
      const rig = await loadFlow({
        link: false,
        modbusPort: port,
        contacts: [
          { n: 1, unit: 'rack-5', alarm: 'ac_breaker_open', type: 'NC', debounceMs: 0, source: 'modbus', modbus: { fc: 2, address: 0, bit: 0 } },
          { n: 2, unit: 'rack-5', alarm: 'load_breaker_open', type: 'NO', debounceMs: 0, source: 'modbus', modbus: { fc: 2, address: 0, bit: 3 } },
        ],
      });
      const healthy = await waitFor(() => rig.msgs.find((m) => m.payload.contacts && Object.keys(m.payload.contacts as object).length === 2), 10_000, 'both contacts read');
      expect(healthy.payload.contacts).to.deep.equal({ '1': true, '2': false });
      expect(healthy.alarms).to.deep.equal([]);
      inputs[0] = false; // the NC breaker contact opens
      const raised = await waitFor(() => rig.msgs.find((m) => m.alarms.some((a) => a.id === 'ac_breaker_open')), 10_000, 'alarm from the module');
      expect(raised.alarms[0]).to.include({ source: 'contact', raiseValue: 0 });
      silent = true; // the module stops answering: comm_error, not "open"
      const lost = await waitFor(() => rig.msgs.find((m) => (m.payload.contactStates as Record<string, string>)?.['2'] === 'comm_error'), 10_000, 'comm_error');
      expect(lost.quality).to.equal('comm_error');
      expect(lost.payload.contacts).to.deep.equal({});
      expect(lost.alarms.map((a) => a.id)).to.deep.equal(['ac_breaker_open']); // cannot tell: kept as it was
      expect(lost.alarms.some((a) => a.id === 'load_breaker_open')).to.equal(false);
      await waitFor(() => rig.caught.some((c) => c.topic === 'jupiter/modbus/2/0'), 10_000, 'error to Catch');
      silent = false;
      inputs[0] = true;
      await waitFor(() => rig.msgs.find((m) => m.alarmEvents?.some((e) => e.id === 'ac_breaker_open' && e.event === 'ended')), 15_000, 'recovered');
    } finally {
      await helper.unload();
      await server.close();
    }
  });

  it('sends one message per value when asked, with the alarm events on the alarms message', async () => {
    const rig = await loadFlow({ link: false, output: 'value', contacts: [{ n: 1, unit: 'rack-8', alarm: 'load_breaker_open', type: 'NO', debounceMs: 0 }] });
    helper.getNode('jh')?.receive({ topic: 'contact/1', payload: true });
    const alarms = await waitFor(() => rig.msgs.find((m) => m.topic === 'jupiter/rack-8/alarms'), 5000, 'per-value alarms message');
    expect(alarms.payload).to.deep.equal(['load_breaker_open']);
    expect(alarms.alarmEvents?.[0]).to.include({ id: 'load_breaker_open', event: 'raised' });
    const contacts = rig.msgs.find((m) => m.topic === 'jupiter/rack-8/contacts');
    expect(contacts?.payload).to.deep.equal({ '1': true });
    expect(rig.msgs.every((m) => m.topic.startsWith('jupiter/rack-8/'))).to.equal(true);
  });

  it('merges contacts into an SNMP unit and reports a profile error instead of crashing', async () => {
    const unit = await startUnit();
    const rig = await loadFlow({
      targets: `127.0.0.1:${unit.port}`,
      contacts: [{ n: 3, unit: `127.0.0.1:${unit.port}`, alarm: 'battery_bms_fault', type: 'NO', debounceMs: 0 }],
    });
    const name = `127.0.0.1:${unit.port}`;
    await waitFor(() => rig.byUnit(name).some((m) => m.quality === 'good'), 15_000, 'poll');
    helper.getNode('jh')?.receive({ topic: 'contact/3', payload: true });
    const m = await waitFor(() => rig.byUnit(name).find((x) => x.alarms.some((a) => a.id === 'battery_bms_fault')), 5000, 'contact alarm on SNMP unit');
    expect(m.alarms.find((a) => a.id === 'battery_bms_fault')).to.include({ source: 'contact' });
    expect(m.payload.contacts).to.deep.equal({ '3': true });
    await helper.unload();
    const bad = await loadFlow({ targets: `127.0.0.1:${unit.port}`, profile: '{"format":"dcpower-jupiter-profile","version":1,"vendor":[{"key":"x","oid":"1.2.x","type":"gauge"}]}' });
    await waitFor(() => bad.caught.some((c) => c.topic === 'jupiter/profile'), 5000, 'profile error');
    expect(bad.msgs).to.deep.equal([]);
  });
  it('keeps the topics of the shipped example when only its link is pointed at other units (the address lives in the link)', async () => {
    const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'jupiter-hvdc-three-units.json'), 'utf8')) as Array<Record<string, unknown>>;
    const node = example.find((n) => n.type === 'jupiter-hvdc') as Record<string, unknown>;
    expect(node.units).to.deep.equal([
      { name: 'rack-1', position: 1 },
      { name: 'rack-2', position: 2 },
      { name: 'rack-3', position: 3 },
    ]);
    // the user's units answer elsewhere: the link is the only thing changed
    const racks = [await startUnit(), await startUnit(), await startUnit()];
    const rig = await loadFlow({ targets: racks.map((u) => `127.0.0.1:${u.port}`).join(', '), english: true, node: { ...node, interval: 1 } });
    const first = await Promise.all(
      ['rack-1', 'rack-2', 'rack-3'].map((name) => waitFor(() => rig.byUnit(name).find((m) => m.quality === 'good'), 20_000, `${name} read`)),
    );
    first.forEach((m, i) => {
      expect(m.topic).to.equal(`jupiter/rack-${i + 1}`);
      expect(m.device.address).to.equal(`127.0.0.1:${racks[i].port}`);
    });
    expect(rig.msgs.filter((m) => m.topic.startsWith('jupiter/127.')), 'no unit renamed to its address').to.deep.equal([]);
    expect(warnings('jh').filter((w) => /not used|ignored/.test(w))).to.deep.equal([]);
  });

  it('gives the unit its name when only the link address changes', async () => {
    const before = await startUnit();
    const units = [{ name: 'rack-1', position: 1 }];
    let rig = await loadFlow({ targets: `127.0.0.1:${before.port}`, units });
    const m1 = await waitFor(() => rig.byUnit('rack-1').find((m) => m.quality === 'good'), 15_000, 'rack-1 at the first address');
    expect(m1).to.deep.include({ topic: 'jupiter/rack-1' });
    expect(m1.device.address).to.equal(`127.0.0.1:${before.port}`);
    await helper.unload();
    // the unit moved (or the simulator gave way to the real one): edit the link, deploy, nothing else
    const after = await startUnit();
    rig = await loadFlow({ targets: `127.0.0.1:${after.port}`, units });
    const m2 = await waitFor(() => rig.byUnit('rack-1').find((m) => m.quality === 'good'), 15_000, 'rack-1 at the new address');
    expect(m2.topic).to.equal('jupiter/rack-1');
    expect(m2.device.address).to.equal(`127.0.0.1:${after.port}`);
    expect(rig.msgs.every((m) => m.topic === 'jupiter/rack-1')).to.equal(true);
  });

  it('reads a flow saved with unit addresses in the rows (older versions) with the same topics', async () => {
    const a = await startUnit();
    const b = await startUnit();
    // the old shape, rows in another order than the link's
    const rig = await loadFlow({
      targets: `127.0.0.1:${a.port},127.0.0.1:${b.port}`,
      units: [
        { name: 'rack-2', target: `127.0.0.1:${b.port}` },
        { name: 'rack-1', target: `127.0.0.1:${a.port}` },
      ],
      english: true,
    });
    const [m1, m2] = await Promise.all(['rack-1', 'rack-2'].map((name) => waitFor(() => rig.byUnit(name).find((m) => m.quality === 'good'), 15_000, name)));
    expect(m1.device.address).to.equal(`127.0.0.1:${a.port}`);
    expect(m2.device.address).to.equal(`127.0.0.1:${b.port}`);
    expect(rig.msgs.map((m) => m.topic).filter((t) => t !== 'jupiter/rack-1' && t !== 'jupiter/rack-2')).to.deep.equal([]);
    expect(warnings('jh')).to.deep.equal([]);
  });

  it('warns in the status and the log when a named unit is not on the link, and reads the others', async () => {
    const a = await startUnit();
    const b = await startUnit();
    const rig = await loadFlow({
      targets: `127.0.0.1:${a.port},127.0.0.1:${b.port}`,
      units: [
        { name: 'rack-1', position: 1 },
        { name: 'rack-2', position: 2 },
        { name: 'rack-3', position: 3 },
        { name: 'rack-9', target: '10.9.9.9' },
      ],
      english: true,
    });
    await waitFor(() => ['rack-1', 'rack-2'].every((n) => rig.byUnit(n).some((m) => m.quality === 'good')), 15_000, 'the units on the link');
    // each unit reports on its own schedule: wait for the status that counts both
    const warned = await waitFor(() => statuses('jh').find((s) => /ok \d\d:\d\d:\d\d 2\/2/.test(s.text ?? '')), 10_000, 'a status after both units were read');
    expect(warned.fill).to.equal('yellow');
    expect(warned.text).to.match(/2\/2 units rack-3 \+1 not on link$/);
    // from the first status on, not only after a poll
    expect(statuses('jh')[0]).to.deep.include({ fill: 'yellow', shape: 'ring', text: 'connecting rack-3 +1 not on link' });
    expect(warnings('jh')).to.deep.equal([
      "unit names rack-3 (#3), rack-9 (10.9.9.9) point to no unit of the link (units on the link: 2): they are not used; pick the link's units in the node's dialog",
    ]);
    expect(rig.msgs.some((m) => m.device.name === 'rack-3' || m.device.name === 'rack-9')).to.equal(false);
    expect(rig.caught, 'a warning, not an error for Catch').to.deep.equal([]);
  });
});
