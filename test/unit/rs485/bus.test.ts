import { expect } from 'chai';
import { EventEmitter } from 'events';
import { Rs485Bus, LinkDownError } from '../../../lib/rs485/bus';
import type { Link, LinkSettings } from '../../../lib/rs485/link';
import { crcValid } from '../../../lib/wire/crc16';
import { encodeRtu } from '../../../lib/wire/modbus-rtu';
import { descriptionsFor } from '../../../nodes/jk-bms/client';
import { encodeReadRequest, encodeRegistersResponse } from '../../../lib/wire/modbus-pdu';
import { acquireBus, releaseBus, PortInUseError, openBusCount } from '../../../lib/rs485/registry';
import { waitFor } from '../../helpers/ports';

/** An in-memory link with Modbus devices behind it; silent units never answer. */
class FakeBusLink extends EventEmitter implements Link {
  description = 'fake';
  opened = 0;
  failOpen = false;
  echo = false;
  written: Buffer[] = [];
  constructor(private readonly units: Map<number, { silent?: boolean; split?: boolean; delayMs?: number }>) {
    super();
  }
  async open(): Promise<void> {
    this.opened++;
    if (this.failOpen) throw new Error('ENOENT: no such device');
  }
  async write(bytes: Buffer): Promise<void> {
    this.written.push(bytes);
    if (this.echo) setImmediate(() => this.emit('data', Buffer.from(bytes)));
    if (!crcValid(bytes)) return;
    const unitId = bytes[0];
    const unit = this.units.get(unitId);
    if (!unit || unit.silent) return;
    const reply = encodeRtu(unitId, encodeRegistersResponse(3, [unitId * 100, 7]));
    setTimeout(() => {
      if (unit.split) {
        this.emit('data', reply.subarray(0, 3));
        setTimeout(() => this.emit('data', reply.subarray(3)), 5);
      } else this.emit('data', reply);
    }, unit.delayMs ?? 2);
  }
  async close(): Promise<void> {
    this.emit('close', undefined);
  }
  unplug(): void {
    this.emit('close', new Error('device disconnected'));
  }
}

const settings: LinkSettings = { kind: 'tcp', host: '127.0.0.1', port: 1 };

function read(bus: Rs485Bus, unit: number, timeoutMs?: number): Promise<number[]> {
  return bus.request({
    bytes: encodeRtu(unit, encodeReadRequest({ functionCode: 3, address: 0x1200, count: 2 })),
    expect: descriptionsFor('jk-modbus', unit), // Modbus RTU as the JK codec frames it, from this unit only
    accept: (frame) => (frame.bytes[0] === unit ? 'done' : 'ignore'),
    finish: (frames) => [frames[0].bytes.readUInt16BE(3), frames[0].bytes.readUInt16BE(5)],
    timeoutMs,
  });
}

