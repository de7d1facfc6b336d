/**
 * alarm-rules in a real Node-RED runtime (node-red-node-test-helper): outputs, commands, msg.rules, Catch for
 * malformed rules, the presets endpoint, and alarm state carried across a restart by a localfilesystem
 * context store.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
/* eslint-disable @typescript-eslint/no-var-requires */
const helper = require('node-red-node-test-helper') as TestHelper;
const context = require('@node-red/runtime/lib/nodes/context') as { init(s: unknown): void; load(): Promise<unknown>; close(): Promise<unknown> };
const alarmRulesNode = require('../../nodes/alarm-rules/alarm-rules') as NodeModule;
const jupiterNode = require('../../nodes/jupiter-hvdc/jupiter-hvdc') as NodeModule;

type NodeModule = (RED: unknown) => void;
interface TestNode {
  id: string;
  receive(msg: Record<string, unknown>): void;
  on(event: string, fn: (msg: Record<string, unknown>) => void): void;
  status?: unknown;
  warn: (...args: unknown[]) => void;
}
interface TestHelper {
  init(path: string, settings?: unknown): void;
  settings(s: unknown): unknown;
  load(modules: NodeModule | NodeModule[], flow: unknown[], creds?: unknown): Promise<void>;
  unload(): Promise<void>;
  clearFlows(): Promise<void>;
  getNode(id: string): TestNode;
  startServer(done: () => void): void;
  stopServer(done: () => void): void;
  request(): { get(url: string): { expect(code: number): Promise<{ body: unknown }> } };
}

helper.init(require.resolve('node-red'));

interface Msg {
  topic?: string;
  payload?: unknown;
  counts?: Record<string, unknown>;
  report?: boolean;
  error?: { message: string };
}

const RULES = [
  { id: 'hv', name: 'Pack over-voltage', severity: 'major', type: 'high', path: 'payload.voltage', alarmValue: 58, clearValue: 56, unit: 'V' },
  { id: 'cuv', name: 'Cell under-voltage', severity: 'critical', type: 'low', path: 'payload.cellVoltages[*]', alarmValue: 2.65, clearValue: 2.71, unit: 'V' },
];

