/**
 * PLC bridge: how many 125-register reads (FC04) per second the bridge answers over one loopback connection,
 * against modbus-serial's ServerTCP (the server under node-red-contrib-modbus) serving the same registers to
 * the same client in the same run; and how many device envelopes per second the process image takes in,
 * against the core JSON node's work on the same message (JSON.stringify + JSON.parse).
 * Run alone: `npm run build && node dist/bench/plc-bridge.bench.js`.
 */
import * as net from 'net';
import { ModbusTcpServer } from '../lib/modbus/server';
import { buildMap, parseConfig } from '../nodes/plc-bridge/map';
import { BridgeImage } from '../nodes/plc-bridge/image';
import { opsPerSecond, report } from './report';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const ServerTCP = require('modbus-serial').ServerTCP as new (
  vector: object,
  options: object,
) => { on(e: string, cb: (...a: unknown[]) => void): void; close(cb: () => void): void };

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
  // modbus-serial does not report the port it bound, so give it a free one
  const peerPort = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const peerServer = new ServerTCP(
    {
      getInputRegister: (addr: number) => snapshot[addr] ?? 0,
      getHoldingRegister: (addr: number) => snapshot[addr] ?? 0,
    },
    { host: '127.0.0.1', port: peerPort, unitID: 1, debug: false },
  );
  await new Promise<void>((r) => peerServer.on('initialized', () => r()));

  // warm up both, then measure alternately
  await readRate(oursPort, 200);
  await readRate(peerPort, 200);
  const oursRate = await readRate(oursPort, 200);
  const peerRate = await readRate(peerPort, 200);

  let i = 0;
  const updates = opsPerSecond((iterations) => {
    for (let k = 0; k < iterations; k++) image.update(envelope((i++ % 4) + 1, i), Date.now());
  });
  const jsonRate = opsPerSecond((iterations) => {
    for (let k = 0; k < iterations; k++) JSON.parse(JSON.stringify(envelope((i++ % 4) + 1, i)));
  });

  await ours.close();
  await new Promise<void>((r) => peerServer.close(() => r()));

  report([
    {
      name: 'FC04 reads of 125 registers/s, one connection',
      measured: oursRate,
      reference: peerRate,
      referenceName: 'modbus-serial ServerTCP',
      unit: 'reads/s',
      higherIsBetter: true,
      target: { ratio: 1, comparison: '>=' },
    },
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

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
