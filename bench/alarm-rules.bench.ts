/**
 * alarm-rules benchmark (`node --expose-gc dist/bench/alarm-rules.bench.js`, or `npm run bench -- alarm`):
 * 1. engine evaluations per second at 10, 1,000 and 100,000 tracked alarms (one evaluation = one alarm's value
 *    checked against its rule), against the 1,000,000/s target;
 * 2. heap per tracked alarm (global.gc before and after), against the 1 KB target;
 * 3. messages per second through the alarm-rules node inside a Node-RED runtime (node-red-node-test-helper)
 *    against the core `filter` node (rbe) in deadband mode, same messages, same run; target >= 0.8x.
 */
import { AlarmEngine } from '../nodes/alarm-rules/engine';
import type { AlarmRuleConfig } from '../lib/alarm-types';
import { Comparison, opsPerSecond, report } from './report';

const CELLS = 16;

const CELL_RULES: AlarmRuleConfig[] = [
  { id: 'cell_ov', name: 'Cell over-voltage', severity: 'major', type: 'high', path: 'payload.cellVoltages[*]', alarmValue: 3.65, clearValue: 3.55, unit: 'V' },
];

/**
 * Messages for `topics` packs of 16 cells over `variants` rounds; about 1 evaluation in 500 is a cell spiking
 * above its limit (a raise, and a clear in the next round), the rest move within the normal band.
 */
function cellMessages(topics: number, variants: number): Array<Array<{ topic: string; payload: { cellVoltages: number[] } }>> {
  const out: Array<Array<{ topic: string; payload: { cellVoltages: number[] } }>> = [];
  for (let v = 0; v < variants; v++) {
    const round: Array<{ topic: string; payload: { cellVoltages: number[] } }> = [];
    for (let t = 0; t < topics; t++) {
      const cells: number[] = [];
      for (let c = 0; c < CELLS; c++) {
        const spike = (t * CELLS + c + 37 * v) % 500 === 0;
        cells.push(spike ? 3.7 : 3.3 + ((t + c + v) % 7) * 0.01);
      }
      round.push({ topic: `bms/${t}`, payload: { cellVoltages: cells } });
    }
    out.push(round);
  }
  return out;
}

function engineRate(alarms: number): { rate: number; tracked: number } {
  const topics = Math.max(1, Math.round(alarms / CELLS));
  const engine = new AlarmEngine(CELL_RULES, { scheduler: { now: () => Date.now(), setTimer: () => 0, clearTimer: () => undefined } });
  const VARIANTS = 16;
  const rounds = cellMessages(topics, VARIANTS);
  for (const round of rounds) for (const m of round) engine.process(m);
  const perMessage = CELLS;
  let r = 0;
  let k = 0;
  const msgsPerSec = opsPerSecond((n) => {
    for (let i = 0; i < n; i++) {
      // every topic once per round, rounds in turn, as packs polled in a cycle would arrive
      const round = rounds[r];
      engine.process(round[k]);
      if (++k === round.length) {
        k = 0;
        r = (r + 1) % VARIANTS;
      }
    }
  }, 1500);
  return { rate: msgsPerSec * perMessage, tracked: engine.size };
}

function scalarRate(alarms: number): number {
  const engine = new AlarmEngine([{ id: 'ov', name: 'Pack over-voltage', severity: 'major', type: 'high', path: 'payload.voltage', alarmValue: 58, clearValue: 56 }], {
    scheduler: { now: () => Date.now(), setTimer: () => 0, clearTimer: () => undefined },
  });
  const topics = Array.from({ length: alarms }, (_, i) => `pack/${i}`);
  for (const topic of topics) engine.process({ topic, payload: { voltage: 50 } });
  // each message is built as a device node would build it; values stay inside the band except 1 in 1000
  let j = 0;
  return opsPerSecond((n) => {
    for (let i = 0; i < n; i++) {
      engine.process({ topic: topics[j], payload: { voltage: j % 1000 === 0 ? 59 : 50.5 } });
      if (++j === alarms) j = 0;
    }
  }, 1500);
}

