/**
 * PLC bridge: how many 125-register reads (FC04) per second the bridge answers over one loopback connection,
 * against modbus-serial's ServerTCP (the server under node-red-contrib-modbus) serving the same registers through
 * its bulk callbacks (getMultipleInputRegisters / getMultipleHoldingRegisters) to the same client in the same run;
 * the bridge's hostile cases put to both (test/helpers/modbus-hostile.ts, asserted in
 * test/integration/modbus-server-peer.test.ts): malformed requests, idle and half-sent connections, a client that
 * never reads its replies; and how many device envelopes per second the process image takes in, against the core
 * JSON node's work on the same message (JSON.stringify + JSON.parse).
 * Run alone: `npm run build && node dist/bench/plc-bridge.bench.js`.
 */
import * as net from 'net';
import { ModbusServerOptions, ModbusTcpServer } from '../lib/modbus/server';
import { buildMap, parseConfig } from '../nodes/plc-bridge/map';
import { BridgeImage } from '../nodes/plc-bridge/image';
import {
  bulkVector,
  connect,
  MALFORMED_WRITES,
  nonReader,
  OVERSIZED_READS,
  PeerServer,
  readAdu,
  specAnswers,
  squatter,
  startServerTcp,
} from '../test/helpers/modbus-hostile';
import { Comparison, opsPerSecond, report } from './report';

const DURATION_MS = 2000;

function packDevice(n: number): object {
  return {
    topic: `bms/pack${n}`,
    kind: 'jk-bms',
    keys: ['voltage', 'current', 'power', 'soc', 'cellMin', 'cellMax', 'cellDelta', 'mosTemperature'].map((key) => ({ key })).concat([{ key: 'cellVoltages', count: 16 } as { key: string; count?: number }]),
    alarms: [{ id: 'cellHigh' }, { id: 'cellLow' }],
  };
}

function envelope(n: number, i: number): object {
  return {
    topic: `bms/pack${n}`,
    payload: {
      voltage: 53.2 + (i % 10) / 100,
      current: -12.5,
      power: -665,
      soc: 87,
      cellMin: 3.32,
      cellMax: 3.34,
      cellDelta: 0.02,
      mosTemperature: 31.2,
      cellVoltages: Array.from({ length: 16 }, (_, c) => 3.32 + c / 1000),
    },
    quality: 'good',
    timestamp: Date.now(),
    alarms: [],
  };
}

/** Sequential FC04 reads of 125 registers at `address` for DURATION_MS over one connection; returns reads/s. */
function readRate(port: number, address: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let done = 0;
    let transaction = 0;
    let buffer: Buffer = Buffer.alloc(0);
    let start = 0n;
    const send = (): void => {
      transaction = (transaction + 1) & 0xffff;
      const adu = Buffer.from([0, 0, 0, 0, 0, 6, 1, 4, 0, 0, 0, 125]);
      adu.writeUInt16BE(transaction, 0);
      adu.writeUInt16BE(address, 8);
      socket.write(adu);
    };
    socket.on('connect', () => {
      start = process.hrtime.bigint();
      send();
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : Buffer.from(chunk);
      while (buffer.length >= 7 && buffer.length >= 6 + buffer.readUInt16BE(4)) {
        const len = 6 + buffer.readUInt16BE(4);
        if (buffer[7] !== 4) {
          socket.destroy();
          reject(new Error(`exception reply ${buffer[8]}`));
          return;
        }
        buffer = buffer.subarray(len);
        done++;
        const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
        if (elapsedMs >= DURATION_MS) {
          socket.destroy();
          resolve((done * 1000) / elapsedMs);
          return;
        }
        send();
      }
    });
    socket.on('error', reject);
  });
}

