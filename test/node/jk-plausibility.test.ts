/**
 * Corrupted frames that pass their checksum, end to end: the real NW capture nw-03 served by a fake RS485-to-TCP
 * gateway to a jk-bms node, whose messages feed an alarm-rules node with the JK Li-ion preset (the capture is a
 * 13S Li-ion pack). A frame with an impossible cell is rejected, one with impossible MOS temperature and SOC goes
 * out as bad_data without them, and neither raises or clears an alarm.
 */
import { expect } from 'chai';
import * as net from 'net';
import { jkPresets } from '../../nodes/jk-bms/alarms';
import { waitFor as until } from '../helpers/ports';
import { corruptedNwCapture, nwCapture, nwOffset, resumNw } from '../helpers/jk-corrupt';
import { helper, startServer, stopServer, TestNode } from './red-helper';

/* eslint-disable @typescript-eslint/no-var-requires */
const busNode = require('../../nodes/links/rs485-bus');
const jkNode = require('../../nodes/jk-bms/jk-bms');
const alarmRulesNode = require('../../nodes/alarm-rules/alarm-rules');
const catchNode = require('@node-red/nodes/core/common/25-catch');
/* eslint-enable @typescript-eslint/no-var-requires */

interface Msg {
  topic: string;
  payload: Record<string, unknown>;
  quality: string;
  badKeys?: string[];
  error?: { message: string };
}

/** The capture with its MOS temperature set to `celsius` (a real reading, below 100 °C), checksum fixed. */
function withMosTemperature(celsius: number): Buffer {
  const f = nwCapture();
  const at = nwOffset(f, 0x79) + 1 + f[nwOffset(f, 0x79)];
  expect(f[at]).to.equal(0x80);
  f.writeUInt16BE(celsius, at + 1);
  return resumNw(f);
}

describe('jk-bms plausibility with alarm-rules downstream (Node-RED runtime, fake gateway)', function () {
  this.timeout(30000);
  let server: net.Server;
  let port: number;
  let reply: Buffer = nwCapture();
  const sockets = new Set<net.Socket>();

  before(startServer);
  after(stopServer);
  beforeEach(async () => {
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('data', (data) => {
        if (data[0] === 0x4e && data[1] === 0x57) socket.write(reply);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterEach(async () => {
    await helper.unload();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('rejects the impossible frame, drops impossible keys as bad_data, and the JK preset neither raises nor clears', async () => {
    const preset = jkPresets.find((p) => p.id === 'jk-li-ion');
    if (!preset) throw new Error('preset jk-li-ion missing');
    await helper.load(
      [busNode, jkNode, alarmRulesNode, catchNode],
      [
        { id: 'tab', type: 'tab', label: 'jk' },
        { id: 'bus1', type: 'rs485-bus', link: 'tcp', host: '127.0.0.1', port, gap: 10, timeout: 300, reconnectMs: 100, reconnectMaxMs: 500 },
        { id: 'jk1', type: 'jk-bms', z: 'tab', bus: 'bus1', protocol: 'jk-nw', addresses: '1', interval: 0.2, staleTime: 0, topic: 'jk', wires: [['out', 'ar']] },
        { id: 'ar', type: 'alarm-rules', z: 'tab', name: 'jk alarms', rules: preset.rules, wires: [['events'], []] },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'events', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: ['jk1'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
    );
    const got: Msg[] = [];
    const events: Msg[] = [];
    const caught: Msg[] = [];
    (helper.getNode('out') as TestNode).on('input', (m: Msg) => got.push(m));
    (helper.getNode('events') as TestNode).on('input', (m: Msg) => events.push(m));
    (helper.getNode('caught') as TestNode).on('input', (m: Msg) => caught.push(m));
    const after = (n: number, pick: (m: Msg) => boolean): Promise<Msg> => until(() => got.slice(n).find(pick), 10000);

    // 1. a real MOSFET over-temperature (80 °C > 75 °C): the preset raises it
    reply = withMosTemperature(80);
    await after(0, (m) => m.quality === 'good' && m.payload.mosTemperature === 80);
    const raised = await until(() => events.find((e) => String(e.topic).endsWith('-mos-otp')), 5000);
    expect(raised.payload).to.include({ state: 'active-unacknowledged', value: 80 });
    const eventsBefore = events.length;

    // 2. MOS temperature −65,436 °C and SOC 255 %, checksum recomputed: bad_data without those keys
    reply = corruptedNwCapture({ cell: false });
    let mark = got.length;
    const bad = await after(mark, (m) => m.quality === 'bad_data');
    expect(bad.badKeys).to.deep.equal(['soc', 'mosTemperature']);
    expect(bad.payload).to.not.have.any.keys('soc', 'mosTemperature');
    expect(bad.payload.cellVoltages).to.have.length(13);
    expect(bad.payload.voltage).to.equal(53.13);
    await until(() => caught.find((c) => /implausible values dropped/.test(c.error?.message ?? '')), 5000);

    // 3. a cell of 65.535 V as well: the frame is rejected like a bad checksum (bad_data, empty payload)
    reply = corruptedNwCapture();
    mark = got.length;
    await until(() => caught.find((c) => /frame rejected.*cellVoltages\[4\]/.test(c.error?.message ?? '')), 10000);
    // it was bad_data already: the rejection does not repeat the quality message, and no value went out
    expect(got.slice(mark).every((m) => m.quality === 'bad_data')).to.equal(true);
    expect(got.some((m) => Array.isArray(m.payload.cellVoltages) && (m.payload.cellVoltages as number[]).some((c) => c > 5))).to.equal(false);
    await new Promise((r) => setTimeout(r, 600)); // a few more rejected polls

    // nothing in 2 and 3 raised (cell over-voltage from 65.535 V) or cleared (MOS over-temperature) an alarm
    expect(events.slice(eventsBefore).map((e) => `${e.topic} ${String(e.payload.state)}`)).to.deep.equal([]);

    // 4. the real reading again: the alarm clears only now, from a real value
    reply = withMosTemperature(30);
    await until(() => events.slice(eventsBefore).find((e) => String(e.topic).endsWith('-mos-otp') && e.payload.state === 'returned-unacknowledged'), 10000);
    const good = got.filter((m) => m.quality === 'good');
    expect(good[good.length - 1].badKeys).to.equal(undefined);
  });
});
