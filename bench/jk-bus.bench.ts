/**
 * One full poll cycle of 15 JK-PB packs over a socat pseudo-terminal, at 115200 and 9600 baud, against the
 * wire-time limit computed from the frame sizes, the configured command gap and the simulator's turnaround.
 * A pty moves bytes instantly, so the JK simulator paces its replies at the line's baud (as a UART does); the
 * requests still arrive instantly, so the limit the pty can reach counts the reply bytes, the turnaround and
 * the gaps, and the physical limit adds the request bytes (printed beside it).
 *
 * In the same run, the Modbus RTU part: the same 15 packs read as JK Modbus register blocks (the three FC03
 * reads of the live block) by this package and by node-red-contrib-modbus 5.23.3 (modbus-client + flex-getter
 * in a Node-RED runtime) over the same kind of pty, printed as a ratio.
 *
 * node dist/bench/jk-bus.bench.js
 */
import { EventEmitter } from 'events';
import { Rs485Bus } from '../lib/rs485/bus';
import { pollPack } from '../nodes/jk-bms/client';
import { READ_PLAN } from '../nodes/jk-bms/protocol';
import { JkSimulator } from '../nodes/jk-bms/simulator';
import { PtyPair } from '../test/helpers/pty';
import { Comparison, report } from './report';

const PACKS = Array.from({ length: 15 }, (_, i) => i + 1);
const TURNAROUND_MS = 5;
const GAP_MS = 100;
const BITS = 10; // 8N1
const TRIGGER_BYTES = 11;
const JK02_REPLY_BYTES = 300 + 8;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function withLine<T>(baud: number, fn: (pty: PtyPair, sim: JkSimulator) => Promise<T>): Promise<T> {
  const pty = new PtyPair();
  await pty.start();
  const sim = new JkSimulator({ serial: pty.b, packs: PACKS, baud, turnaroundMs: TURNAROUND_MS, tickMs: 0 });
  await sim.start();
  try {
    return await fn(pty, sim);
  } finally {
    await sim.stop();
    await pty.dispose();
  }
}

async function openBus(path: string, baud: number, gapMs: number): Promise<Rs485Bus> {
  const bus = new Rs485Bus({ kind: 'serial', path, baudRate: baud, dataBits: 8, parity: 'none', stopBits: 1 }, { gapMs, timeoutMs: 3000, echo: false });
  bus.start();
  await bus.waitUntilUp(5000);
  return bus;
}

async function jk02Cycle(baud: number): Promise<Comparison[]> {
  return withLine(baud, async (pty) => {
    const bus = await openBus(pty.a, baud, GAP_MS);
    try {
      const cycle = async (): Promise<number> => {
        const t0 = performance.now();
        for (const address of PACKS) await pollPack(bus, 'jk02', address, 'status');
        return performance.now() - t0;
      };
      await cycle(); // warm-up (JIT, first port reads)
      // the bus FIFO keeps its gap after the last reply; wait it out so each cycle starts on a quiet bus
      await new Promise((r) => setTimeout(r, GAP_MS));
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        times.push(await cycle());
        await new Promise((r) => setTimeout(r, GAP_MS));
      }
      const byte = (BITS / baud) * 1000;
      const reachable = PACKS.length * (JK02_REPLY_BYTES * byte + TURNAROUND_MS) + (PACKS.length - 1) * GAP_MS;
      const physical = reachable + PACKS.length * TRIGGER_BYTES * byte;
      process.stdout.write(
        `jk02 ${baud} baud: cycles ${times.map((t) => t.toFixed(0)).join(', ')} ms; limit ${reachable.toFixed(0)} ms ` +
          `(replies ${JK02_REPLY_BYTES} B + ${TURNAROUND_MS} ms turnaround per pack, ${PACKS.length - 1} gaps of ${GAP_MS} ms); ` +
          `with the trigger bytes on a real line ${physical.toFixed(0)} ms\n`,
      );
      return [
        {
          name: `jk02 poll cycle, 15 packs, ${baud} baud`,
          measured: median(times),
          reference: reachable,
          referenceName: 'wire-time limit',
          unit: 'ms',
          higherIsBetter: false,
          target: { ratio: 1.25, comparison: '<=' },
        },
      ];
    } finally {
      await bus.close();
    }
  });
}

/** The FC03 reads of one poll of the live block, as node-red-contrib-modbus flex-getter messages. */
const READS = READ_PLAN.status;

async function ourModbusCycle(path: string, baud: number): Promise<number> {
  const bus = await openBus(path, baud, 1);
  try {
    const cycle = async (): Promise<number> => {
      const t0 = performance.now();
      for (const address of PACKS) await pollPack(bus, 'jk-modbus', address, 'status');
      return performance.now() - t0;
    };
    await cycle();
    const times = [await cycle(), await cycle(), await cycle()];
    return median(times);
  } finally {
    await bus.close();
  }
}

