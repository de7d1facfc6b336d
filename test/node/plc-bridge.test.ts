import { expect } from 'chai';
import * as net from 'net';
import { freeTcpPort, waitFor } from '../helpers/ports';
import { modbusRequest, readBits, readRegisters } from '../helpers/modbus-raw';
import { helper, startServer, stopServer } from './red-helper';
import { ModbusTcpClient } from '../../lib/modbus/client';
import { decodeStatusWord, STATUS_FLAGS } from '../../nodes/bacs/registers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const bridgeNode = require('../../nodes/plc-bridge/plc-bridge');

const DEVICES = [
  {
    topic: 'bms/pack1',
    kind: 'jk-bms',
    staleTime: 30,
    keys: [{ key: 'voltage' }, { key: 'current' }, { key: 'cellVoltages', count: 3 }, { key: 'mosTemperature' }],
    alarms: [{ id: 'cellHigh' }],
  },
  { topic: 'bacs/room', kind: 'bacs', keys: [{ key: 'modules.voltage', count: 2 }], alarms: [] },
];

function flow(port: number, extra: Record<string, unknown> = {}): object[] {
  return [
    { id: 'tab1', type: 'tab' },
    { id: 'b1', z: 'tab1', type: 'dcpower-plc-bridge', name: '', host: '127.0.0.1', port, unitId: 1, blockSize: 200, wordOrder: 'high-first', devices: DEVICES, ...extra },
    { id: 'catch1', z: 'tab1', type: 'catch', scope: null, uncaught: false, wires: [['sink']] },
    { id: 'sink', z: 'tab1', type: 'helper' },
  ];
}

/** a port is free when something else can listen on it */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A connection that sends the 7 header bytes of a request announcing a 5-byte PDU, and nothing more. */
async function squatter(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(Buffer.from([0, 1, 0, 0, 0, 6, 1]));
  return socket;
}

async function listening(port: number): Promise<void> {
  await waitFor(async () => (await readRegisters(port, 1, 4, 0, 1))[0] === 1, 10_000, `bridge on ${port}`);
}

function statusTexts(id: string): string[] {
  const node = helper.getNode(id);
  return (node?.status.getCalls() ?? []).map((c) => String((c.args[0] as { text?: string }).text ?? ''));
}

