/**
 * The end-to-end part of the alarm outcome matrix: for every case marked with a simulator scenario, the scenario
 * runs in a simulator, the device node reads it over its real transport in a Node-RED runtime, and an alarm-rules
 * node with the preset raises, clears or stays quiet as the case says. Delays are set to 0 (the engine part proves
 * them); everything else is the preset's own rule. Plus the dead-device promise: three Jupiter units that never
 * answer make at most three log lines.
 */
import { expect } from 'chai';
import { JupiterUnit, simulatorProfile, type Scenario } from '../../nodes/jupiter-hvdc/simulator';
import { exportProfile } from '../../nodes/jupiter-hvdc/profile';
import { JkSimulator, type JkScenario } from '../../nodes/jk-bms/simulator';
import { BacsSimulator, type BacsScenario } from '../../nodes/bacs/simulator';
import { findPreset } from '../helpers/presets';
import type { AlarmRuleConfig } from '../../lib/alarm-types';
import type { AlarmEvent } from '../../nodes/alarm-rules/engine';
import { freeUdpPort, waitFor } from '../helpers/ports';
import { helper, startServer, stopServer, type TestNode } from '../node/red-helper';
import { matrixCases, type RuleCases } from './cases';

/* eslint-disable @typescript-eslint/no-var-requires */
const alarmRulesNode = require('../../nodes/alarm-rules/alarm-rules');
const endpointNode = require('../../nodes/links/snmp-endpoint');
const jupiterNode = require('../../nodes/jupiter-hvdc/jupiter-hvdc');
const busNode = require('../../nodes/links/rs485-bus');
const jkNode = require('../../nodes/jk-bms/jk-bms');
const modbusNode = require('../../nodes/links/modbus-endpoint');
const bacsNode = require('../../nodes/bacs/bacs');
/* eslint-enable @typescript-eslint/no-var-requires */

const CASES = matrixCases();

/** the preset's rules as shipped, delays at 0 */
function rulesOf(preset: string): AlarmRuleConfig[] {
  const p = findPreset(preset);
  if (!p) throw new Error(`no preset ${preset}`);
  return p.rules.map((r) => ({ ...r, onDelay: 0, offDelay: 0 }));
}

function alarmRules(id: string, preset: string, z: string): object[] {
  return [
    { id, type: 'alarm-rules', z, name: preset, rules: rulesOf(preset), wires: [[`${id}-out`], []] },
    { id: `${id}-out`, type: 'helper', z },
  ];
}

function events(id: string): AlarmEvent[] {
  const got: AlarmEvent[] = [];
  (helper.getNode(`${id}-out`) as TestNode).on('input', (m: { payload: AlarmEvent }) => got.push(m.payload));
  return got;
}

const e2eCases = (preset: string, kind: 'raise' | 'clear' | 'quiet'): RuleCases[] => CASES.filter((c) => c.preset === preset && c[kind].e2e !== undefined);

/** waits until every (rule, topic) raise expected has arrived */
async function expectRaised(got: AlarmEvent[], want: Array<{ rule: string; topic?: string; index?: number }>, ms: number): Promise<void> {
  const missing = (): string[] =>
    want
      .filter((w) => !got.some((e) => e.event === 'raise' && e.rule === w.rule && (w.topic === undefined || e.topic === w.topic) && (w.index === undefined || e.index === w.index)))
      .map((w) => `${w.rule}@${w.topic ?? '*'}${w.index !== undefined ? `[${w.index}]` : ''}`);
  await waitFor(() => missing().length === 0 || undefined, ms, 'raises').catch(() => {
    throw new Error(`not raised: ${missing().join(', ')}`);
  });
}

async function expectCleared(got: AlarmEvent[], want: Array<{ rule: string; topic?: string }>, ms: number): Promise<void> {
  const missing = (): string[] =>
    want.filter((w) => !got.some((e) => e.event === 'clear' && !e.active && e.rule === w.rule && (w.topic === undefined || e.topic === w.topic))).map((w) => `${w.rule}@${w.topic ?? '*'}`);
  await waitFor(() => missing().length === 0 || undefined, ms, 'clears').catch(() => {
    throw new Error(`not cleared: ${missing().join(', ')}`);
  });
  for (const e of got.filter((x) => x.event === 'clear')) expect(e.text, 'a clear says it cleared').to.match(/cleared/);
}