describe('lib/rs485 Rs485Bus', () => {
  it('answers requests one at a time with the configured gap', async () => {
    const link = new FakeBusLink(new Map([[1, {}], [2, { split: true }]]));
    const bus = new Rs485Bus(settings, { gapMs: 20, timeoutMs: 500 }, () => link);
    bus.start();
    await bus.waitUntilUp(1000);
    const t0 = Date.now();
    const results = await Promise.all([read(bus, 1), read(bus, 2), read(bus, 1)]);
    expect(results).to.deep.equal([[100, 7], [200, 7], [100, 7]]);
    expect(Date.now() - t0).to.be.at.least(40); // two gaps between three requests
    await bus.close();
  });

  it('a silent device costs one timeout and never the other devices\' data', async () => {
    const link = new FakeBusLink(new Map([[1, {}], [2, { silent: true }], [3, {}]]));
    const bus = new Rs485Bus(settings, { gapMs: 5, timeoutMs: 150 }, () => link);
    bus.start();
    await bus.waitUntilUp(1000);
    const outcomes = await Promise.allSettled([read(bus, 1), read(bus, 2), read(bus, 3), read(bus, 2), read(bus, 1)]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseFulfilledResult<number[]>).value).to.deep.equal([300, 7]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).to.match(/no reply within 150 ms/);
    expect(link.opened).to.equal(1); // a timeout never reopens the port
    expect(bus.stats.timeouts).to.equal(2);
    await bus.close();
  });

  it('ignores a late reply of the previous device', async () => {
    const link = new FakeBusLink(new Map([[1, { delayMs: 300 }], [2, { delayMs: 400 }]]));
    const bus = new Rs485Bus(settings, { gapMs: 0, timeoutMs: 100 }, () => link);
    bus.start();
    await bus.waitUntilUp(1000);
    const first = read(bus, 1).catch((e: Error) => e);
    // unit 1 answers at 300 ms, during the request to unit 2 (started at about 100 ms, answered at about 500 ms),
    // which must ignore it and wait for its own reply
    const second = read(bus, 2, 2000);
    expect(await first).to.be.instanceOf(Error);
    expect(await second).to.deep.equal([200, 7]);
    await bus.close();
  });

  it('drops the echo of its own request', async () => {
    const link = new FakeBusLink(new Map([[1, {}]]));
    link.echo = true;
    const bus = new Rs485Bus(settings, { gapMs: 0, timeoutMs: 300, echo: true }, () => link);
    bus.start();
    await bus.waitUntilUp(1000);
    const traffic: string[] = [];
    bus.on('traffic', (t: { direction: string }) => traffic.push(t.direction));
    expect(await read(bus, 1)).to.deep.equal([100, 7]);
    expect(traffic).to.deep.equal(['tx', 'rx', 'rx']);
    await bus.close();
  });

  it('reports an unplug, fails fast while down, and reconnects with back-off by itself', async () => {
    const link = new FakeBusLink(new Map([[1, {}]]));
    const bus = new Rs485Bus(settings, { gapMs: 0, timeoutMs: 300, reconnectMinMs: 30, reconnectMaxMs: 100 }, () => link);
    const states: string[] = [];
    bus.on('state', (s: string) => states.push(s));
    bus.start();
    await bus.waitUntilUp(1000);
    link.failOpen = true;
    link.unplug();
    expect(bus.state).to.equal('down');
    const err = await read(bus, 1).catch((e: Error) => e);
    expect(err).to.be.instanceOf(LinkDownError);
    expect(String(err)).to.match(/device disconnected/);
    await waitFor(() => link.opened > 3, 10_000, 'several reconnect attempts'); // retried by itself, several times
    link.failOpen = false;
    await bus.waitUntilUp(2000);
    expect(await read(bus, 1)).to.deep.equal([100, 7]);
    expect(states).to.include('down');
    expect(states[states.length - 1]).to.equal('up');
    await bus.close();
    expect(bus.timerCount).to.equal(0);
  });

  it('closes cleanly with requests waiting', async () => {
    const link = new FakeBusLink(new Map([[2, { silent: true }]]));
    const bus = new Rs485Bus(settings, { gapMs: 0, timeoutMs: 1000 }, () => link);
    bus.start();
    await bus.waitUntilUp(1000);
    const pending = [read(bus, 2), read(bus, 2), read(bus, 2)].map((p) => p.catch((e: Error) => e.name));
    await bus.close();
    const names = await Promise.all(pending);
    expect(names.every((n) => n === 'QueueClosedError' || n === 'Error')).to.equal(true);
    expect(bus.state).to.equal('closed');
    expect(bus.timerCount).to.equal(0);
  });
});

describe('lib/rs485 registry', () => {
  it('shares one bus between config nodes with the same settings and refuses different ones', async () => {
    const s: LinkSettings = { kind: 'tcp', host: '127.0.0.1', port: 9 };
    const before = openBusCount();
    const a = acquireBus('a', 'bus A', s, { gapMs: 100 });
    const b = acquireBus('b', 'bus B', s, { gapMs: 100 });
    expect(a).to.equal(b);
    expect(() => acquireBus('c', 'bus C', s, { gapMs: 50 })).to.throw(PortInUseError, /bus A/);
    expect(openBusCount()).to.equal(before + 1);
    await releaseBus('a', a);
    expect(a.state).to.not.equal('closed');
    await releaseBus('b', b);
    expect(a.state).to.equal('closed');
    expect(openBusCount()).to.equal(before);
  });
});

describe('lib/rs485 registry keys', () => {
  it('names one serial device the same through a by-id style link and its real path', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { linkKey } = require('../../../lib/rs485/registry') as typeof import('../../../lib/rs485/registry');
    const fs = require('fs') as typeof import('fs');
    const os = require('os') as typeof import('os');
    const path = require('path') as typeof import('path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-key-'));
    try {
      const device = path.join(dir, 'ttyUSB0');
      fs.writeFileSync(device, '');
      const byId = path.join(dir, 'usb-FTDI-if00-port0');
      fs.symlinkSync(device, byId);
      const serial = (p: string): LinkSettings => ({ kind: 'serial', path: p, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 });
      expect(linkKey(serial(byId))).to.equal(linkKey(serial(device)));
      expect(linkKey({ kind: 'tcp', host: 'LOCALHOST', port: 8899 })).to.equal(linkKey({ kind: 'tcp', host: 'localhost', port: 8899 }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
