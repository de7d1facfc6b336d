/**
 * bacs benchmark: a full poll of a 512-module BACS system (8 strings × 64 modules) through the bacs node, in
 * requests and wall time, against (a) the minimum request count the planner can prove and (b) the same
 * system read with node-red-contrib-modbus 5.23.3 configured as a user typically would: one Modbus-Getter
 * per module (5 registers each) plus one for the general and string block, all triggered at once.
 * Both run in the same Node-RED runtime against the same simulator on loopback, first as fast as loopback
 * answers, then with 10 ms per request (the low end of embedded Modbus/TCP servers, docs/bacs.md §7.4).
 * Last, what the endpoint's client (lib/modbus/client.ts: modbus-serial with the package's queue, back-off and
 * typed errors on top) costs per read against a bare modbus-serial loop (connectTCP + readHoldingRegisters) on
 * the same server in the same run.
 *
 *   node dist/bench/bacs.bench.js
 */
import { BacsSimulator } from '../nodes/bacs/simulator';
import { DEFAULT_MODULE_TEMPLATE, pollRanges } from '../nodes/bacs/registers';
import { minimumRequests } from '../lib/wire/modbus-planner';
import { helper, startServer, stopServer, TestNode } from '../test/node/red-helper';
import ModbusRTU from 'modbus-serial';
import { ModbusTcpClient } from '../lib/modbus/client';
import { ModbusTcpServer } from '../lib/modbus/server';
import { Comparison, report } from './report';

/* eslint-disable @typescript-eslint/no-var-requires */
const endpointNode = require('../nodes/links/modbus-endpoint');
const bacsNode = require('../nodes/bacs/bacs');
const peerClient = require('node-red-contrib-modbus/modbus/modbus-client.js');
const peerGetter = require('node-red-contrib-modbus/modbus/modbus-getter.js');

const STRINGS = 8;
const MODULES = 512;
const ROUNDS = 3;

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function ours(sim: BacsSimulator): Promise<{ ms: number; requests: number }> {
  await helper.load([endpointNode, bacsNode], [
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'ep', type: 'modbus-endpoint', host: '127.0.0.1', port: String(sim.port), unitId: '1', timeout: '5000', functionCode: '3', addressing: '0' },
    { id: 'b1', type: 'bacs', z: 'tab', endpoint: 'ep', interval: '3600', staleTime: '0', moduleSource: 'modbus', moduleTemplate: '', wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ]);
  const b1 = helper.getNode('b1') as TestNode;
  const out = helper.getNode('out') as TestNode;
  const nextMessage = (): Promise<{ payload: { modules?: unknown[] }; quality: string }> => new Promise((resolve) => out.once('input', resolve));
  const first = await nextMessage(); // first poll also learns the counts
  if (first.quality !== 'good' || first.payload.modules?.length !== MODULES) throw new Error('first poll incomplete');
  const times: number[] = [];
  const requests: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const before = sim.requestCount;
    const started = process.hrtime.bigint();
    const got = nextMessage();
    b1.receive({});
    const msg = await got;
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    requests.push(sim.requestCount - before);
    if (msg.payload.modules?.length !== MODULES) throw new Error(`poll returned ${msg.payload.modules?.length} modules`);
  }
  await helper.unload();
  return { ms: median(times), requests: median(requests) };
}

async function peer(sim: BacsSimulator): Promise<{ ms: number; requests: number }> {
  const t = DEFAULT_MODULE_TEMPLATE;
  const flow: object[] = [
    { id: 'tab', type: 'tab', label: 'peer' },
    {
      id: 'client', type: 'modbus-client', name: 'bacs', clienttype: 'tcp', bufferCommands: true, stateLogEnabled: false, queueLogEnabled: false,
      failureLogEnabled: false, tcpHost: '127.0.0.1', tcpPort: String(sim.port), tcpType: 'DEFAULT', unit_id: 1, commandDelay: 1,
      clientTimeout: 5000, reconnectOnTimeout: true, reconnectTimeout: 2000, parallelUnitIdsAllowed: true,
    },
    { id: 'sink', type: 'helper', z: 'tab' },
  ];
  const getters: string[] = [];
  const getter = (id: string, adr: number, quantity: number): object => ({
    id, type: 'modbus-getter', z: 'tab', x: 100, y: 100, name: '', showStatusActivities: false, showErrors: false, logIOActivities: false, unitid: '1',
    dataType: 'HoldingRegister', adr: String(adr), quantity: String(quantity), server: 'client', useIOFile: false, ioFile: '',
    useIOForPayload: false, emptyMsgOnFail: false, keepMsgProperties: false, wires: [['sink'], []],
  });
  flow.push(getter('g-general', 1000, 10 + 5 * STRINGS));
  getters.push('g-general');
  for (let m = 1; m <= MODULES; m++) {
    flow.push(getter(`g-${m}`, t.base + t.stride * (m - 1), 5));
    getters.push(`g-${m}`);
  }
  await helper.load([peerClient, peerGetter], flow);
  const sink = helper.getNode('sink') as TestNode;
  // wait until the peer's client is connected (it reports through the getters' status)
  await new Promise((r) => setTimeout(r, 3000));
  const times: number[] = [];
  const requests: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let count = 0;
    const before = sim.requestCount;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`peer answered ${count} of ${getters.length} reads`)), 600000);
      const onInput = (): void => {
        count++;
        if (count === getters.length) {
          clearTimeout(timer);
          sink.off('input', onInput);
          resolve();
        }
      };
      sink.on('input', onInput);
    });
    const started = process.hrtime.bigint();
    for (const id of getters) (helper.getNode(id) as TestNode).receive({ payload: '' });
    await done;
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    requests.push(sim.requestCount - before);
  }
  await helper.unload();
  return { ms: median(times), requests: median(requests) };
}