describe('alarm outcome matrix, end to end (simulator → device node → alarm-rules)', function () {
  this.timeout(60_000);
  before(startServer);
  after(stopServer);
  afterEach(() => helper.unload());

  it('Jupiter: each scenario raises its alarm, the return to normal clears it, a unit on mains raises nothing', async () => {
    const raiseCases = e2eCases('jupiter-hvdc', 'raise');
    const scenarios = [...new Set(raiseCases.map((c) => c.raise.e2e as string)), 'normal'];
    const units: JupiterUnit[] = [];
    try {
      for (const scenario of scenarios) {
        const u = new JupiterUnit({ port: await freeUdpPort(), index: 0, scenario: scenario === 'unit-stopped' ? 'normal' : (scenario as Scenario), speed: 20 });
        await u.start();
        units.push(u);
      }
      const flow = [
        { id: 'tj', type: 'tab' },
        { id: 'ep', type: 'snmp-endpoint', name: 'sim', targets: units.map((u) => `127.0.0.1:${u.port}`).join(','), port: 161, version: 'v2c', timeout: 300, retries: 0, concurrency: 16 },
        {
          id: 'jh', type: 'jupiter-hvdc', z: 'tj', link: 'ep', interval: 1, staleTime: 0, topicPrefix: 'jupiter', lang: 'en-US',
          units: scenarios.map((s, i) => ({ name: s, target: `127.0.0.1:${units[i].port}` })), contacts: [], profile: exportProfile(simulatorProfile()), wires: [['ar']],
        },
        ...alarmRules('ar', 'jupiter-hvdc', 'tj'),
      ];
      await helper.load([endpointNode, jupiterNode, alarmRulesNode], flow, { ep: { community: 'public' } });
      const got = events('ar');
      // the stopped unit: answers once, then goes away
      const stopped = units[scenarios.indexOf('unit-stopped')];
      await new Promise((r) => setTimeout(r, 1200));
      await stopped.stop();
      await expectRaised(got, raiseCases.map((c) => ({ rule: c.rule, topic: `jupiter/${c.raise.e2e}` })), 15_000);
      for (const u of units) if (u !== stopped) u.setScenario('normal');
      const revived = new JupiterUnit({ port: stopped.port, index: 0 });
      await revived.start();
      units.push(revived);
      await expectCleared(got, e2eCases('jupiter-hvdc', 'clear').map((c) => ({ rule: c.rule, topic: `jupiter/${c.raise.e2e}` })), 15_000);
      expect(got.filter((e) => e.topic === 'jupiter/normal' && e.event === 'raise').map((e) => e.rule), 'the unit on mains raises nothing').to.deep.equal([]);
      expect(e2eCases('jupiter-hvdc', 'quiet').length).to.be.greaterThan(10);
    } finally {
      await Promise.all(units.map((u) => u.stop()));
    }
  });

  it('Jupiter: three dead units make at most three log lines, and one network interruption each', async () => {
    const ports = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
    const flow = [
      { id: 'td', type: 'tab' },
      { id: 'ep', type: 'snmp-endpoint', name: 'dead', targets: ports.map((p) => `127.0.0.1:${p}`).join(','), port: 161, version: 'v2c', timeout: 200, retries: 0, concurrency: 8 },
      { id: 'jh', type: 'jupiter-hvdc', z: 'td', link: 'ep', interval: 1, staleTime: 0, topicPrefix: 'jupiter', lang: 'en-US', units: [], contacts: [], profile: '', wires: [['ar']] },
      ...alarmRules('ar', 'jupiter-hvdc', 'td'),
    ];
    await helper.load([endpointNode, jupiterNode, alarmRulesNode], flow, { ep: { community: 'public' } });
    const got = events('ar');
    const ar = helper.getNode('ar') as TestNode;
    await waitFor(() => got.filter((e) => e.rule === 'network_interruption' && e.event === 'raise').length === 3 || undefined, 10_000, 'three interruptions');
    // several more failed polls of every unit
    await new Promise((r) => setTimeout(r, 2500));
    const lines = ar.warn.getCalls().map((c) => String(c.args[0]));
    expect(lines.length, lines.join('\n')).to.be.at.most(3);
    expect(got.filter((e) => e.event === 'raise').map((e) => e.rule)).to.deep.equal(['network_interruption', 'network_interruption', 'network_interruption']);
  });

  it('JK: each pack scenario raises its alarm, the return clears it, full charge raises nothing (LiFePO4 at 3.45 V, NMC at 4.20 V)', async () => {
    const raiseCases = e2eCases('jk-lifepo4', 'raise');
    const scenarios = [...new Set(raiseCases.map((c) => c.raise.e2e as JkScenario)), 'full-charge' as const];
    const sim = new JkSimulator({ port: 0, packs: [], pacing: false, turnaroundMs: 1, tickMs: 500 });
    scenarios.forEach((s, i) => {
      sim.addPack(i + 1);
      sim.setScenario(i + 1, s);
    });
    const nmc = scenarios.length + 1;
    sim.addPack(nmc, { chemistry: 'li-ion' });
    sim.setScenario(nmc, 'full-charge');
    const port = (await sim.start()).port as number;
    try {
      const flow = [
        { id: 'tk', type: 'tab' },
        { id: 'bus', type: 'rs485-bus', link: 'tcp', host: '127.0.0.1', port, gap: 5, timeout: 300, reconnectMs: 100, reconnectMaxMs: 500 },
        { id: 'jkA', type: 'jk-bms', z: 'tk', bus: 'bus', protocol: 'jk02', addresses: `1-${scenarios.length}`, interval: 0.3, staleTime: 0, topic: 'jk', wires: [['lfp']] },
        { id: 'jkB', type: 'jk-bms', z: 'tk', bus: 'bus', protocol: 'jk02', addresses: String(nmc), interval: 0.3, staleTime: 0, topic: 'jk', wires: [['nmc']] },
        ...alarmRules('lfp', 'jk-lifepo4', 'tk'),
        ...alarmRules('nmc', 'jk-li-ion', 'tk'),
      ];
      await helper.load([busNode, jkNode, alarmRulesNode], flow);
      const lfp = events('lfp');
      const li = events('nmc');
      const topic = (s: string): string => `jk/pack${scenarios.indexOf(s as JkScenario) + 1}`;
      await expectRaised(lfp, raiseCases.map((c) => ({ rule: c.rule, topic: topic(c.raise.e2e as string) })), 15_000);
      // polls of the fully charged packs while the others were in alarm
      await new Promise((r) => setTimeout(r, 1000));
      expect(lfp.filter((e) => e.topic === topic('full-charge') && e.event === 'raise').map((e) => e.rule), 'LiFePO4 at 3.45 V').to.deep.equal([]);
      expect(li.filter((e) => e.event === 'raise').map((e) => e.rule), 'NMC at 4.20 V').to.deep.equal([]);
      for (const [i, s] of scenarios.entries()) if (s !== 'full-charge') sim.setScenario(i + 1, 'normal');
      await expectCleared(lfp, e2eCases('jk-lifepo4', 'clear').map((c) => ({ rule: c.rule, topic: topic(c.raise.e2e as string) })), 15_000);
      expect(e2eCases('jk-li-ion', 'quiet').map((c) => c.rule)).to.deep.equal(['jk-li-ion-cell-ovp']);
    } finally {
      await sim.stop();
    }
  });

  it('BACS C20: each scenario raises its alarm on block 3, normal clears it; boost and the product sheet\'s example raise nothing', async () => {
    const sim = new BacsSimulator({ strings: 1, modules: 4, port: 0, tickMs: 0 });
    const port = await sim.start();
    try {
      const flow = [
        { id: 'tb', type: 'tab' },
        { id: 'mb', type: 'modbus-endpoint', host: '127.0.0.1', port: String(port), unitId: '1', timeout: '1000', functionCode: '3', addressing: '0', reconnectMs: '100', reconnectMaxMs: '300', maxGap: '-1' },
        {
          id: 'b', type: 'bacs', z: 'tb', endpoint: 'mb', deviceName: 'room', topicPrefix: 'bacs', interval: '0.3', staleTime: '0', output: 'perString', onlyOnChange: false,
          countSource: 'register', moduleSource: 'modbus', moduleTemplate: '', wires: [['ar']],
        },
        ...alarmRules('ar', 'bacs-c20', 'tb'),
      ];
      await helper.load([modbusNode, bacsNode, alarmRulesNode], flow);
      const got = events('ar');
      const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 900));
      await waitFor(() => got.length === 0 || undefined, 1000).catch(() => undefined);
      for (const quiet of ['normal', 'boost', 'sheet-example'] as const) {
        sim.setScenario(quiet);
        await settle();
        expect(got.filter((e) => e.event === 'raise').map((e) => `${e.rule}[${String(e.index)}]`), `${quiet} raises nothing`).to.deep.equal([]);
      }
      const raiseCases = e2eCases('bacs-c20', 'raise');
      for (const scenario of [...new Set(raiseCases.map((c) => c.raise.e2e as BacsScenario))]) {
        const cases = raiseCases.filter((c) => c.raise.e2e === scenario);
        got.length = 0;
        sim.setScenario(scenario);
        await expectRaised(got, cases.map((c) => ({ rule: c.rule, ...(c.raise.element !== undefined ? { index: c.raise.element - 1 } : {}) })), 5_000);
        sim.setScenario('normal');
        await expectCleared(got, cases.filter((c) => c.clear.e2e !== undefined).map((c) => ({ rule: c.rule })), 5_000);
      }
    } finally {
      await sim.stop();
    }
  });
});