interface TestNode extends EventEmitter {
  receive(msg: object): void;
}
interface Helper {
  init(path: string, settings?: object): void;
  load(modules: unknown[], flow: object[]): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode | null;
  startServer(done: (err?: Error) => void): void;
  stopServer(done: (err?: Error) => void): void;
}

async function peerModbusCycle(path: string, baud: number): Promise<number> {
  /* eslint-disable @typescript-eslint/no-var-requires */
  const helper = require('node-red-node-test-helper') as Helper;
  helper.init(require.resolve('node-red'));
  const client = require('node-red-contrib-modbus/modbus/modbus-client.js');
  const getter = require('node-red-contrib-modbus/modbus/modbus-flex-getter.js');
  /* eslint-enable @typescript-eslint/no-var-requires */
  await new Promise<void>((resolve, reject) => helper.startServer((err) => (err ? reject(err) : resolve())));
  try {
    await helper.load(
      [client, getter],
      [
        { id: 'mb-tab', type: 'tab' },
        {
          id: 'mb-client',
          type: 'modbus-client',
          clienttype: 'serial',
          serialPort: path,
          serialType: 'RTU-BUFFERD',
          serialBaudrate: baud,
          serialDatabits: 8,
          serialStopbits: 1,
          serialParity: 'none',
          serialConnectionDelay: 100,
          unit_id: 1,
          commandDelay: 1,
          clientTimeout: 3000,
          reconnectOnTimeout: true,
          reconnectTimeout: 2000,
          parallelUnitIdsAllowed: false,
          bufferCommands: true,
        },
        { id: 'mb-getter', type: 'modbus-flex-getter', z: 'mb-tab', server: 'mb-client', showErrors: true, wires: [['mb-out'], []] },
        { id: 'mb-out', type: 'helper', z: 'mb-tab', wires: [] },
      ],
    );
    const getterNode = helper.getNode('mb-getter') as TestNode;
    const out = helper.getNode('mb-out') as TestNode;
    const readOne = (unitid: number, address: number, quantity: number, timeoutMs = 10_000): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          out.removeAllListeners('input');
          reject(new Error(`node-red-contrib-modbus: no reply from ${unitid}`));
        }, timeoutMs);
        out.once('input', () => {
          clearTimeout(timer);
          resolve();
        });
        getterNode.receive({ payload: { fc: 3, unitid, address, quantity } });
      });
    // wait for the client to open the port (serialConnectionDelay) and answer one read
    await new Promise((r) => setTimeout(r, 1000));
    const until = Date.now() + 20_000;
    for (;;) {
      try {
        await readOne(1, READS[0].address, 1, 2000);
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
      }
    }
    const cycle = async (): Promise<number> => {
      const t0 = performance.now();
      for (const unitid of PACKS) for (const r of READS) await readOne(unitid, r.address, r.count);
      return performance.now() - t0;
    };
    await cycle();
    const times = [await cycle(), await cycle(), await cycle()];
    return median(times);
  } finally {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  }
}

async function modbusComparison(baud: number): Promise<Comparison[]> {
  const ours = await withLine(baud, (pty) => ourModbusCycle(pty.a, baud));
  const peer = await withLine(baud, (pty) => peerModbusCycle(pty.a, baud));
  const byte = (BITS / baud) * 1000;
  const replyBytes = READS.reduce((s, r) => s + 5 + 2 * r.count, 0);
  const reachable = PACKS.length * (replyBytes * byte + READS.length * TURNAROUND_MS);
  process.stdout.write(
    `jk-modbus ${baud} baud: ${PACKS.length} packs x ${READS.length} FC03 reads (${READS.map((r) => r.count).join('+')} registers): ` +
      `this package ${ours.toFixed(0)} ms, node-red-contrib-modbus 5.23.3 ${peer.toFixed(0)} ms, wire-time limit ${reachable.toFixed(0)} ms\n`,
  );
  return [
    {
      name: `JK Modbus cycle, 15 packs x ${READS.length} reads, ${baud} baud`,
      measured: ours,
      reference: peer,
      referenceName: 'node-red-contrib-modbus 5.23.3',
      unit: 'ms',
      higherIsBetter: false,
    },
    {
      name: `JK Modbus cycle, 15 packs x ${READS.length} reads, ${baud} baud`,
      measured: ours,
      reference: reachable,
      referenceName: 'wire-time limit',
      unit: 'ms',
      higherIsBetter: false,
    },
  ];
}

async function main(): Promise<void> {
  if (!PtyPair.available()) {
    process.stdout.write('socat not installed: jk-bus benchmark skipped\n');
    return;
  }
  const results: Comparison[] = [];
  for (const baud of [115200, 9600]) results.push(...(await jk02Cycle(baud)));
  for (const baud of [115200, 9600]) results.push(...(await modbusComparison(baud)));
  report(results);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`jk-bus bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
