/**
 * Why the PLC bridge and the BACS simulator keep their own Modbus/TCP server (lib/modbus/server.ts) rather than
 * modbus-serial's ServerTCP: the same hostile cases as test/integration/modbus-server-hostile.test.ts, put to both
 * servers side by side over real loopback sockets, ServerTCP with its bulk callbacks. Each case asserts what the
 * bridge needs from its server and what ServerTCP (modbus-serial 8.0.x) does instead; if a modbus-serial release
 * fixes one, its assertion fails here and the choice should be looked at again. The throughput comparison is in
 * bench/plc-bridge.bench.ts, which prints these cases' figures too.
 */
import { expect } from 'chai';
import * as net from 'net';
import { ModbusTcpServer, RegisterBank } from '../../lib/modbus/server';
import { bulkVector, connect, MALFORMED_WRITES, nonReader, OVERSIZED_READS, PeerServer, readAdu, specAnswers, squatter, startServerTcp } from '../helpers/modbus-hostile';
import { modbusRequest } from '../helpers/modbus-raw';

const registerAt = (address: number): number => address & 0xffff;
const bank = (writable: boolean): RegisterBank => ({
  readRegisters: (_fc, address, count) => Array.from({ length: count }, (_, i) => registerAt(address + i)),
  readBits: (_fc, _address, count) => new Array<boolean>(count).fill(false),
  ...(writable ? { writeCoils: () => undefined, writeRegisters: () => undefined } : {}),
});

describe("modbus-serial ServerTCP under the PLC bridge's hostile cases (why lib/modbus/server.ts stays)", function () {
  this.timeout(30_000);
  let ours: ModbusTcpServer | undefined;
  let peer: PeerServer | undefined;
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await ours?.close();
    await peer?.close();
    ours = undefined;
    peer = undefined;
  });

  it('malformed writes: the bridge answers each with exception 03 (01 when read-only); ServerTCP leaves them unanswered or carries them out', async () => {
    const coilWrites: Array<[number, boolean]> = [];
    ours = new ModbusTcpServer({ port: 0, bank: bank(true) });
    const oursPort = await ours.listen();
    peer = await startServerTcp({ ...bulkVector(registerAt, true), setCoil: (address: number, value: boolean) => void coilWrites.push([address, value]) });
    expect(await specAnswers(oursPort, MALFORMED_WRITES, 3)).to.deep.equal({ right: MALFORMED_WRITES.length, unanswered: 0 });
    const theirs = await specAnswers(peer.port, MALFORMED_WRITES, 3, 800);
    expect(theirs.right, 'ServerTCP answers as the spec says').to.equal(0);
    expect(theirs.unanswered, 'ServerTCP leaves the client to its timeout').to.be.at.least(7);
    // FC05 with 0x1234 (spec: exception 03) switches the coil off instead
    expect(coilWrites).to.deep.include([0x6e, false]);
    await ours.close();
    await peer.close();
    ours = new ModbusTcpServer({ port: 0, bank: bank(false) });
    peer = await startServerTcp(bulkVector(registerAt, false));
    expect((await specAnswers(await ours.listen(), MALFORMED_WRITES, 1)).right).to.equal(MALFORMED_WRITES.length);
    expect((await specAnswers(peer.port, MALFORMED_WRITES, 1, 800)).right, 'ServerTCP without setters answers 01').to.equal(0);
  });

  it('reads beyond 125 registers: the bridge answers exception 03; ServerTCP answers 126 registers, or 04', async () => {
    ours = new ModbusTcpServer({ port: 0, bank: bank(false) });
    const oursPort = await ours.listen();
    peer = await startServerTcp(bulkVector(registerAt, false));
    expect((await specAnswers(oursPort, OVERSIZED_READS, 3)).right).to.equal(OVERSIZED_READS.length);
    expect((await specAnswers(peer.port, OVERSIZED_READS, 3)).right).to.equal(0);
    const reply = await modbusRequest(peer.port, 1, OVERSIZED_READS[0]);
    expect(reply[1], 'byte count of ServerTCP reply to a read of 126').to.equal(252);
  });

  it('idle and half-sent connections: the bridge closes them after its timeouts; ServerTCP holds every one', async () => {
    ours = new ModbusTcpServer({ port: 0, bank: bank(false), requestTimeoutMs: 300, idleTimeoutMs: 800 });
    const oursPort = await ours.listen();
    peer = await startServerTcp(bulkVector(registerAt, false));
    for (const port of [oursPort, peer.port]) {
      for (let i = 0; i < 10; i++) sockets.push(await squatter(port));
      const idle = await connect(port);
      idle.write(readAdu(1)); // one whole request, then nothing
      sockets.push(idle);
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(ours.connections, 'bridge').to.equal(0);
    expect(ours.stats.closed).to.include({ partial: 10, idle: 1 });
    expect(peer.connections(), 'ServerTCP').to.equal(11);
  });

  it('a client that pipelines reads and never reads its socket: the bridge holds at most its bound; ServerTCP holds megabytes', async () => {
    const bound = 64 * 1024;
    ours = new ModbusTcpServer({ port: 0, bank: bank(false), maxBufferedBytes: bound });
    const oursPort = await ours.listen();
    peer = await startServerTcp(bulkVector(registerAt, false));
    const requests = 40_000;
    const oursHeld = await nonReader(oursPort, requests, () => ours?.connectionInfo().reduce((sum, c) => sum + c.bufferedBytes, 0) ?? 0);
    const peerHeld = await nonReader(peer.port, requests, () => peer?.heldBytes() ?? 0);
    expect(oursHeld).to.be.at.most(bound + 260);
    expect(ours.stats.pauses).to.be.at.least(1);
    expect(peerHeld, `ServerTCP held ${peerHeld} bytes`).to.be.above(16 * bound);
  });
});
