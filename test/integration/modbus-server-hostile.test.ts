/**
 * lib/modbus/server.ts (the PLC bridge's and the BACS simulator's server) against hostile and broken clients over
 * real loopback sockets: squatters that send a header and nothing more, half-sent requests, idle connections, a
 * client that pipelines reads and never reads its socket, and malformed writes. The figures for memory and
 * descriptors are in bench/hostile.bench.ts; here only behaviour, with short timeouts so each case takes ~1 s.
 */
import { expect } from 'chai';
import * as net from 'net';
import { ModbusTcpServer, RegisterBank } from '../../lib/modbus/server';
import { closesIn, connect, MALFORMED_WRITES, readAdu, squatter } from '../helpers/modbus-hostile';
import { modbusRequest, readPdu } from '../helpers/modbus-raw';
import { waitFor } from '../helpers/ports';

const bank = (writable: boolean): RegisterBank => ({
  readRegisters: (_fc, address, count) => Array.from({ length: count }, (_, i) => (address + i) & 0xffff),
  readBits: (_fc, _address, count) => new Array<boolean>(count).fill(false),
  ...(writable ? { writeCoils: () => undefined, writeRegisters: () => undefined } : {}),
});

describe('Modbus/TCP server against hostile clients', function () {
  this.timeout(30_000);
  let server: ModbusTcpServer | undefined;
  const sockets: net.Socket[] = [];

  async function start(options: Partial<ConstructorParameters<typeof ModbusTcpServer>[0]> = {}): Promise<number> {
    server = new ModbusTcpServer({ port: 0, bank: bank(false), ...options });
    return server.listen();
  }

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.close();
    server = undefined;
  });

  it('a full house of idle squatters does not lock out a new client: the newest replaces the longest idle', async () => {
    const port = await start({ maxConnections: 8 });
    for (let i = 0; i < 8; i++) sockets.push(await squatter(port));
    await waitFor(() => server?.connections === 8, 5000, '8 connections');
    const first = closesIn(sockets[0], 5000);
    const reply = await modbusRequest(port, 1, readPdu(4, 10, 2));
    expect([...reply]).to.deep.equal([4, 4, 0, 10, 0, 11]);
    await first; // the oldest squatter made room
    expect(server?.stats.closed.evicted).to.equal(1);
    expect(server?.connections).to.be.at.most(8);
  });

  it('a PLC that polls keeps its connection while new squatters keep arriving', async () => {
    const port = await start({ maxConnections: 4 });
    const plc = await connect(port);
    sockets.push(plc);
    let replies = 0;
    plc.on('data', () => replies++);
    plc.write(readAdu(1));
    await waitFor(() => replies === 1, 5000, 'first reply');
    for (let i = 0; i < 12; i++) sockets.push(await squatter(port));
    await waitFor(() => (server?.stats.closed.evicted ?? 0) >= 9, 5000, 'squatters replaced');
    expect(plc.destroyed).to.equal(false);
    plc.write(readAdu(2));
    await waitFor(() => replies === 2, 5000, 'second reply on the same connection');
  });

  it('closes a half-sent request after the request timeout, and an idle connection after the idle timeout', async () => {
    const port = await start({ requestTimeoutMs: 400, idleTimeoutMs: 1500 });
    const half = await squatter(port);
    const idle = await connect(port);
    const polling = await connect(port);
    sockets.push(half, idle, polling);
    idle.write(readAdu(1)); // one whole request, then nothing
    const poll = setInterval(() => polling.write(readAdu(2)), 200);
    try {
      const [halfMs, idleMs] = await Promise.all([closesIn(half, 5000), closesIn(idle, 5000)]);
      expect(halfMs).to.be.within(350, 1400);
      expect(idleMs).to.be.within(1400, 3000);
      expect(polling.destroyed, 'a client that polls stays').to.equal(false);
      expect(server?.stats.closed).to.include({ partial: 1, idle: 1 });
    } finally {
      clearInterval(poll);
    }
  });

  it('a request trickled a byte at a time is still closed after the request timeout', async () => {
    const port = await start({ requestTimeoutMs: 400 });
    const slow = await connect(port);
    sockets.push(slow);
    const adu = readAdu(1);
    let i = 0;
    const drip = setInterval(() => i < adu.length && slow.write(adu.subarray(i, ++i)), 100);
    try {
      expect(await closesIn(slow, 3000)).to.be.below(1400);
      expect(server?.stats.closed.partial).to.equal(1);
    } finally {
      clearInterval(drip);
    }
  });

  it('pauses a client that pipelines reads and never reads its socket: its buffered replies stay under the bound, others are served, and it gets every reply once it reads', async () => {
    const bound = 16 * 1024;
    const port = await start({ maxBufferedBytes: bound });
    const greedy = await connect(port);
    sockets.push(greedy);
    greedy.pause(); // never reads until the end of the test
    let sent = 0;
    const paused = (): boolean => server?.connectionInfo().some((c) => c.paused) ?? false;
    // ~6 KB of requests (~130 KB of replies) per turn until the server stops reading it
    const until = Date.now() + 15_000;
    while (!paused() && Date.now() < until && sent < 200_000) {
      const batch = Buffer.concat(Array.from({ length: 500 }, () => readAdu(++sent)));
      greedy.write(batch);
      await new Promise((r) => setImmediate(r));
    }
    expect(paused(), 'server paused the client').to.equal(true);
    for (let i = 0; i < 5; i++) {
      const info = server?.connectionInfo().find((c) => c.paused);
      expect(info?.bufferedBytes, 'replies held for it').to.be.at.most(bound + 260);
      const reply = await modbusRequest(port, 1, readPdu(4, 0, 1));
      expect([...reply]).to.deep.equal([4, 2, 0, 0]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(server?.stats.pauses).to.be.at.least(1);
    // once it reads, the server resumes and answers every request it was sent, in order
    let buffer = Buffer.alloc(0);
    let replies = 0;
    let lastId = 0;
    let inOrder = true;
    greedy.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 7 && buffer.length >= 6 + buffer.readUInt16BE(4)) {
        const id = buffer.readUInt16BE(0);
        if (id !== ((lastId + 1) & 0xffff)) inOrder = false;
        lastId = id;
        replies++;
        buffer = buffer.subarray(6 + buffer.readUInt16BE(4));
      }
    });
    greedy.resume();
    await waitFor(() => replies === sent, 20_000, `${sent} replies`);
    expect(inOrder).to.equal(true);
  });

  it('FC05 with a value other than 0xFF00/0x0000 and FC15/FC16 whose count does not match the byte count get exception 03; a read-only bank answers 01 first', async () => {
    const port = await start({ bank: bank(true) });
    const bad = MALFORMED_WRITES;
    for (const pdu of bad) {
      const reply = await modbusRequest(port, 1, pdu);
      expect([...reply], `${pdu.toString('hex')}`).to.deep.equal([pdu[0] | 0x80, 3]);
    }
    const good = [Buffer.from([0x05, 0x00, 0x6e, 0x00, 0x00]), Buffer.from([0x0f, 0x00, 0x6e, 0x00, 0x09, 0x02, 0xff, 0x01]), Buffer.from([0x06, 0x00, 0xd2, 0x12, 0x34])];
    for (const pdu of good) expect((await modbusRequest(port, 1, pdu))[0], pdu.toString('hex')).to.equal(pdu[0]);
    await server?.close();
    const readOnly = await start();
    for (const pdu of bad) expect([...(await modbusRequest(readOnly, 1, pdu))], pdu.toString('hex')).to.deep.equal([pdu[0] | 0x80, 1]);
  });
});