function gc(): void {
  const g = (global as unknown as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

function bytesPerAlarm(alarms: number): number {
  const topics = alarms / CELLS;
  const rounds = cellMessages(topics, 1);
  gc();
  const before = process.memoryUsage().heapUsed;
  const engine = new AlarmEngine(CELL_RULES, { scheduler: { now: () => Date.now(), setTimer: () => 0, clearTimer: () => undefined } });
  for (const m of rounds[0]) engine.process(m);
  gc();
  const after = process.memoryUsage().heapUsed;
  if (engine.size !== alarms) throw new Error(`expected ${alarms} alarms, tracked ${engine.size}`);
  return (after - before) / alarms;
}

/** One alarm per topic: each alarm also carries its own topic plan, the worst case for memory. */
function bytesPerScalarAlarm(alarms: number): number {
  const msgs = Array.from({ length: alarms }, (_, i) => ({ topic: `pack/${i}`, payload: { voltage: 50 + (i % 9) } }));
  gc();
  const before = process.memoryUsage().heapUsed;
  const engine = new AlarmEngine([{ id: 'ov', name: 'Pack over-voltage', severity: 'major', type: 'high', path: 'payload.voltage', alarmValue: 58, clearValue: 56 }], {
    scheduler: { now: () => Date.now(), setTimer: () => 0, clearTimer: () => undefined },
  });
  for (const m of msgs) engine.process(m);
  gc();
  const after = process.memoryUsage().heapUsed;
  if (engine.size !== alarms) throw new Error(`expected ${alarms} alarms, tracked ${engine.size}`);
  return (after - before) / alarms;
}

// ------------------------------------------------------------------ through Node-RED

interface Helper {
  init(p: string): void;
  load(mods: unknown[], flow: unknown[]): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): { receive(msg: unknown): void; on(ev: string, fn: () => void): void };
  log(): { restore?: () => void };
}

async function nodeRates(): Promise<{ alarm: number; filter: number; quietAlarm: number; quietFilter: number }> {
  /* eslint-disable @typescript-eslint/no-var-requires */
  const helper = require('node-red-node-test-helper') as Helper;
  helper.init(require.resolve('node-red'));
  const alarmNode = require('../nodes/alarm-rules/alarm-rules');
  const rbeNode = require('@node-red/nodes/core/function/rbe.js');
  const flow = [
    { id: 'bench-tab', type: 'tab', label: 'bench' },
    {
      id: 'bench-alarm', type: 'alarm-rules', z: 'bench-tab', name: '',
      rules: [{ id: 'ov', name: 'Pack over-voltage', severity: 'major', type: 'high', path: 'payload', alarmValue: 58, clearValue: 56, unit: 'V' }],
      wires: [['bench-sink-a'], ['bench-sink-a']],
    },
    { id: 'bench-filter', type: 'rbe', z: 'bench-tab', func: 'deadband', gap: '0.5', start: '', inout: 'out', septopics: true, property: 'payload', topi: 'topic', wires: [['bench-sink-f']] },
    { id: 'bench-sink-a', type: 'helper', z: 'bench-tab' },
    { id: 'bench-sink-f', type: 'helper', z: 'bench-tab' },
  ];
  await helper.load([alarmNode, rbeNode], flow);
  // the helper spies on every log call and turns metrics on; neither belongs in a throughput figure
  helper.log().restore?.();
  const log = require('@node-red/util').log as { init(s: unknown): void };
  log.init({ logging: { console: { level: 'off', metrics: false, audit: false } } });
  const sinks = { a: 0, f: 0 };
  helper.getNode('bench-sink-a').on('input', () => sinks.a++);
  helper.getNode('bench-sink-f').on('input', () => sinks.f++);
  // 100 packs; each value steps by 2 V through 50..60 V, so the filter passes every message and the alarm
  // raises and clears every few messages (the node then also sends its table)
  const SERIES = [50, 52, 54, 56, 58, 60, 58, 56, 54, 52];
  const TOPICS = 100;
  const drain = (): Promise<void> => new Promise((r) => setImmediate(() => setImmediate(() => setImmediate(r))));
  // a second workload where values wander inside the filter's deadband and the alarm band: neither node sends
  const QUIET = [50, 50.1, 50.2, 50.1];
  async function run(id: string, n: number, series: number[] = SERIES): Promise<number> {
    const node = helper.getNode(id);
    const start = process.hrtime.bigint();
    const BATCH = 5000;
    for (let done = 0; done < n; done += BATCH) {
      for (let i = done; i < done + BATCH; i++) {
        node.receive({ topic: `pack/${i % TOPICS}`, payload: series[Math.floor(i / TOPICS) % series.length] });
      }
      await drain();
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    return (n * 1000) / ms;
  }
  await run('bench-filter', 20_000);
  await run('bench-alarm', 20_000);
  let best = { alarm: 0, filter: 0, quietAlarm: 0, quietFilter: 0 };
  for (let i = 0; i < 3; i++) {
    const f = await run('bench-filter', 100_000);
    const a = await run('bench-alarm', 100_000);
    const qf = await run('bench-filter', 100_000, QUIET);
    const qa = await run('bench-alarm', 100_000, QUIET);
    best = { alarm: Math.max(best.alarm, a), filter: Math.max(best.filter, f), quietAlarm: Math.max(best.quietAlarm, qa), quietFilter: Math.max(best.quietFilter, qf) };
  }
  if (sinks.a === 0 || sinks.f === 0) throw new Error('a node sent nothing: the comparison would be meaningless');
  await helper.unload();
  return best;
}

async function main(): Promise<void> {
  if (!(global as unknown as { gc?: unknown }).gc) {
    process.stderr.write('run with node --expose-gc for the memory figure\n');
    process.exitCode = 1;
    return;
  }
  const comparisons: Comparison[] = [];
  for (const n of [10, 1_000, 100_000]) {
    const { rate, tracked } = engineRate(n);
    comparisons.push({
      name: `engine evaluations/s, ${tracked.toLocaleString('en-US')} tracked alarms (cells[*])`,
      measured: rate,
      reference: 1_000_000,
      referenceName: 'target',
      unit: 'eval/s',
      higherIsBetter: true,
      target: { ratio: 1, comparison: '>=' },
    });
  }
  for (const n of [10, 1_000, 100_000]) {
    comparisons.push({
      name: `engine evaluations/s, ${n.toLocaleString('en-US')} tracked alarms (one per topic)`,
      measured: scalarRate(n),
      reference: 1_000_000,
      referenceName: 'target',
      unit: 'eval/s',
      higherIsBetter: true,
      target: { ratio: 1, comparison: '>=' },
    });
  }
  comparisons.push({
    name: 'heap per tracked alarm (100,000 cell alarms)',
    measured: bytesPerAlarm(100_000),
    reference: 1024,
    referenceName: 'limit',
    unit: 'B',
    higherIsBetter: false,
    target: { ratio: 1, comparison: '<=' },
  });
  comparisons.push({
    name: 'heap per tracked alarm (100,000 topics, one alarm each)',
    measured: bytesPerScalarAlarm(100_000),
    reference: 1024,
    referenceName: 'limit',
    unit: 'B',
    higherIsBetter: false,
    target: { ratio: 1, comparison: '<=' },
  });
  const { alarm, filter, quietAlarm, quietFilter } = await nodeRates();
  comparisons.push({
    name: 'msg/s through alarm-rules in Node-RED, values inside both bands',
    measured: quietAlarm,
    reference: quietFilter,
    referenceName: 'core filter (deadband)',
    unit: 'msg/s',
    higherIsBetter: true,
    target: { ratio: 0.8, comparison: '>=' },
  });
  comparisons.push({
    name: 'msg/s through alarm-rules in Node-RED, 2 V steps (filter passes all)',
    measured: alarm,
    reference: filter,
    referenceName: 'core filter (deadband)',
    unit: 'msg/s',
    higherIsBetter: true,
    target: { ratio: 0.8, comparison: '>=' },
  });
  report(comparisons);
}

main().catch((err) => {
  process.stderr.write(String(err && (err as Error).stack ? (err as Error).stack : err) + '\n');
  process.exitCode = 1;
});