describe('dcpower-plc-bridge node (Node-RED runtime)', function () {
  this.timeout(30_000);
  let port: number;

  before(startServer);
  after(stopServer);
  beforeEach(async () => {
    port = await freeTcpPort();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('serves what it was fed as input and holding registers and alarm bits', async () => {
    await helper.load(bridgeNode, flow(port));
    await listening(port);
    const bridge = helper.getNode('b1');
    const ts = Date.UTC(2026, 0, 2, 3, 4, 5);
    bridge?.receive({ topic: 'bms/pack1', payload: { voltage: 51.23, current: -7.25, cellVoltages: [3.2, 3.21, 3.199], mosTemperature: -4.5 }, quality: 'good', timestamp: ts, alarms: [] });
    bridge?.receive({ topic: 'bacs/room', payload: { modules: [{ id: 1, voltage: 13.5 }, { id: 2, voltage: 13.612 }] }, quality: 'bad_data', timestamp: ts });
    bridge?.receive({ topic: 'bms/pack1/cellHigh/2', payload: { id: 'bms/pack1/cellHigh/2', rule: 'cellHigh', topic: 'bms/pack1', index: 2, state: 'active-unacknowledged', active: true, acknowledged: false, severity: 'major', value: 3.21 } });
    await waitFor(async () => (await readRegisters(port, 1, 4, 210, 1))[0] === 5123, 10_000, 'values served');
    const input = await readRegisters(port, 1, 4, 200, 17);
    expect(input[0]).to.equal(0); // quality good
    expect(input[2]).to.equal(1); // one reading (alarm events do not count)
    expect(input.slice(4, 6)).to.deep.equal([(ts / 1000) >>> 16, (ts / 1000) & 0xffff]);
    expect(input.slice(10, 17)).to.deep.equal([5123, 0xffff, 0x10000 - 725, 3200, 3210, 3199, 0x10000 - 45]);
    expect(await readRegisters(port, 1, 3, 200, 17)).to.deep.equal(input);
    const bacs = await readRegisters(port, 1, 4, 400, 12);
    expect(bacs[0]).to.equal(3); // bad_data
    expect(bacs.slice(10)).to.deep.equal([13500, 13612]);
    expect(await readBits(port, 1, 2, 100, 11)).to.deep.equal([false, true, true, false, false, false, false, false, false, false, true]);
    expect(await readBits(port, 1, 1, 100, 11)).to.deep.equal(await readBits(port, 1, 2, 100, 11));
    const header = await readRegisters(port, 1, 4, 0, 10);
    expect(header[0]).to.equal(1);
    expect(header[1]).to.equal(200);
    expect(header[3]).to.equal(2);
    expect(header[9]).to.equal(2);
  });

  it('refuses every write with exception 01, answers only its unit id, and reads past the map with exception 02', async () => {
    await helper.load(bridgeNode, flow(port, { unitId: 7 }));
    await waitFor(async () => (await readRegisters(port, 7, 4, 0, 1))[0] === 1, 10_000, 'bridge');
    helper.getNode('b1')?.receive({ topic: 'bms/pack1', payload: { voltage: 50 }, quality: 'good' });
    await waitFor(async () => (await readRegisters(port, 7, 3, 210, 1))[0] === 5000, 10_000, 'value');
    const writes = [
      Buffer.from([0x06, 0x00, 0xd2, 0x00, 0x01]),
      Buffer.from([0x10, 0x00, 0xd2, 0x00, 0x01, 0x02, 0x00, 0x01]),
      Buffer.from([0x05, 0x00, 0x6e, 0xff, 0x00]),
      Buffer.from([0x0f, 0x00, 0x6e, 0x00, 0x01, 0x01, 0x01]),
    ];
    for (const pdu of writes) {
      const reply = await modbusRequest(port, 7, pdu);
      expect([reply[0], reply[1]], `FC${pdu[0]}`).to.deep.equal([pdu[0] | 0x80, 1]);
    }
    expect((await readRegisters(port, 7, 3, 210, 1))[0]).to.equal(5000);
    const otherUnit = await modbusRequest(port, 1, Buffer.from([0x04, 0, 0, 0, 1]));
    expect([otherUnit[0], otherUnit[1]]).to.deep.equal([0x84, 0x0b]);
    const past = await modbusRequest(port, 7, Buffer.from([0x04, 0x02, 0x58, 0, 1])); // 600: past slot 2
    expect([past[0], past[1]]).to.deep.equal([0x84, 0x02]);
  });

  it('with "PLC may acknowledge", an ON write to an alarm coil sends ack commands for alarm-rules; registers stay read-only', async () => {
    const f = flow(port, { allowAck: true });
    (f[1] as { wires?: string[][] }).wires = [['sink']];
    await helper.load(bridgeNode, f);
    await listening(port);
    const bridge = helper.getNode('b1');
    const event = (index: number, acknowledged: boolean) => ({
      topic: `bms/pack1/cellHigh/${index}`,
      payload: { id: `bms/pack1/cellHigh/${index}`, rule: 'cellHigh', topic: 'bms/pack1', index, state: acknowledged ? 'active-acknowledged' : 'active-unacknowledged', active: true, acknowledged, severity: 'major', value: 3.7 },
    });
    bridge?.receive(event(2, false));
    bridge?.receive(event(5, false));
    bridge?.receive(event(7, true));
    await waitFor(async () => (await readBits(port, 1, 1, 102, 1))[0] === true, 10_000, 'unacknowledged bit');
    const sink = helper.getNode('sink');
    const received: Array<Record<string, unknown>> = [];
    sink?.on('input', (msg: Record<string, unknown>) => received.push(msg));
    const on = await modbusRequest(port, 1, Buffer.from([0x05, 0x00, 110, 0xff, 0x00]));
    expect([...on]).to.deep.equal([0x05, 0x00, 110, 0xff, 0x00]);
    await waitFor(() => received.length === 2, 10_000, 'two ack commands');
    expect(received.map((m) => [m.command, m.alarmId, m.topic])).to.deep.equal([
      ['ack', 'bms/pack1/cellHigh/2', 'bms/pack1/cellHigh/2'],
      ['ack', 'bms/pack1/cellHigh/5', 'bms/pack1/cellHigh/5'],
    ]);
    // OFF does nothing; a coil that is no alarm bit and any register write are refused
    const off = await modbusRequest(port, 1, Buffer.from([0x05, 0x00, 110, 0x00, 0x00]));
    expect(off[0]).to.equal(0x05);
    const summary = await modbusRequest(port, 1, Buffer.from([0x05, 0x00, 100, 0xff, 0x00]));
    expect([summary[0], summary[1]]).to.deep.equal([0x85, 0x02]);
    const register = await modbusRequest(port, 1, Buffer.from([0x06, 0x00, 0xd2, 0x00, 0x01]));
    expect([register[0], register[1]]).to.deep.equal([0x86, 0x01]);
    // alarm-rules answers with the acknowledged state: the unacknowledged bit clears
    bridge?.receive(event(2, true));
    bridge?.receive(event(5, true));
    await waitFor(async () => (await readBits(port, 1, 1, 102, 1))[0] === false, 10_000, 'acknowledged');
    expect(received.length).to.equal(2);
  });

  it('marks a device stale when nothing arrives within its stale time, and counts unconfigured devices in the status', async () => {
    await helper.load(bridgeNode, flow(port, { devices: [{ ...DEVICES[0], staleTime: 1 }] }));
    await listening(port);
    const bridge = helper.getNode('b1');
    bridge?.receive({ topic: 'bms/pack1', payload: { voltage: 50 }, quality: 'good' });
    bridge?.receive({ topic: 'bms/unknown', payload: { voltage: 50 }, quality: 'good' });
    await waitFor(async () => (await readRegisters(port, 1, 4, 200, 1))[0] === 1, 10_000, 'stale quality');
    expect((await readBits(port, 1, 2, 0, 1))[0]).to.equal(true);
    await waitFor(() => statusTexts('b1').some((t) => t.includes('0/1 fresh') && t.includes('1 ignored')), 10_000, 'status with ignored count');
  });

  it('frees its port on redeploy and on removal', async () => {
    await helper.load(bridgeNode, flow(port));
    await listening(port);
    // keep a client connected across the redeploy: the close must not wait for it
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    await waitFor(() => statusTexts('b1').some((t) => t.startsWith('1 clients')), 10_000, 'client counted');
    for (let i = 0; i < 5; i++) {
      await helper.setFlows(flow(port, { name: `redeploy ${i}` }), 'nodes');
      await listening(port);
    }
    client.destroy();
    await helper.unload();
    expect(await portFree(port)).to.equal(true);
  });

  it('32 idle connections that each sent 7 header bytes do not lock out a PLC: it replaces the longest idle and is served', async () => {
    // a long request timeout, so that only the connection limit is at work here
    await helper.load(bridgeNode, flow(port, { requestTimeout: 60 }));
    await listening(port);
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 32; i++) sockets.push(await squatter(port));
      await waitFor(() => statusTexts('b1').some((t) => t.startsWith('32 clients')), 10_000, '32 clients counted');
      const firstClosed = new Promise((resolve) => sockets[0].once('close', resolve));
      expect(await readRegisters(port, 1, 4, 0, 1)).to.deep.equal([1]);
      await firstClosed;
      expect(sockets.slice(1).every((s) => !s.destroyed)).to.equal(true);
      // the PLC's one-shot connection has closed again: 31 squatters left, one dropped
      await waitFor(() => statusTexts('b1').some((t) => t.startsWith('31 clients') && t.endsWith('1 dropped')), 10_000, 'status counts the dropped squatter');
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('closes a half-sent request after the request timeout and an idle connection after the idle timeout, both set in the dialog', async () => {
    await helper.load(bridgeNode, flow(port, { requestTimeout: '1', idleTimeout: '3' }));
    await listening(port);
    const opened = Date.now();
    const half = await squatter(port);
    const idle = net.connect(port, '127.0.0.1');
    idle.on('error', () => undefined);
    idle.resume(); // reads its reply, so it sees the close
    await new Promise((r) => idle.once('connect', r));
    idle.write(Buffer.from([0, 9, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1])); // one whole request, then nothing
    try {
      const closedAt = (s: net.Socket): Promise<number> => new Promise((resolve) => s.once('close', () => resolve(Date.now() - opened)));
      const [halfMs, idleMs] = await Promise.all([closedAt(half), closedAt(idle)]);
      expect(halfMs, 'half-sent request').to.be.within(900, 2900);
      expect(idleMs, 'idle connection').to.be.within(2900, 6000);
      await waitFor(() => statusTexts('b1').some((t) => t.endsWith('2 dropped')), 10_000, 'both counted as dropped');
    } finally {
      half.destroy();
      idle.destroy();
    }
  });

  it('keeps serving other clients while one pipelines reads and never reads its socket', async () => {
    await helper.load(bridgeNode, flow(port));
    await listening(port);
    const greedy = net.connect(port, '127.0.0.1');
    greedy.on('error', () => undefined);
    try {
      await new Promise((r) => greedy.once('connect', r));
      greedy.pause();
      const request = Buffer.from([0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 125]);
      // 6 MB of replies: more than the loopback socket buffers take, so the bridge has to hold back
      for (let i = 0; i < 50; i++) {
        greedy.write(Buffer.concat(new Array<Buffer>(500).fill(request)));
        await new Promise((r) => setImmediate(r));
      }
      for (let i = 0; i < 3; i++) expect(await readRegisters(port, 1, 4, 0, 1)).to.deep.equal([1]);
      expect(greedy.destroyed).to.equal(false);
    } finally {
      greedy.destroy();
    }
  });

  it('with "PLC may acknowledge", a coil value other than ON/OFF and an FC15 whose count does not match its byte count get exception 03 and acknowledge nothing', async () => {
    const f = flow(port, { allowAck: true });
    (f[1] as { wires?: string[][] }).wires = [['sink']];
    await helper.load(bridgeNode, f);
    await listening(port);
    const bridge = helper.getNode('b1');
    bridge?.receive({
      topic: 'bms/pack1/cellHigh/2',
      payload: { id: 'bms/pack1/cellHigh/2', rule: 'cellHigh', topic: 'bms/pack1', index: 2, state: 'active-unacknowledged', active: true, acknowledged: false, severity: 'major', value: 3.7 },
    });
    await waitFor(async () => (await readBits(port, 1, 1, 102, 1))[0] === true, 10_000, 'unacknowledged bit');
    const received: unknown[] = [];
    helper.getNode('sink')?.on('input', (msg: unknown) => received.push(msg));
    const cases: Array<[string, number[], number]> = [
      ['FC05 value 0x1234', [0x05, 0x00, 110, 0x12, 0x34], 3],
      ['FC05 value 0xFF01', [0x05, 0x00, 110, 0xff, 0x01], 3],
      ['FC15 9 coils in 1 byte', [0x0f, 0x00, 110, 0x00, 0x09, 0x01, 0xff], 3],
      ['FC15 1 coil in 2 bytes', [0x0f, 0x00, 110, 0x00, 0x01, 0x02, 0x01, 0x00], 3],
      ['FC15 no coils', [0x0f, 0x00, 110, 0x00, 0x00, 0x00], 3],
      // register writes stay unsupported: 01 comes before any check of their data
      ['FC06 a byte too long', [0x06, 0x00, 0xd2, 0x00, 0x01, 0x00], 1],
      ['FC16 2 registers in 2 bytes', [0x10, 0x00, 0xd2, 0x00, 0x02, 0x02, 0x00, 0x01], 1],
    ];
    for (const [what, pdu, code] of cases) {
      const reply = await modbusRequest(port, 1, Buffer.from(pdu));
      expect([...reply], what).to.deep.equal([pdu[0] | 0x80, code]);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(received).to.deep.equal([]);
    expect((await readBits(port, 1, 1, 102, 1))[0]).to.equal(true);
    // a well-formed FC15 ON still acknowledges
    expect([...(await modbusRequest(port, 1, Buffer.from([0x0f, 0x00, 110, 0x00, 0x01, 0x01, 0x01])))]).to.deep.equal([0x0f, 0x00, 110, 0x00, 0x01]);
    await waitFor(() => received.length === 1, 10_000, 'ack command');
  });

  it('reports a port in use once to Catch and serves as soon as the port is free', async () => {
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
    await helper.load(bridgeNode, flow(port));
    const sink = helper.getNode('sink');
    const caught = await new Promise<Record<string, unknown>>((resolve) => sink?.once('input', resolve));
    expect(String((caught.error as { message?: string }).message)).to.match(/in use/);
    await waitFor(() => statusTexts('b1').some((t) => t.includes('in use')), 10_000, 'red status');
    await new Promise((r) => squatter.close(r));
    await waitFor(async () => (await readRegisters(port, 1, 4, 0, 1))[0] === 1, 20_000, 'bridge after the port is freed');
    expect(helper.getNode('b1')?.error.getCalls().length).to.equal(1);
  });

  it('serves its map through the admin API as JSON and CSV, and maps unsaved settings for the dialog', async () => {
    await helper.load(bridgeNode, flow(port));
    type Req = { get(u: string): Req; post(u: string): Req; send(b: object): Req; expect(s: number): Promise<{ body: Record<string, unknown>; text: string; headers: Record<string, string> }> };
    const request = helper.request() as Req;
    const res = await request.get('/dcpower/plc-bridge/b1/map').expect(200);
    const registers = res.body.registers as Array<{ address: number; key: string; scale: number }>;
    expect(registers.find((r) => r.address === 210)).to.include({ key: 'voltage', scale: 100 });
    expect(res.body.resolved).to.have.nested.property('devices[0].slot', 1);
    const csv = await (helper.request() as Req).get('/dcpower/plc-bridge/b1/map?format=csv').expect(200);
    expect(csv.headers['content-type']).to.match(/text\/csv/);
    expect(csv.text).to.contain('IR/HR,210,300211/400211,1,uint16,,100,V,1,bms/pack1,voltage,,voltage');
    await (helper.request() as Req).get('/dcpower/plc-bridge/nope/map').expect(404);
    const posted = await (helper.request() as Req).post('/dcpower/plc-bridge/map').send({ blockSize: 500, devices: [{ topic: 'x', kind: 'jk-bms', keys: [{ key: 'soc' }] }] }).expect(200);
    expect((posted.body.registers as Array<{ address: number; key: string }>).find((r) => r.address === 510)?.key).to.equal('soc');
    const keys = await (helper.request() as Req).get('/dcpower/plc-bridge/keys').expect(200);
    expect(keys.body).to.have.property('jk-bms');
  });

  it('survives garbage input without crashing and keeps serving', async () => {
    await helper.load(bridgeNode, flow(port, { devices: 'not json', blockSize: 'x', port: String(port), unitId: 'abc' }));
    await listening(port);
    const bridge = helper.getNode('b1');
    for (const msg of [{}, { topic: 5 }, { topic: 'bms/pack1', payload: null }, { payload: { rule: 'x', active: true, state: 'normal', topic: {} } }]) bridge?.receive(msg);
    expect((await readRegisters(port, 1, 4, 3, 1))[0]).to.equal(0);
    expect(bridge?.warn.getCalls().length).to.equal(1); // the map problem, once
  });

  it('serves the BACS status word as named bits (discrete inputs and coils), read back with the project Modbus client', async () => {
    const devices = [
      {
        topic: 'bacs/room',
        kind: 'bacs',
        keys: [{ key: 'statusWord' }, { key: 'alarmFlagsWord' }, { key: 'statusFlags' }, { key: 'alarmFlagBits' }],
        alarms: [{ id: 'bacs/room/moduleLost' }],
      },
    ];
    await helper.load(bridgeNode, flow(port, { devices }));
    await listening(port);
    const client = new ModbusTcpClient({ host: '127.0.0.1', port, unitId: 1, timeoutMs: 5000 });
    try {
      const bridge = helper.getNode('b1');
      // the bacs node's envelope: payload is its reading, flags also as ids in status[]
      const envelope = (word: number, quality = 'good') => {
        const status = decodeStatusWord(word);
        return {
          topic: 'bacs/room',
          payload: { status: status.flags, statusWord: word, batteryStatusWord: 1, batteryStatusBits: [0], alarmFlagsWord: 0x0005, alarmFlagBits: [0, 2], stringCount: 1, moduleCount: 4 },
          quality,
          timestamp: Date.now(),
          alarms: [],
        };
      };
      const statusAt = 111; // slot 1 bits from 100; the alarm at 110; the status run after it
      const names = (bits: boolean[]) => ['communicationLost', ...STATUS_FLAGS.map((f) => f.id)].filter((_, i) => bits[i]);
      for (const word of [0x0041, 0x0001 | 0x0004 | 0x0100]) {
        bridge?.receive(envelope(word));
        await waitFor(async () => (await client.readRegisters(4, 210, 1))[0] === word, 10_000, `status word ${word}`);
        const inputs = await client.readBits(2, statusAt, 15);
        expect(names(inputs)).to.deep.equal(decodeStatusWord(word).flags);
        expect(await client.readBits(1, statusAt, 15)).to.deep.equal(inputs);
        expect((await client.readRegisters(4, 200, 1))[0]).to.equal(0); // quality good
      }
      // unnamed bits of 1002 follow its run: bits 0 and 2 of 0x0005
      expect(await client.readBits(2, statusAt + 15, 4)).to.deep.equal([true, false, true, false]);
      expect((await client.readRegisters(4, 211, 1))[0]).to.equal(5);
      // 0x0000: communication lost, never "all clear"; quality comm_error even if the sender said good
      bridge?.receive(envelope(0));
      await waitFor(async () => (await client.readRegisters(4, 210, 1))[0] === 0, 10_000, 'status word 0');
      expect(names(await client.readBits(2, statusAt, 15))).to.deep.equal(['communicationLost']);
      expect((await client.readRegisters(4, 200, 1))[0]).to.equal(2);
      expect((await client.readBits(2, 100, 1))[0]).to.equal(true); // data not good
      // the map the dialog shows names every bit
      type Req = { get(u: string): Req; expect(s: number): Promise<{ body: Record<string, unknown>; text: string }> };
      const res = await (helper.request() as Req).get('/dcpower/plc-bridge/b1/map').expect(200);
      const bits = res.body.bits as Array<{ address: number; key: string; label?: { i18n?: string } }>;
      expect(bits.find((b) => b.address === statusAt + 1)).to.deep.include({ key: 'statusFlags.running', label: { i18n: '@dcpower/node-red-nodes/bacs:bacs.flags.running' } });
      const csv = await (helper.request() as Req).get('/dcpower/plc-bridge/b1/map?format=csv').expect(200);
      expect(csv.text).to.contain('DI/coil,111,100112/000112,1,bit,,,,1,bacs/room,statusFlags.communicationLost,,statusWord = 0x0000 BACS_STATE_NONE:');
    } finally {
      await client.close();
    }
  });
});