/** CPU µs per sequential FC03 read of 125 registers (client and server in this process), over READ_MS. */
const READ_MS = 2000;
async function cpuPerRead(read: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 300; i++) await read();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let reads = 0;
  while (Number(process.hrtime.bigint() - started) / 1e6 < READ_MS) {
    await read();
    reads++;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / reads;
}

async function clientCost(): Promise<Comparison> {
  const server = new ModbusTcpServer({ port: 0, bank: { readRegisters: (_fc, address, count) => Array.from({ length: count }, (_, i) => (address + i) & 0xffff) } });
  const port = await server.listen();
  const ours = new ModbusTcpClient({ host: '127.0.0.1', port, unitId: 1, timeoutMs: 5000 });
  const bare = new ModbusRTU();
  bare.setID(1);
  bare.setTimeout(5000);
  await bare.connectTCP('127.0.0.1', { port });
  // alternate, so that a load change on the machine hits both
  const oursUs: number[] = [];
  const bareUs: number[] = [];
  for (let round = 0; round < 3; round++) {
    oursUs.push(await cpuPerRead(() => ours.readRegisters(3, 0, 125)));
    bareUs.push(await cpuPerRead(() => bare.readHoldingRegisters(0, 125)));
  }
  await ours.close();
  await new Promise<void>((resolve) => bare.close(() => resolve()));
  await server.close();
  return {
    name: 'CPU per FC03 read of 125 registers (client + server in one process)',
    measured: median(oursUs),
    reference: median(bareUs),
    referenceName: 'bare modbus-serial loop',
    unit: 'µs',
    higherIsBetter: false,
  };
}

async function main(): Promise<void> {
  await startServer();
  const minimum = minimumRequests(pollRanges(DEFAULT_MODULE_TEMPLATE, STRINGS, MODULES));
  const comparisons: Comparison[] = [];
  for (const latencyMs of [0, 10]) {
    const sim = new BacsSimulator({ strings: STRINGS, modules: MODULES, port: 0, tickMs: 0 });
    await sim.start();
    if (latencyMs > 0) sim.setFaults([{ kind: 'slow', ms: latencyMs }]);
    const a = await ours(sim);
    const b = await peer(sim);
    await sim.stop();
    const where = latencyMs === 0 ? 'loopback' : `${latencyMs} ms/request`;
    comparisons.push({
      name: `bacs full poll, 512 modules, ${where}: requests`,
      measured: a.requests,
      reference: minimum,
      referenceName: 'proven minimum',
      unit: 'requests',
      higherIsBetter: false,
      target: { ratio: 1, comparison: '<=' },
    });
    comparisons.push({
      name: `bacs full poll, 512 modules, ${where}: speed (polls/s)`,
      measured: 1000 / a.ms,
      reference: 1000 / b.ms,
      referenceName: `node-red-contrib-modbus 5.23.3, one getter per module (${b.requests} requests, ${Math.round(b.ms)} ms)`,
      unit: 'polls/s',
      higherIsBetter: true,
      target: { ratio: 5, comparison: '>=' },
    });
    process.stdout.write(`${where}: bacs ${a.requests} requests in ${a.ms.toFixed(1)} ms; peer ${b.requests} requests in ${b.ms.toFixed(1)} ms\n`);
  }
  comparisons.push(await clientCost());
  report(comparisons);
  await stopServer();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bacs bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