function flow(extra: Record<string, unknown> = {}): unknown[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'ar', type: 'alarm-rules', z: 'tab', name: 'alarms', rules: RULES, wires: [['out1'], ['out2']], ...extra },
    { id: 'out1', type: 'helper', z: 'tab' },
    { id: 'out2', type: 'helper', z: 'tab' },
    { id: 'ar-catch', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

/** Collects what arrives at a helper node. */
function collector(id: string): Msg[] {
  const got: Msg[] = [];
  helper.getNode(id).on('input', (msg) => got.push(msg as Msg));
  return got;
}

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

describe('alarm-rules node (Node-RED runtime)', function () {
  this.timeout(20_000);

  before((done) => {
    helper.startServer(done);
  });
  after((done) => {
    helper.stopServer(done);
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('sends one message per state change on output 1 and the alarm table on output 2', async () => {
    await helper.load([alarmRulesNode], flow());
    const out1 = collector('out1');
    const out2 = collector('out2');
    const ar = helper.getNode('ar');
    ar.receive({ topic: 'bms/1', payload: { voltage: 58, cellVoltages: [3.3, 2.65, 3.3] } });
    await until(() => out1.length === 2 && out2.length === 1, 'raise messages');
    expect(out1.map((m) => m.topic)).to.deep.equal(['bms/1/hv', 'bms/1/cuv/1']);
    const p = out1[0].payload as Record<string, unknown>;
    for (const key of ['id', 'rule', 'topic', 'index', 'state', 'active', 'acknowledged', 'severity', 'value', 'valueAtRaise', 'valueAtClear', 'alarmValue', 'clearValue', 'since', 'duration', 'text']) {
      expect(p).to.have.property(key);
    }
    expect(p).to.include({ state: 'active-unacknowledged', value: 58, valueAtRaise: 58, alarmValue: 58, clearValue: 56 });
    expect(out2[0].topic).to.equal('alarms');
    expect((out2[0].payload as unknown[]).length).to.equal(2);
    expect(out2[0].counts).to.include({ active: 2, unacknowledged: 2, worst: 'critical' });

    // the same values again change nothing: no output at all
    ar.receive({ topic: 'bms/1', payload: { voltage: 58.5, cellVoltages: [3.3, 2.6, 3.3] } });
    await tick(100);
    expect(out1).to.have.length(2);
    expect(out2).to.have.length(1);

    // acknowledge one by id, then it clears to normal without a new unacknowledged event
    ar.receive({ command: 'ack', alarmId: 'bms/1/hv' });
    await until(() => out1.length === 3, 'ack');
    expect((out1[2].payload as Record<string, unknown>).state).to.equal('active-acknowledged');
    ar.receive({ topic: 'bms/1', payload: { voltage: 56, cellVoltages: [3.3, 2.71, 3.3] } });
    await until(() => out1.length === 5, 'clears');
    expect(out1.slice(3).map((m) => (m.payload as Record<string, unknown>).state)).to.deep.equal(['normal', 'returned-unacknowledged']);
    const clear = out1[4].payload as Record<string, unknown>;
    expect(clear).to.include({ valueAtRaise: 2.65, valueAtClear: 2.71 });
  });

  it('carries out every command given as a message, and report sends the whole table', async () => {
    await helper.load([alarmRulesNode], flow());
    const out1 = collector('out1');
    const out2 = collector('out2');
    const caught = collector('caught');
    const ar = helper.getNode('ar');
    ar.receive({ topic: 'p1', payload: { voltage: 60 } });
    ar.receive({ topic: 'p2', payload: { voltage: 50 } });
    await until(() => out1.length === 1, 'raise');
    const states = (): string[] => out1.map((m) => String((m.payload as Record<string, unknown>).state));
    const steps: Array<[Record<string, unknown>, string]> = [
      [{ command: 'shelve', alarmId: 'p1/hv', duration: 60 }, 'shelved'],
      [{ command: 'unshelve', alarmId: 'p1/hv' }, 'active-unacknowledged'],
      [{ command: 'shelve', alarmId: 'p1/hv', oneShot: true }, 'shelved'],
      [{ command: 'unshelve' }, 'active-unacknowledged'],
      [{ command: 'suppress', alarmId: 'p1/hv' }, 'suppressed'],
      [{ command: 'unsuppress', alarmId: 'p1/hv' }, 'active-unacknowledged'],
      [{ command: 'disable', alarmId: 'p1/hv' }, 'out-of-service'],
      // p1 still reads 60 V: back in service it is an alarm again, unacknowledged
      [{ command: 'enable', alarmId: 'p1/hv' }, 'active-unacknowledged'],
    ];
    for (const [cmd, want] of steps) {
      const before = out1.length;
      ar.receive(cmd);
      await until(() => out1.length > before, String(cmd.command));
      expect(states()[states().length - 1], JSON.stringify(cmd)).to.equal(want);
    }
    ar.receive({ topic: 'p1', payload: { voltage: 60 } });
    ar.receive({ command: 'ack' });
    ar.receive({ command: 'reset' });
    await until(() => states()[states().length - 1] === 'active-acknowledged', 'ack all');
    const n2 = out2.length;
    ar.receive({ command: 'report' });
    await until(() => out2.length > n2, 'report');
    const report = out2[out2.length - 1];
    expect(report.report).to.equal(true);
    expect((report.payload as Array<{ id: string }>).map((r) => r.id).sort()).to.deep.equal(['p1/hv', 'p2/hv']);
    // an unknown command and an unknown alarm reach Catch
    ar.receive({ command: 'explode' });
    ar.receive({ command: 'ack', alarmId: 'nope' });
    await until(() => caught.length === 2, 'catch');
    expect(caught[0].error?.message).to.match(/unknown command "explode"/);
    expect(caught[1].error?.message).to.match(/no alarm matches "nope"/);
  });

  it('msg.rules replaces the rules; a malformed rule is refused naming it, and reaches Catch', async () => {
    await helper.load([alarmRulesNode], flow());
    const out1 = collector('out1');
    const caught = collector('caught');
    const ar = helper.getNode('ar');
    ar.receive({ rules: [{ id: 'ov', type: 'high', path: 'payload', alarmValue: 4.3, clearValue: 4.4 }] });
    await until(() => caught.length === 1, 'catch');
    expect(caught[0].error?.message).to.match(/rule "ov": clearValue 4.4 is on the wrong side of alarmValue 4.3/);
    // the old rules still work
    ar.receive({ topic: 'x', payload: { voltage: 60 } });
    await until(() => out1.length === 1, 'old rules');
    ar.receive({ rules: JSON.stringify([{ id: 'temp', name: 'Temp', severity: 'minor', type: 'high', path: 'payload', alarmValue: 45, deadband: 2 }]) });
    ar.receive({ topic: 'x', payload: 45 });
    await until(() => out1.length === 2, 'new rules');
    expect(out1[1].topic).to.equal('x/temp');
  });

  it('refuses malformed deployed rules with an error that names the rule and reaches Catch', async () => {
    await helper.load([alarmRulesNode], [
      ...flow({ rules: [{ id: 'bad', type: 'low', path: 'payload', alarmValue: 2.65, clearValue: 2.6 }] }),
    ]);
    const caught = collector('caught');
    await until(() => caught.length === 1, 'catch');
    expect(caught[0].error?.message).to.match(/rule "bad": clearValue 2.6 is on the wrong side of alarmValue 2.65/);
    // nothing crashes and input is still handled (no rules, so no output)
    const out1 = collector('out1');
    helper.getNode('ar').receive({ payload: 1 });
    await tick(100);
    expect(out1).to.have.length(0);
  });

  it('survives hostile input: bad values warn once, change nothing, and never throw', async () => {
    await helper.load([alarmRulesNode], flow());
    const out1 = collector('out1');
    const out2 = collector('out2');
    const caught = collector('caught');
    const ar = helper.getNode('ar');
    const warnings: unknown[] = [];
    ar.warn = (...args: unknown[]) => warnings.push(args[0]);
    ar.receive({ topic: 'p', payload: { voltage: 60 } });
    await until(() => out1.length === 1, 'raise');
    for (const payload of [{ voltage: NaN }, { voltage: 'x' }, { voltage: Infinity }, { voltage: null }, 'str', null, 42, [1, 2], { cellVoltages: 'nope' }]) {
      ar.receive({ topic: 'p', payload });
    }
    ar.receive({ topic: { weird: true } as unknown as string, payload: { voltage: 1 } });
    ar.receive({ rules: 'not json' });
    await until(() => caught.length === 1, 'catch for msg.rules');
    await tick(100);
    expect(out1).to.have.length(1);
    expect(warnings).to.have.length(1);
    const table = out2[out2.length - 1];
    expect(table.counts).to.include({ badQuality: 1 });
  });

  it('shows counts in the status: green normal, red alarm, blue acknowledged, yellow warning only', async () => {
    await helper.load([alarmRulesNode], flow({
      rules: [...RULES, { id: 'warm', name: 'Warm', severity: 'warning', type: 'high', path: 'payload.temperature', alarmValue: 40 }],
    }));
    const ar = helper.getNode('ar') as TestNode & { status: (s: Record<string, unknown>) => void };
    const statuses: Array<Record<string, unknown>> = [];
    const original = ar.status.bind(ar);
    ar.status = (s) => {
      statuses.push(s);
      original(s);
    };
    const last = (): Record<string, unknown> => statuses[statuses.length - 1] ?? {};
    ar.receive({ topic: 'p', payload: { voltage: 60 } });
    await until(() => last().fill === 'red' && last().shape === 'dot', 'red dot');
    // the helper runtime has no catalogues, so the text is the key: the counts go in as substitutions
    expect(String(last().text)).to.contain('alarm-rules.status.alarms');
    ar.receive({ command: 'ack' });
    await until(() => last().fill === 'blue' && last().shape === 'ring', 'blue ring');
    ar.receive({ topic: 'p', payload: { voltage: 50 } });
    ar.receive({ topic: 'q', payload: { temperature: 41 } });
    await until(() => last().fill === 'yellow' && last().shape === 'dot', 'yellow dot');
    ar.receive({ topic: 'q', payload: { temperature: 30 } });
    ar.receive({ command: 'ack' });
    await until(() => last().fill === 'green' && last().shape === 'dot', 'green dot');
  });

  it('serves the preset catalogue the loaded device nodes registered', async () => {
    await helper.load([alarmRulesNode, jupiterNode], flow());
    const res = await helper.request().get('/dcpower/alarm-rules/presets').expect(200);
    const presets = res.body as Array<{ id: string; rules: Array<{ thresholdSource?: string }> }>;
    expect(presets.map((p) => p.id)).to.include('jupiter-hvdc');
    const jupiter = presets.find((p) => p.id === 'jupiter-hvdc');
    expect(jupiter?.rules.some((r) => r.thresholdSource === 'preset')).to.equal(true);
  });

  it('the example flow raises, acknowledges and clears alarms with its simulated battery', async () => {
    const example = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'examples', 'alarm-rules-battery-voltage.json'), 'utf8')) as Array<Record<string, unknown>>;
    const alarmCfg = example.find((n) => n.type === 'alarm-rules') as Record<string, unknown>;
    const battery = example.find((n) => n.id === 'alarm-rules-ex-battery') as { func: string };
    await helper.load([alarmRulesNode], flow({ rules: alarmCfg.rules }));
    const out1 = collector('out1');
    const caught = collector('caught');
    const ar = helper.getNode('ar');
    // run the example's own function body, as the function node would, for two periods of the voltage swing
    const store: Record<string, unknown> = {};
    const simulate = new Function('msg', 'context', battery.func) as (msg: Record<string, unknown>, ctx: unknown) => Record<string, unknown>;
    const ctx = { get: (k: string) => store[k], set: (k: string, v: unknown) => (store[k] = v) };
    let acked = false;
    for (let i = 0; i < 110; i++) {
      ar.receive(simulate({}, ctx));
      await tick(1);
      if (!acked && out1.some((m) => (m.payload as Record<string, unknown>).rule === 'cell_ov')) {
        ar.receive({ command: 'ack' });
        acked = true;
      }
    }
    await tick(100);
    const seen = (rule: string): string[] => out1.filter((m) => (m.payload as Record<string, unknown>).rule === rule).map((m) => String((m.payload as Record<string, unknown>).state));
    // cell 6 (index 5) reads 60 mV high: raised first, acknowledged, then back to normal without a new event
    const cell6 = out1.filter((m) => m.topic === 'battery/1/cell_ov/5').map((m) => String((m.payload as Record<string, unknown>).state));
    expect(cell6.slice(0, 3)).to.deep.equal(['active-unacknowledged', 'active-acknowledged', 'normal']);
    expect(seen('pack_uv')).to.include('active-unacknowledged');
    expect(seen('pack_uv')).to.include('returned-unacknowledged');
    expect(seen('cell_diff')).to.include('active-unacknowledged');
    expect(caught).to.have.length(0);
  });

  describe('return to service and re-alarm (ISA-18.2, OPC UA Part 9)', () => {
    const payloadOf = (m: Msg): Record<string, unknown> => m.payload as Record<string, unknown>;
    const DOOR = { id: 'door', name: 'Cabinet door', severity: 'major', type: 'state', path: 'payload.door', stateValue: true };

    it('a contact that closed while out of service is an unacknowledged alarm the moment it is back in service', async () => {
      await helper.load([alarmRulesNode], flow({ rules: [DOOR] }));
      const out1 = collector('out1');
      const out2 = collector('out2');
      const ar = helper.getNode('ar') as TestNode & { status: (s: Record<string, unknown>) => void };
      const statuses: Array<Record<string, unknown>> = [];
      const original = ar.status.bind(ar);
      ar.status = (st) => {
        statuses.push(st);
        original(st);
      };
      ar.receive({ topic: 'cab/1', payload: { door: false } });
      ar.receive({ command: 'disable', alarmId: 'cab/1/door' });
      await until(() => out1.length === 1, 'disable');
      expect(payloadOf(out1[0])).to.include({ state: 'out-of-service', event: 'disable' });
      // the contact closes once and never reports again (it reports on change only)
      ar.receive({ topic: 'cab/1', payload: { door: true } });
      await tick(100);
      expect(out1, 'out of service annunciates nothing').to.have.length(1);

      ar.receive({ command: 'enable', alarmId: 'cab/1/door' });
      await until(() => out1.length === 2, 'enable');
      expect(payloadOf(out1[1])).to.include({ state: 'active-unacknowledged', event: 'enable', active: true, acknowledged: false, value: true });
      await until(() => out2.some((m) => (m.payload as unknown[]).length === 1), 'table row');
      const table = out2[out2.length - 1];
      expect((table.payload as Array<Record<string, unknown>>)[0]).to.include({ id: 'cab/1/door', state: 'active-unacknowledged', realarmCount: 0 });
      expect(table.counts).to.include({ unacknowledged: 1, outOfService: 0 });
      await until(() => statuses.length > 0 && statuses[statuses.length - 1].fill === 'red', 'red status');
    });

    it('an on-delay still applies: a condition younger than the delay raises when the delay ends, after return to service', async () => {
      await helper.load([alarmRulesNode], flow({ rules: [{ ...RULES[0], onDelay: 0.4 }] }));
      const out1 = collector('out1');
      const ar = helper.getNode('ar');
      ar.receive({ topic: 'p', payload: { voltage: 50 } });
      ar.receive({ command: 'disable' });
      await until(() => out1.length === 1, 'disable');
      ar.receive({ topic: 'p', payload: { voltage: 60 } });
      ar.receive({ command: 'enable' });
      await until(() => out1.length === 2, 'enable');
      expect(payloadOf(out1[1])).to.include({ state: 'normal', event: 'enable' });
      await until(() => out1.length === 3, 'raise after the on-delay');
      expect(payloadOf(out1[2])).to.include({ state: 'active-unacknowledged', event: 'raise' });
      // the delay counted from the value (sent just before enable), not from nothing
      expect((payloadOf(out1[2]).since as number) - (payloadOf(out1[1]).since as number)).to.be.at.least(350);
    });

    it('re-alarm makes an acknowledged standing alarm unacknowledged again, counts it in the table, and stops once it clears', async () => {
      await helper.load([alarmRulesNode], flow({ rules: [{ ...RULES[0], realarm: 0.5 }] }));
      const out1 = collector('out1');
      const out2 = collector('out2');
      const ar = helper.getNode('ar');
      const events = (): Array<[unknown, unknown, unknown]> => out1.map((m) => [payloadOf(m).event, payloadOf(m).state, payloadOf(m).realarmCount]);
      ar.receive({ topic: 'p', payload: { voltage: 60 } });
      ar.receive({ command: 'ack' });
      await until(() => out1.length === 2, 'raise and ack');
      await until(() => out1.length === 3, 'first re-alarm');
      expect(events()[2]).to.deep.equal(['realarm', 'active-unacknowledged', 1]);
      await until(() => {
        const rows = (out2[out2.length - 1]?.payload as Array<Record<string, unknown>> | undefined) ?? [];
        return rows.length === 1 && rows[0].realarmCount === 1 && rows[0].acknowledged === false;
      }, 'table with the re-alarm count');
      ar.receive({ command: 'ack' });
      await until(() => out1.length === 5, 'ack and second re-alarm');
      expect(events().slice(3)).to.deep.equal([['ack', 'active-acknowledged', 1], ['realarm', 'active-unacknowledged', 2]]);

      // shelved: the operator asked not to see it, so it is not re-alarmed
      ar.receive({ command: 'shelve', duration: 60 });
      await until(() => out1.length === 6, 'shelve');
      await tick(1200);
      expect(out1, 'no re-alarm while shelved').to.have.length(6);
      ar.receive({ command: 'unshelve' });
      ar.receive({ command: 'ack' });
      ar.receive({ topic: 'p', payload: { voltage: 50 } });
      await until(() => out1.length === 9, 'unshelve, ack, clear');
      expect(events().slice(6).map((e) => e[1])).to.deep.equal(['active-unacknowledged', 'active-acknowledged', 'normal']);
      await tick(1200);
      expect(out1, 'no re-alarm after the clear').to.have.length(9);
    });
  });

  describe('restart with a persistent (localfilesystem) context store', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alarm-rules-ctx-'));
      helper.settings({
        contextStorage: {
          default: { module: 'memory' },
          file: { module: 'localfilesystem', config: { dir, flushInterval: 1 } },
        },
      });
    });
    afterEach(() => {
      helper.settings({});
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** A module function that loads the configured context stores, as the runtime does at start. */
    const loadStores: NodeModule = () => context.load() as unknown as void;

    it('keeps alarm states, values at raise, shelving and msg.rules across a Node-RED restart', async () => {
      const persistentFlow = flow({ store: 'file' });
      await helper.load([loadStores, alarmRulesNode], persistentFlow);
      let out1 = collector('out1');
      let ar = helper.getNode('ar');
      ar.receive({ topic: 'bms/1', payload: { voltage: 59, cellVoltages: [3.3, 2.6] } });
      ar.receive({ topic: 'bms/2', payload: { voltage: 60 } });
      await until(() => out1.length === 3, 'raises');
      ar.receive({ command: 'ack', alarmId: 'bms/1/hv' });
      ar.receive({ command: 'shelve', alarmId: 'bms/2/hv', duration: 3600 });
      await until(() => out1.length === 5, 'ack and shelve');
      // rules set at run time survive too (while the deployed rules stay the same)
      const tempRule = { id: 'temp', name: 'Temperature', severity: 'minor', type: 'high', path: 'payload.temperature', alarmValue: 45, deadband: 2 };
      ar.receive({ rules: [...RULES, tempRule] });
      await tick(50);

      // stop the flows (close saves), close the stores (flush to disk), then start from the files again
      await helper.clearFlows();
      await context.close();
      context.init({});
      await helper.unload();
      const files = fs.readdirSync(dir, { recursive: true }) as string[];
      expect(files.some((f) => f.endsWith('.json'))).to.equal(true);

      await helper.load([loadStores, alarmRulesNode], persistentFlow);
      out1 = collector('out1');
      const out2 = collector('out2');
      ar = helper.getNode('ar');
      ar.receive({ command: 'report' });
      await until(() => out2.some((m) => m.report === true), 'report after restart');
      const rows = (out2.find((m) => m.report === true)?.payload as Array<Record<string, unknown>>) ?? [];
      const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
      expect(byId['bms/1/hv']).to.include({ state: 'active-acknowledged', valueAtRaise: 59 });
      expect(byId['bms/1/cuv/1']).to.include({ state: 'active-unacknowledged', valueAtRaise: 2.6 });
      expect(byId['bms/2/hv']).to.include({ state: 'shelved' });
      // the restored acknowledged alarm returns to normal without a new unacknowledged event
      ar.receive({ topic: 'bms/1', payload: { voltage: 50, cellVoltages: [3.3, 2.6] } });
      await until(() => out1.length === 1, 'clear after restart');
      expect((out1[0].payload as Record<string, unknown>).state).to.equal('normal');
      ar.receive({ topic: 'bms/3', payload: { temperature: 46 } });
      await until(() => out1.length === 2, 'runtime rule after restart');
      expect(out1[1].topic).to.equal('bms/3/temp');
    });

    it('keeps the re-alarm count across a restart, and the count goes on from it', async () => {
      const persistentFlow = flow({ store: 'file', rules: [{ ...RULES[0], realarm: 0.5 }] });
      await helper.load([loadStores, alarmRulesNode], persistentFlow);
      let out1 = collector('out1');
      let ar = helper.getNode('ar');
      ar.receive({ topic: 'p', payload: { voltage: 60 } });
      await until(() => out1.some((m) => (m.payload as Record<string, unknown>).event === 'realarm'), 're-alarm before the restart');
      // acknowledged and shelved: no further re-alarm can change the count before it is saved
      ar.receive({ command: 'ack' });
      ar.receive({ command: 'shelve', duration: 3600 });
      await until(() => (out1[out1.length - 1].payload as Record<string, unknown>).state === 'shelved', 'shelve');
      const before = (out1[out1.length - 1].payload as Record<string, unknown>).realarmCount as number;
      expect(before).to.be.at.least(1);

      await helper.clearFlows();
      await context.close();
      context.init({});
      await helper.unload();

      await helper.load([loadStores, alarmRulesNode], persistentFlow);
      out1 = collector('out1');
      const out2 = collector('out2');
      ar = helper.getNode('ar');
      ar.receive({ command: 'report' });
      await until(() => out2.some((m) => m.report === true), 'report after restart');
      const row = ((out2.find((m) => m.report === true)?.payload as Array<Record<string, unknown>>) ?? [])[0];
      expect(row).to.include({ id: 'p/hv', state: 'shelved', acknowledged: true, realarmCount: before });
      ar.receive({ command: 'unshelve' });
      await until(() => out1.some((m) => (m.payload as Record<string, unknown>).event === 'realarm'), 're-alarm after the restart');
      const realarm = out1.find((m) => (m.payload as Record<string, unknown>).event === 'realarm')?.payload as Record<string, unknown>;
      expect(realarm).to.include({ state: 'active-unacknowledged', realarmCount: before + 1 });
    });
  });
});