async function main(): Promise<void> {
  const parsed = parseConfig({ devices: [1, 2, 3, 4].map(packDevice) });
  const map = buildMap(parsed.config, parsed.problems);
  const image = new BridgeImage(map);
  for (let n = 1; n <= 4; n++) image.update(envelope(n, 0), Date.now());

  const ours = new ModbusTcpServer({ port: 0, bank: image.bank(), unitIds: [1] });
  const oursPort = await ours.listen();
  const snapshot = Array.from(image.registers);
  const peerServer = await startServerTcp(bulkVector((address) => snapshot[address] ?? 0, false));

  // warm up both, then measure alternately
  await readRate(oursPort, 200);
  await readRate(peerServer.port, 200);
  const oursRate = await readRate(oursPort, 200);
  const peerRate = await readRate(peerServer.port, 200);
  await ours.close();
  await peerServer.close();
  const hostile = await hostileCases();

  let i = 0;
  const updates = opsPerSecond((iterations) => {
    for (let k = 0; k < iterations; k++) image.update(envelope((i++ % 4) + 1, i), Date.now());
  });
  const jsonRate = opsPerSecond((iterations) => {
    for (let k = 0; k < iterations; k++) JSON.parse(JSON.stringify(envelope((i++ % 4) + 1, i)));
  });

  report([
    {
      name: 'FC04 reads of 125 registers/s, one connection',
      measured: oursRate,
      reference: peerRate,
      referenceName: 'modbus-serial ServerTCP, bulk callbacks',
      unit: 'reads/s',
      higherIsBetter: true,
      target: { ratio: 1, comparison: '>=' },
    },
    ...hostile,
    {
      name: 'device envelopes/s into the process image (4 packs, 24 keys)',
      measured: updates,
      reference: jsonRate,
      referenceName: 'core json node round trip of the same msg',
      unit: 'msg/s',
      higherIsBetter: true,
      target: { ratio: 1, comparison: '>=' },
    },
  ]);
}

/** The bridge's hostile cases, put to a fresh server of each kind; the bridge's server with short timeouts. */
async function hostileCases(): Promise<Comparison[]> {
  const registerAt = (address: number): number => address & 0xffff;
  const bank = { readRegisters: (_fc: 3 | 4, address: number, count: number) => Array.from({ length: count }, (_, i) => registerAt(address + i)) };
  const both = async <T>(
    run: (port: number, held: () => number, connections: () => number) => Promise<T>,
    limits: Partial<ModbusServerOptions> = {},
  ): Promise<{ ours: T; peer: T }> => {
    const ours = new ModbusTcpServer({ port: 0, bank, ...limits });
    const oursPort = await ours.listen();
    const oursResult = await run(oursPort, () => ours.connectionInfo().reduce((sum, c) => sum + c.bufferedBytes, 0), () => ours.connections);
    await ours.close();
    const peer: PeerServer = await startServerTcp(bulkVector(registerAt, false));
    const peerResult = await run(peer.port, () => peer.heldBytes(), () => peer.connections());
    await peer.close();
    return { ours: oursResult, peer: peerResult };
  };
  const malformed = await both(async (port) => {
    const writes = await specAnswers(port, MALFORMED_WRITES, 1, 800); // a read-only bank: 01 (illegal function)
    const reads = await specAnswers(port, OVERSIZED_READS, 3, 800);
    return writes.right + reads.right;
  });
  const lingering = await both(async (port, _held, connections) => {
    const sockets = [];
    for (let i = 0; i < 10; i++) sockets.push(await squatter(port));
    const idle = await connect(port);
    idle.write(readAdu(1));
    sockets.push(idle);
    await new Promise((r) => setTimeout(r, 1500));
    const open = connections();
    for (const s of sockets) s.destroy();
    return open;
  }, { requestTimeoutMs: 300, idleTimeoutMs: 800 });
  // the server's default bound on unread replies (64 KiB)
  const held = await both((port, heldBytes) => nonReader(port, 40_000, heldBytes));
  const total = MALFORMED_WRITES.length + OVERSIZED_READS.length;
  return [
    {
      name: `malformed requests answered as the spec says (of ${total})`,
      measured: malformed.ours,
      reference: malformed.peer,
      referenceName: 'modbus-serial ServerTCP',
      unit: 'answers',
      higherIsBetter: true,
      target: { ratio: 1, comparison: '>=' },
    },
    {
      name: 'connections still open 1.5 s after 10 half-sent + 1 idle (timeouts 0.3 s / 0.8 s)',
      measured: lingering.ours,
      reference: lingering.peer,
      referenceName: 'modbus-serial ServerTCP',
      unit: 'connections',
      higherIsBetter: false,
      target: { ratio: 1, comparison: '<=' },
    },
    {
      name: 'reply bytes held for a client that sent 40,000 reads and reads none',
      measured: held.ours,
      reference: held.peer,
      referenceName: 'modbus-serial ServerTCP',
      unit: 'bytes',
      higherIsBetter: false,
      target: { ratio: 1, comparison: '<=' },
    },
  ];
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
