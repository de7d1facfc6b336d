import { expect } from 'chai';
import * as net from 'net';
import { ModbusError, ModbusTcpClient } from '../../lib/modbus/client';
import { ModbusLinkCore, linkSettings } from '../../lib/modbus/link';
import { RequestAction, RequestInfo, ModbusTcpServer } from '../../lib/modbus/server';

/** a register bank where register n holds n & 0xffff, and bit n is set when n is odd */
const bank = {
  readRegisters: (_fc: 3 | 4, address: number, count: number) => Array.from({ length: count }, (_, i) => (address + i) & 0xffff),
  readBits: (_fc: 1 | 2, address: number, count: number) => Array.from({ length: count }, (_, i) => (address + i) % 2 === 1),
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function expectError(promise: Promise<unknown>, kind: string): Promise<ModbusError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(ModbusError);
    expect((err as ModbusError).kind, (err as Error).message).to.equal(kind);
    return err as ModbusError;
  }
  throw new Error(`expected a ${kind} error`);
}

describe('Modbus/TCP client over real TCP', function () {
  this.timeout(30000);
  let server: ModbusTcpServer;
  let port: number;
  let client: ModbusTcpClient;
  let fault: ((info: RequestInfo) => RequestAction | undefined) | undefined;
  const seen: RequestInfo[] = [];

  beforeEach(async () => {
    fault = undefined;
    seen.length = 0;
    server = new ModbusTcpServer({
      port: 0,
      bank,
      onRequest: (info) => {
        seen.push(info);
        return fault?.(info);
      },
    });
    port = await server.listen();
    client = new ModbusTcpClient({ host: '127.0.0.1', port, unitId: 7, timeoutMs: 400, reconnectMs: 50, reconnectMaxMs: 200 });
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('reads FC 1, 2, 3 and 4', async () => {
    expect(await client.readRegisters(3, 1000, 5)).to.deep.equal([1000, 1001, 1002, 1003, 1004]);
    expect(await client.readRegisters(4, 65530, 6)).to.deep.equal([65530, 65531, 65532, 65533, 65534, 65535]);
    expect(await client.readBits(1, 0, 4)).to.deep.equal([false, true, false, true]);
    expect(await client.readBits(2, 7, 10)).to.deep.equal([true, false, true, false, true, false, true, false, true, false]);
    expect(seen.map((s) => s.request.functionCode)).to.deep.equal([3, 4, 1, 2]);
    expect(seen.every((s) => s.unitId === 7)).to.equal(true);
  });

  it('gives each request its own transaction id on one connection', async () => {
    await client.readRegisters(3, 0, 1);
    await client.readRegisters(3, 1, 1);
    await client.readRegisters(3, 2, 1);
    const ids = seen.map((s) => s.transactionId);
    expect(new Set(ids).size).to.equal(3);
    expect(client.stats.connects).to.equal(1);
  });

  it('coalesces identical waiting reads and queues different ones in order', async () => {
    const results = await Promise.all([
      client.readRegisters(3, 10, 2),
      client.readRegisters(3, 20, 2),
      client.readRegisters(3, 20, 2),
      client.readRegisters(3, 30, 2),
    ]);
    expect(results).to.deep.equal([[10, 11], [20, 21], [20, 21], [30, 31]]);
    expect(seen.map((s) => ('address' in s.request ? s.request.address : -1))).to.deep.equal([10, 20, 30]);
  });

  it('refuses invalid requests without touching the wire', async () => {
    await expectError(client.readRegisters(3, 0, 126), 'bad_request');
    await expectError(client.readRegisters(3, 65535, 2), 'bad_request');
    await expectError(client.readBits(1, 0, 2001), 'bad_request');
    expect(seen).to.have.length(0);
  });

  it('reports an exception response with its code, then recovers', async () => {
    fault = () => ({ action: 'exception', code: 2 });
    const err = await expectError(client.readRegisters(3, 5, 1), 'exception');
    expect(err.exceptionCode).to.equal(2);
    expect(err.message).to.match(/illegal data address/);
    expect(err.shortReason).to.equal('exception 2');
    fault = () => ({ action: 'exception', code: 6 });
    expect((await expectError(client.readRegisters(3, 5, 1), 'exception')).message).to.match(/busy/);
    fault = undefined;
    expect(await client.readRegisters(3, 5, 1)).to.deep.equal([5]);
    expect(client.stats.connects).to.equal(1);
  });

  it('reports a reply of the wrong length, then recovers on the same connection', async () => {
    fault = () => ({ action: 'raw', pdu: Buffer.from([3, 4, 0, 1, 0, 2]) });
    const err = await expectError(client.readRegisters(3, 0, 3), 'bad_length');
    expect(err.message).to.match(/4 bytes for 3 registers/);
    fault = undefined;
    expect(await client.readRegisters(3, 0, 3)).to.deep.equal([0, 1, 2]);
    expect(client.stats.connects).to.equal(1);
  });

  it('reports a reply to the wrong function as a protocol error', async () => {
    fault = () => ({ action: 'raw', pdu: Buffer.from([4, 2, 0, 1]) });
    await expectError(client.readRegisters(3, 0, 1), 'protocol');
    fault = undefined;
    expect(await client.readRegisters(3, 9, 1)).to.deep.equal([9]);
  });

  it('times out on a slow answer, drops the late reply by transaction id, and the next read works', async () => {
    const slow = new ModbusTcpClient({ host: '127.0.0.1', port, unitId: 7, timeoutMs: 600 });
    // the reply to 100 comes after 800 ms, while the read of 200 (answered after 400 ms) is waiting: the client
    // must not take the late reply for the answer to 200
    fault = (info) => ({ action: 'delay', ms: 'address' in info.request && info.request.address === 100 ? 800 : 400 });
    await expectError(slow.readRegisters(3, 100, 1), 'timeout');
    expect(await slow.readRegisters(3, 200, 1)).to.deep.equal([200]);
    expect(slow.stats.lateReplies).to.equal(1);
    expect(slow.stats.connects).to.equal(1);
    fault = undefined;
    expect(await slow.readRegisters(3, 300, 1)).to.deep.equal([300]);
    await slow.close();
  });

  it('rebuilds a connection that swallows three requests in a row', async () => {
    fault = () => ({ action: 'ignore' });
    for (let i = 0; i < 3; i++) await expectError(client.readRegisters(3, i, 1), 'timeout');
    fault = undefined;
    expect(await client.readRegisters(3, 42, 1)).to.deep.equal([42]);
    expect(client.stats.connects).to.equal(2);
  });

  it('reports a controller that closes the socket, and the next read reconnects', async () => {
    fault = () => ({ action: 'drop' });
    const err = await expectError(client.readRegisters(3, 1, 1), 'disconnected');
    expect(err.message).to.match(/closed the connection/);
    fault = undefined;
    expect(await client.readRegisters(3, 1, 1)).to.deep.equal([1]);
    expect(client.stats.connects).to.equal(2);
  });

  it('survives a controller restart: refused while down, reconnects when back', async () => {
    const states: string[] = [];
    client.on('state', (e: { state: string }) => states.push(e.state));
    expect(await client.readRegisters(3, 1, 1)).to.deep.equal([1]);
    await server.close();
    const errors: string[] = [];
    for (let i = 0; i < 3; i++) {
      try {
        await client.readRegisters(3, 1, 1);
      } catch (err) {
        errors.push((err as ModbusError).kind);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(errors).to.have.length(3);
    expect(errors.every((k) => k === 'disconnected' || k === 'connect_failed')).to.equal(true, errors.join());
    server = new ModbusTcpServer({ port, bank });
    await server.listen();
    let value: number[] | undefined;
    for (let i = 0; i < 20 && !value; i++) {
      try {
        value = await client.readRegisters(3, 2, 1);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(value).to.deep.equal([2]);
    expect(states).to.include('waiting');
    expect(states[states.length - 1]).to.equal('connected');
  });

  it('backs off exponentially while the controller is unreachable', async () => {
    await server.close();
    const delays: number[] = [];
    client.on('state', (e: { state: string; retryInMs?: number }) => {
      if (e.state === 'waiting' && e.retryInMs !== undefined) delays.push(e.retryInMs);
    });
    client.start();
    await new Promise((r) => setTimeout(r, 2000));
    expect(delays.slice(0, 4)).to.deep.equal([50, 100, 200, 200]);
  });

  it('bounds the queue', async () => {
    const small = new ModbusTcpClient({ host: '127.0.0.1', port, unitId: 1, timeoutMs: 2000, queueCapacity: 2 });
    fault = () => ({ action: 'delay', ms: 100 });
    const all = [0, 1, 2, 3, 4].map((a) => small.readRegisters(3, a, 1).then(() => 'ok', (e: ModbusError) => e.kind));
    const kinds = await Promise.all(all);
    expect(kinds.filter((k) => k === 'queue_full').length).to.be.greaterThan(0);
    expect(kinds.filter((k) => k === 'ok').length).to.be.greaterThan(0);
    await small.close();
  });

  it('close() rejects what waits and refuses new reads', async () => {
    fault = () => ({ action: 'ignore' });
    const waiting = expectError(client.readRegisters(3, 0, 1), 'closed');
    await new Promise((r) => setTimeout(r, 50));
    await client.close();
    await waiting;
    await expectError(client.readRegisters(3, 0, 1), 'closed');
  });

  it('rejects a reply from another unit id', async () => {
    const other = new ModbusTcpServer({ port: 0, bank, onRequest: () => undefined });
    const otherPort = await other.listen();
    // a proxy that rewrites the unit id in replies
    const proxy = net.createServer((inbound) => {
      const outbound = net.connect(otherPort, '127.0.0.1');
      inbound.pipe(outbound);
      outbound.on('data', (chunk: Buffer) => {
        const copy = Buffer.from(chunk);
        copy[6] = 99;
        inbound.write(copy);
      });
      inbound.on('close', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      inbound.on('error', () => outbound.destroy());
    });
    const proxyPort = await freePort();
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', () => r()));
    const c = new ModbusTcpClient({ host: '127.0.0.1', port: proxyPort, unitId: 7, timeoutMs: 1000 });
    const err = await expectError(c.readRegisters(3, 0, 1), 'protocol');
    expect(err.message).to.match(/unit 99/);
    await c.close();
    await new Promise<void>((r) => proxy.close(() => r()));
    await other.close();
  });
});

describe('Modbus link (what the modbus-endpoint node shares)', function () {
  this.timeout(30000);
  let server: ModbusTcpServer;
  let port: number;
  let refuseGap = false;

  beforeEach(async () => {
    refuseGap = false;
    server = new ModbusTcpServer({
      port: 0,
      bank: {
        readRegisters: (_fc, address, count) => {
          // registers 1005..1009 do not exist when refuseGap is set (a controller strict about its map)
          if (refuseGap && address <= 1009 && address + count > 1005) return { exception: 2 };
          return Array.from({ length: count }, (_, i) => (address + i) & 0xffff);
        },
        readBits: bank.readBits,
      },
    });
    port = await server.listen();
  });

  afterEach(async () => {
    await server.close();
  });

  it('reads a plan in the minimum number of requests and returns values by register number', async () => {
    const link = new ModbusLinkCore(linkSettings({ host: '127.0.0.1', port, unitId: 1, timeout: 1000 }));
    const user = { id: 'u1' };
    link.register(user);
    const ranges = [{ address: 1000, count: 5 }, { address: 1010, count: 50 }];
    for (let m = 0; m < 40; m++) ranges.push({ address: 2000 + m * 8, count: 6 });
    const result = await link.readPlan(ranges);
    expect(result.requests).to.equal(result.minimumRequests);
    expect(result.requests).to.equal(1 + Math.ceil((39 * 8 + 6) / 125));
    expect(result.snapshot.get(1003)).to.equal(1003);
    expect(result.snapshot.slice(2000 + 39 * 8, 6)).to.deep.equal([2312, 2313, 2314, 2315, 2316, 2317]);
    await link.deregister(user);
    expect(link.state).to.equal('idle');
  });

  it('applies 1-based addressing: register n is protocol address n-1', async () => {
    const link = new ModbusLinkCore(linkSettings({ host: '127.0.0.1', port, unitId: 1, timeout: 1000, addressing: '1' }));
    const user = { id: 'u1' };
    link.register(user);
    expect(await link.readRegisters(1001, 2)).to.deep.equal([1000, 1001]);
    expect(await link.readBits(2, 1, 2)).to.deep.equal([false, true]);
    expect((await link.readPlan([{ address: 1001, count: 1 }])).snapshot.get(1001)).to.equal(1000);
    await link.deregister(user);
  });

  it('splits reads longer than 125 registers', async () => {
    const link = new ModbusLinkCore(linkSettings({ host: '127.0.0.1', port, unitId: 1, timeout: 1000 }));
    link.register({ id: 'a' });
    const values = await link.readRegisters(0, 300);
    expect(values).to.have.length(300);
    expect(values[299]).to.equal(299);
    expect(link.stats()?.requests).to.equal(3);
    await link.close();
  });

  it('stops bridging gaps after exception 2 on a bridged read, still returning every wanted value', async () => {
    refuseGap = true;
    const warnings: string[] = [];
    const link = new ModbusLinkCore(linkSettings({ host: '127.0.0.1', port, unitId: 1, timeout: 1000 }), (w) => warnings.push(w));
    link.register({ id: 'a' });
    const ranges = [{ address: 1000, count: 5 }, { address: 1010, count: 50 }];
    const first = await link.readPlan(ranges);
    expect(first.snapshot.slice(1000, 5)).to.deep.equal([1000, 1001, 1002, 1003, 1004]);
    expect(first.snapshot.get(1059)).to.equal(1059);
    expect(first.requests).to.equal(3);
    expect(warnings).to.have.length(1);
    const second = await link.readPlan(ranges);
    expect(second.requests).to.equal(2);
    expect(second.minimumRequests).to.equal(2);
    await link.close();
  });

  it('after shutdown (the endpoint node closed) never connects again', async () => {
    const link = new ModbusLinkCore(linkSettings({ host: '127.0.0.1', port, unitId: 1, timeout: 1000 }));
    link.register({ id: 'a' });
    await link.readRegisters(1, 1);
    await link.shutdown();
    await expectError(link.readRegisters(1, 1), 'closed');
    await expectError(link.readPlan([{ address: 1, count: 1 }]), 'closed');
    link.register({ id: 'b' });
    await new Promise((r) => setTimeout(r, 100));
    expect(server.connections).to.equal(0);
    expect(link.state).to.equal('idle');
  });

  it('keeps one connection for several users; the last one to leave disconnects', async () => {
    const link = new ModbusLinkCore(linkSettings({ host: '127.0.0.1', port, unitId: 1, timeout: 1000 }));
    const statesA: string[] = [];
    const a = { id: 'a', onLinkState: (e: { state: string }) => statesA.push(e.state) };
    const b = { id: 'b', onLinkState: () => {
      throw new Error('a broken user callback must not hurt the link');
    } };
    link.register(a);
    link.register(b);
    await Promise.all([link.readRegisters(1, 1), link.readRegisters(2, 1)]);
    expect(server.connections).to.equal(1);
    await link.deregister(a);
    expect(link.state).to.equal('connected');
    await link.deregister(b);
    expect(link.state).to.equal('idle');
    await new Promise((r) => setTimeout(r, 100));
    expect(server.connections).to.equal(0);
    expect(statesA).to.include('connected');
  });
});

/** A TCP peer that answers every request chunk with `answer(chunk, socket)` (raw bytes, not a Modbus server). */
async function rawPeer(answer: (chunk: Buffer, socket: net.Socket) => void): Promise<{ port: number; close: () => Promise<void>; accepted: () => number }> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const peer = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => answer(chunk, socket));
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', () => r()));
  return {
    port: (peer.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        peer.close(() => r());
      }),
  };
}

/** the reply to the FC3 read of one register in `request`, holding `value`, with `edit` applied to the ADU */
function registerReply(request: Buffer, value: number, edit: (adu: Buffer) => void = () => undefined): Buffer {
  const adu = Buffer.from([request[0], request[1], 0, 0, 0, 5, request[6], 3, 2, value >> 8, value & 0xff]);
  edit(adu);
  return adu;
}

describe('Modbus/TCP client: what modbus-serial leaves to this package', function () {
  this.timeout(30000);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  const clients: ModbusTcpClient[] = [];
  const closers: Array<() => Promise<void>> = [];
  const newClient = (port: number, timeoutMs = 400): ModbusTcpClient => {
    const c = new ModbusTcpClient({ host: '127.0.0.1', port, unitId: 1, timeoutMs, reconnectMs: 50, reconnectMaxMs: 200 });
    clients.push(c);
    return c;
  };

  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const close of closers.splice(0)) await close();
    // let any stray promise of the library settle before the check
    await new Promise((r) => setTimeout(r, 20));
    expect(unhandled, 'unhandled rejections').to.deep.equal([]);
  });

  it('a refused connection is connect_failed at once, not a timeout', async () => {
    const port = await freePort();
    const client = newClient(port, 2000);
    const started = Date.now();
    const err = await expectError(client.readRegisters(3, 0, 1), 'connect_failed');
    expect(err.message).to.match(/ECONNREFUSED|cannot connect/);
    expect(Date.now() - started).to.be.below(1000);
  });

  it('a socket reset while a request waits fails it at once as disconnected (modbus-serial would leave it to a timeout)', async () => {
    const peer = await rawPeer((_chunk, socket) => socket.resetAndDestroy());
    closers.push(peer.close);
    const client = newClient(peer.port, 3000);
    const started = Date.now();
    await expectError(client.readRegisters(3, 0, 1), 'disconnected');
    expect(Date.now() - started).to.be.below(1000);
  });

  it('a peer that does not speak Modbus/TCP is a protocol error at once, and the link reconnects', async () => {
    let answered = 0;
    const peer = await rawPeer((_chunk, socket) => {
      answered++;
      socket.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    });
    closers.push(peer.close);
    const client = newClient(peer.port, 3000);
    const started = Date.now();
    const err = await expectError(client.readRegisters(3, 0, 1), 'protocol');
    expect(err.message).to.match(/MBAP header/);
    expect(Date.now() - started).to.be.below(1000);
    await new Promise((r) => setTimeout(r, 150));
    await expectError(client.readRegisters(3, 0, 1), 'protocol');
    expect(peer.accepted()).to.equal(2);
    expect(answered).to.equal(2);
  });

  it('a reply with another transaction id is dropped (the read times out) and the next read works on the same connection', async () => {
    let n = 0;
    const peer = await rawPeer((chunk, socket) => {
      n++;
      socket.write(registerReply(chunk, 42, (adu) => n === 1 && adu.writeUInt16BE((adu.readUInt16BE(0) + 100) & 0xffff, 0)));
    });
    closers.push(peer.close);
    const client = newClient(peer.port);
    await expectError(client.readRegisters(3, 0, 1), 'timeout');
    expect(await client.readRegisters(3, 0, 1)).to.deep.equal([42]);
    expect(client.stats.connects).to.equal(1);
  });

  it('garbage inside a valid MBAP frame is a typed error, never a throw, and the connection stays', async () => {
    const pdus = [
      [3], // too short for a byte count
      [3, 200, 0, 1], // a byte count beyond the frame
      [0x83], // an exception without its code
      [3, 2, 0, 1, 9, 9], // trailing bytes: modbus-serial refuses the length, the codec takes the register (as before)
      [0x42, 2, 0, 1], // a function nobody asked for
    ];
    let k = 0;
    const peer = await rawPeer((chunk, socket) => {
      const pdu = Buffer.from(pdus[k++ % pdus.length]);
      const adu = Buffer.alloc(7 + pdu.length);
      chunk.copy(adu, 0, 0, 4);
      adu.writeUInt16BE(pdu.length + 1, 4);
      adu[6] = chunk[6];
      pdu.copy(adu, 7);
      socket.write(adu);
    });
    closers.push(peer.close);
    const client = newClient(peer.port);
    const kinds: string[] = [];
    for (let i = 0; i < pdus.length; i++) {
      try {
        await client.readRegisters(3, 0, 1);
        kinds.push('ok');
      } catch (err) {
        expect(err).to.be.instanceOf(ModbusError);
        kinds.push((err as ModbusError).kind);
      }
    }
    expect(kinds).to.deep.equal(['protocol', 'protocol', 'protocol', 'ok', 'protocol']);
    expect(client.stats.connects).to.equal(1);
  });

  it('a dead endpoint never stalls another: reads on a live one go on while the dead one times out', async () => {
    const silent = await rawPeer(() => undefined);
    closers.push(silent.close);
    const live = new ModbusTcpServer({ port: 0, bank });
    const livePort = await live.listen();
    closers.push(() => live.close());
    const dead = newClient(silent.port, 1500);
    const good = newClient(livePort, 1500);
    const deadReads = [0, 1, 2].map((a) => dead.readRegisters(3, a, 1).then(() => 'ok', (e: ModbusError) => e.kind));
    const started = Date.now();
    for (let i = 0; i < 20; i++) expect(await good.readRegisters(3, i, 1)).to.deep.equal([i]);
    expect(Date.now() - started, '20 reads beside a dead endpoint').to.be.below(1000);
    expect(await Promise.all(deadReads)).to.deep.equal(['timeout', 'timeout', 'timeout']);
  });

  it('close() while waiting to reconnect, or while connected, leaves no socket and no timer of its own behind', async () => {
    const timersOf = (c: ModbusTcpClient): number => (c as unknown as { timers: { size: number } }).timers.size;
    const client = newClient(await freePort());
    client.start();
    await new Promise((r) => setTimeout(r, 120));
    expect(client.state).to.be.oneOf(['waiting', 'connecting']);
    expect(timersOf(client)).to.equal(1); // the reconnect (or connect) timer
    await client.close();
    expect(timersOf(client)).to.equal(0);
    const s = new ModbusTcpServer({ port: 0, bank });
    const p = await s.listen();
    closers.push(() => s.close());
    const c2 = newClient(p);
    expect(await c2.readRegisters(3, 1, 1)).to.deep.equal([1]);
    await c2.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(s.connections).to.equal(0);
    expect(timersOf(c2)).to.equal(0);
    expect(c2.state).to.equal('closed');
  });
});
