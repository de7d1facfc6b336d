import { expect } from 'chai';
import * as sinon from 'sinon';
import { AlarmEngine, AlarmEvent, EngineOptions } from '../../nodes/alarm-rules/engine';
import { compileRules } from '../../nodes/alarm-rules/rules';
import { compilePath, compileTopicFilter } from '../../nodes/alarm-rules/path';
import type { AlarmRuleConfig } from '../../lib/alarm-types';
import { PRESETS } from '../helpers/presets';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

function high(extra: Partial<AlarmRuleConfig> = {}): AlarmRuleConfig {
  return { id: 'hv', name: 'High voltage', severity: 'major', type: 'high', path: 'payload', alarmValue: 58, clearValue: 56, unit: 'V', ...extra };
}
function low(extra: Partial<AlarmRuleConfig> = {}): AlarmRuleConfig {
  return { id: 'uv', name: 'Cell under-voltage', severity: 'critical', type: 'low', path: 'payload', alarmValue: 2.65, clearValue: 2.71, unit: 'V', ...extra };
}

describe('alarm-rules engine', () => {
  let clock: sinon.SinonFakeTimers;
  let timerEvents: AlarmEvent[];
  let warnings: Array<[string, string]>;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: T0 });
    timerEvents = [];
    warnings = [];
  });
  afterEach(() => clock.restore());

  function engine(rules: AlarmRuleConfig[], opts: EngineOptions = {}): AlarmEngine {
    return new AlarmEngine(rules, {
      onEvents: (ev) => timerEvents.push(...ev),
      onWarn: (id, reason) => warnings.push([id, reason]),
      ...opts,
    });
  }
  const send = (e: AlarmEngine, payload: unknown, topic = 'bms/1', extra: Record<string, unknown> = {}) =>
    e.process({ topic, payload, ...extra });
  const states = (evs: AlarmEvent[]) => evs.map((ev) => ev.state);

  describe('paths and topics', () => {
    it('compiles dotted, indexed, quoted and wildcard paths', () => {
      const p = compilePath('msg.payload.packs[*].cells[2]["a b"]');
      expect(p.ok).to.equal(true);
      if (!p.ok) return;
      expect(p.path.keys).to.deep.equal(['payload', 'packs']);
      expect(p.path.each?.keys).to.deep.equal(['cells', 2, 'a b']);
      expect(p.path.wildcards).to.equal(1);
      expect(compilePath('payload..x').ok).to.equal(false);
      expect(compilePath('payload[').ok).to.equal(false);
      expect(compilePath('payload[x]').ok).to.equal(false);
    });

    it('matches topics exactly or by glob', () => {
      expect(compileTopicFilter('')).to.equal(null);
      const exact = compileTopicFilter('bms/1')!;
      expect(exact('bms/1')).to.equal(true);
      expect(exact('bms/10')).to.equal(false);
      const glob = compileTopicFilter('bms/*')!;
      expect(glob('bms/pack1')).to.equal(true);
      expect(glob('bms/pack1/cells')).to.equal(false);
      const deep = compileTopicFilter('site/#')!;
      expect(deep('site/a/b/c')).to.equal(true);
      expect(deep('other/a')).to.equal(false);
    });

    it('ignores messages whose topic does not match the rule', () => {
      const e = engine([high({ topic: 'bms/*' })]);
      expect(send(e, 60, 'inverter/1')).to.have.length(0);
      expect(e.size).to.equal(0);
      expect(states(send(e, 60, 'bms/1'))).to.deep.equal(['active-unacknowledged']);
    });
  });

  describe('high and low edges (exact equality)', () => {
    it('high: raises at value == alarmValue, stays above clearValue, clears at value == clearValue', () => {
      const e = engine([high()]);
      expect(send(e, 57.999)).to.have.length(0);
      const raised = send(e, 58);
      expect(states(raised)).to.deep.equal(['active-unacknowledged']);
      expect(raised[0]).to.include({ id: 'bms/1/hv', rule: 'hv', topic: 'bms/1', index: null, active: true, acknowledged: false, valueAtRaise: 58, alarmValue: 58, clearValue: 56, severity: 'major' });
      expect(send(e, 56.001)).to.have.length(0);
      const cleared = send(e, 56);
      expect(states(cleared)).to.deep.equal(['returned-unacknowledged']);
      expect(cleared[0]).to.include({ active: false, valueAtRaise: 58, valueAtClear: 56 });
    });

    it('low: raises at value == alarmValue, clears at value == clearValue (JK LiFePO4 UVP 2.650 / 2.710 V)', () => {
      const e = engine([low()]);
      expect(send(e, 2.651)).to.have.length(0);
      expect(states(send(e, 2.65))).to.deep.equal(['active-unacknowledged']);
      expect(send(e, 2.709)).to.have.length(0);
      expect(states(send(e, 2.71))).to.deep.equal(['returned-unacknowledged']);
    });

    it('strict rules raise only beyond the alarm value', () => {
      const e = engine([low({ alarmValue: 200, clearValue: 205, strict: true })]);
      expect(send(e, 200)).to.have.length(0);
      expect(states(send(e, 199.9))).to.deep.equal(['active-unacknowledged']);
    });

    it('without hysteresis a value equal to the alarm value stays active and one below clears', () => {
      const e = engine([high({ clearValue: undefined })]);
      expect(states(send(e, 58))).to.deep.equal(['active-unacknowledged']);
      expect(send(e, 58)).to.have.length(0);
      expect(states(send(e, 57.9))).to.deep.equal(['returned-unacknowledged']);
    });

    it('derives the clear level from an absolute deadband', () => {
      const e = engine([high({ clearValue: undefined, deadband: 0.5 })]);
      send(e, 58);
      expect(send(e, 57.6)).to.have.length(0);
      expect(states(send(e, 57.5))).to.deep.equal(['returned-unacknowledged']);
    });

    it('derives the clear level from a percent-of-range deadband', () => {
      const e = engine([high({ clearValue: undefined, alarmValue: 58, deadband: 2, deadbandMode: 'percent', rangeMin: 40, rangeMax: 60 })]);
      const ev = send(e, 59);
      expect(ev[0].clearValue).to.be.closeTo(57.6, 1e-9);
      expect(send(e, 57.61)).to.have.length(0);
      expect(states(send(e, 57.6))).to.deep.equal(['returned-unacknowledged']);
    });

    it('accepts numeric strings', () => {
      const e = engine([high()]);
      expect(states(send(e, '58.5'))).to.deep.equal(['active-unacknowledged']);
    });
  });

  describe('ISA-18.2 transitions', () => {
    it('normal → unack → ack → normal (no new unacknowledged event at return)', () => {
      const e = engine([high()]);
      send(e, 60);
      const ack = e.command({ command: 'ack', alarmId: 'bms/1/hv' });
      expect(ack.ok && states(ack.events)).to.deep.equal(['active-acknowledged']);
      const back = send(e, 50);
      expect(states(back)).to.deep.equal(['normal']);
      expect(back[0].acknowledged).to.equal(true);
    });

    it('normal → unack → returned-unack → (ack) normal', () => {
      const e = engine([high()]);
      send(e, 60);
      expect(states(send(e, 50))).to.deep.equal(['returned-unacknowledged']);
      const ack = e.command({ command: 'ack' });
      expect(ack.ok && states(ack.events)).to.deep.equal(['normal']);
    });

    it('returned-unack → active again keeps one alarm and raises anew', () => {
      const e = engine([high()]);
      send(e, 60);
      send(e, 50);
      const again = send(e, 61);
      expect(states(again)).to.deep.equal(['active-unacknowledged']);
      expect(again[0].valueAtRaise).to.equal(61);
    });

    it('requireAck false returns straight to normal', () => {
      const e = engine([high({ requireAck: false })]);
      send(e, 60);
      expect(states(send(e, 50))).to.deep.equal(['normal']);
    });

    it('latch: stays latched after the condition clears until reset', () => {
      const e = engine([high({ latch: true })]);
      send(e, 60);
      const latched = send(e, 50);
      expect(states(latched)).to.deep.equal(['latched']);
      expect(latched[0].active).to.equal(true);
      expect(latched[0].valueAtClear).to.equal(50);
      expect(send(e, 40)).to.have.length(0);
      const ack = e.command({ command: 'ack' });
      expect(ack.ok && ack.events[0]).to.include({ state: 'latched', acknowledged: true });
      const reset = e.command({ command: 'reset', alarmId: 'bms/1/hv' });
      expect(reset.ok && states(reset.events)).to.deep.equal(['normal']);
    });

    it('latched alarm that goes back into alarm becomes active again', () => {
      const e = engine([high({ latch: true })]);
      send(e, 60);
      send(e, 50);
      expect(states(send(e, 60))).to.deep.equal(['active-unacknowledged']);
    });

    it('reset does nothing to an alarm that is not latched', () => {
      const e = engine([high()]);
      send(e, 60);
      const r = e.command({ command: 'reset' });
      expect(r.ok && r.events).to.have.length(0);
    });

    it('shelve (timed): hides the alarm, keeps evaluating, expires after the duration', () => {
      const e = engine([high()]);
      send(e, 60);
      const sh = e.command({ command: 'shelve', alarmId: 'bms/1/hv', duration: 60 });
      expect(sh.ok && states(sh.events)).to.deep.equal(['shelved']);
      expect(send(e, 50)).to.have.length(0);
      expect(send(e, 61)).to.have.length(0);
      expect(e.table().rows).to.have.length(0);
      expect(e.table().counts).to.include({ shelved: 1, active: 0, unacknowledged: 0 });
      clock.tick(59_999);
      expect(timerEvents).to.have.length(0);
      clock.tick(1);
      expect(states(timerEvents)).to.deep.equal(['active-unacknowledged']);
      expect(timerEvents[0].event).to.equal('unshelve');
    });

    it('shelve caps the duration at maxShelve', () => {
      const e = engine([high()], { maxShelve: 10 });
      send(e, 60);
      e.command({ command: 'shelve', duration: 3600 });
      clock.tick(10_000);
      expect(states(timerEvents)).to.deep.equal(['active-unacknowledged']);
    });

    it('one-shot shelve ends when the alarm returns to normal', () => {
      const e = engine([high()]);
      send(e, 60);
      const sh = e.command({ command: 'shelve', oneShot: true });
      expect(sh.ok && states(sh.events)).to.deep.equal(['shelved']);
      clock.tick(10 * 3600_000);
      expect(timerEvents).to.have.length(0);
      const back = send(e, 50);
      expect(states(back)).to.deep.equal(['returned-unacknowledged']);
    });

    it('unshelve shows the real state again', () => {
      const e = engine([high()]);
      send(e, 60);
      e.command({ command: 'shelve', duration: 600 });
      const un = e.command({ command: 'unshelve' });
      expect(un.ok && states(un.events)).to.deep.equal(['active-unacknowledged']);
      clock.tick(600_000);
      expect(timerEvents).to.have.length(0);
    });

    it('suppress / unsuppress', () => {
      const e = engine([high()]);
      send(e, 50);
      const s = e.command({ command: 'suppress' });
      expect(s.ok && states(s.events)).to.deep.equal(['suppressed']);
      expect(send(e, 60)).to.have.length(0);
      const u = e.command({ command: 'unsuppress' });
      expect(u.ok && states(u.events)).to.deep.equal(['active-unacknowledged']);
    });

    it('disable puts the alarm out of service and annunciates nothing; enable shows the process as it is', () => {
      const e = engine([high()]);
      send(e, 60);
      const d = e.command({ command: 'disable', alarmId: 'bms/1/hv' });
      expect(d.ok && states(d.events)).to.deep.equal(['out-of-service']);
      expect(send(e, 70)).to.have.length(0);
      expect(send(e, 'garbage')).to.have.length(0);
      expect(warnings).to.have.length(0);
      // the value is still beyond the limit: back in service it is an alarm the operator has not seen
      const en = e.command({ command: 'enable', alarmId: 'bms/1/hv' });
      expect(en.ok && states(en.events)).to.deep.equal(['active-unacknowledged']);
      expect(en.ok && en.events[0]).to.include({ event: 'enable', active: true, acknowledged: false, value: 70, quality: 'bad' });
      expect(send(e, 70)).to.have.length(0);
      expect(states(send(e, 50))).to.deep.equal(['returned-unacknowledged']);
    });

    it('refuses unknown commands and unknown alarm ids', () => {
      const e = engine([high()]);
      send(e, 60);
      const bad = e.command({ command: 'explode' });
      expect(bad.ok).to.equal(false);
      const none = e.command({ command: 'ack', alarmId: 'nope' });
      expect(none.ok).to.equal(false);
      if (!none.ok) expect(none.error).to.match(/nope/);
      const dur = e.command({ command: 'shelve', duration: -1 });
      expect(dur.ok).to.equal(false);
    });

    it('selects alarms by glob and by rule', () => {
      const e = engine([high({ path: 'payload[*]' }), low({ path: 'payload[*]', alarmValue: 1, clearValue: 2 })]);
      send(e, [60, 60, 0]);
      const byGlob = e.command({ command: 'ack', alarmId: 'bms/1/hv/*' });
      expect(byGlob.ok && byGlob.matched).to.equal(3);
      const byRule = e.command({ command: 'ack', rule: 'uv' });
      expect(byRule.ok && byRule.events.map((x) => x.id)).to.deep.equal(['bms/1/uv/2']);
    });
  });

  describe('delays and re-alarm (fake timers)', () => {
    it('onDelay: raises only when the condition holds for the whole delay', () => {
      const e = engine([high({ onDelay: 10 })]);
      expect(send(e, 60)).to.have.length(0);
      clock.tick(9_000);
      send(e, 50); // dropped out: delay restarts
      clock.tick(5_000);
      expect(timerEvents).to.have.length(0);
      send(e, 60);
      clock.tick(9_999);
      expect(timerEvents).to.have.length(0);
      send(e, 61);
      clock.tick(1);
      expect(states(timerEvents)).to.deep.equal(['active-unacknowledged']);
      expect(timerEvents[0].valueAtRaise).to.equal(61);
    });

    it('offDelay: clears only when the return holds for the whole delay', () => {
      const e = engine([high({ offDelay: 5 })]);
      send(e, 60);
      expect(send(e, 50)).to.have.length(0);
      clock.tick(4_000);
      send(e, 59); // back in alarm: the clear is cancelled
      clock.tick(10_000);
      expect(timerEvents).to.have.length(0);
      send(e, 50);
      clock.tick(5_000);
      expect(states(timerEvents)).to.deep.equal(['returned-unacknowledged']);
    });

    it('realarm repeats an unacknowledged active alarm, and brings it back once acknowledged', () => {
      const e = engine([high({ realarm: 30 })]);
      send(e, 60);
      clock.tick(30_000);
      clock.tick(30_000);
      expect(timerEvents.map((x) => x.event)).to.deep.equal(['realarm', 'realarm']);
      expect(timerEvents.map((x) => x.realarmCount)).to.deep.equal([1, 2]);
      e.command({ command: 'ack' });
      // acknowledged and still standing: the next re-alarm makes it unacknowledged again
      clock.tick(30_000);
      expect(timerEvents).to.have.length(3);
      expect(timerEvents[2]).to.include({ event: 'realarm', state: 'active-unacknowledged', acknowledged: false, realarmCount: 3 });
    });
  });

  describe('out of service and return to service', () => {
    const contact = (extra: Partial<AlarmRuleConfig> = {}): AlarmRuleConfig => ({
      id: 'door', name: 'Cabinet door', severity: 'minor', type: 'state', path: 'payload', stateValue: true, ...extra,
    });

    it('a contact that closed while out of service, and reports only on change, is an alarm on return to service', () => {
      const e = engine([contact()]);
      send(e, false, 'cab/1');
      e.command({ command: 'disable' });
      expect(send(e, true, 'cab/1')).to.have.length(0);
      expect(e.table().rows).to.have.length(0);
      expect(e.table().counts).to.include({ outOfService: 1, active: 0, unacknowledged: 0 });
      clock.tick(3600_000);
      const en = e.command({ command: 'enable' });
      expect(en.ok && en.events.map((x) => [x.event, x.state, x.value])).to.deep.equal([['enable', 'active-unacknowledged', true]]);
      expect(e.table().rows.map((r) => [r.id, r.state])).to.deep.equal([['cab/1/door', 'active-unacknowledged']]);
      // annunciated now: counted as a raise of the last 10 minutes
      expect(e.table().rows[0].count10m).to.equal(1);
    });

    it('an alarm acknowledged before it went out of service and still standing comes back unacknowledged', () => {
      const e = engine([high()]);
      send(e, 60);
      e.command({ command: 'ack' });
      e.command({ command: 'disable' });
      const en = e.command({ command: 'enable' });
      expect(en.ok && en.events[0]).to.include({ event: 'enable', state: 'active-unacknowledged', valueAtRaise: 60 });
    });

    it('a condition that cleared out of service returns to normal, owing no acknowledgement, counting no raise', () => {
      const e = engine([high()]);
      send(e, 60);
      e.command({ command: 'disable' });
      send(e, 50);
      send(e, 61);
      send(e, 50);
      const en = e.command({ command: 'enable' });
      expect(en.ok && en.events.map((x) => [x.event, x.state])).to.deep.equal([['enable', 'normal']]);
      expect(e.table(true).rows[0]).to.include({ count10m: 1, acknowledged: true, active: false });
    });

    it('a latched alarm loses its latch out of service and returns normal if the condition stayed clear', () => {
      const e = engine([high({ latch: true })]);
      send(e, 60);
      send(e, 50);
      e.command({ command: 'disable' });
      const en = e.command({ command: 'enable' });
      expect(en.ok && states(en.events)).to.deep.equal(['normal']);
    });

    it('on-delay: a raise still waiting for its delay at return to service comes when the delay ends', () => {
      const e = engine([high({ onDelay: 10 })]);
      send(e, 50);
      e.command({ command: 'disable' });
      clock.tick(1_000);
      send(e, 60);
      clock.tick(2_000);
      const en = e.command({ command: 'enable' });
      expect(en.ok && states(en.events)).to.deep.equal(['normal']);
      clock.tick(7_999);
      expect(timerEvents).to.have.length(0);
      clock.tick(1);
      expect(timerEvents.map((x) => [x.event, x.state])).to.deep.equal([['raise', 'active-unacknowledged']]);
    });

    it('on-delay: a condition that held for the whole delay out of service is annunciated at return to service', () => {
      const e = engine([high({ onDelay: 10 })]);
      send(e, 50);
      e.command({ command: 'disable' });
      send(e, 60);
      clock.tick(10_000);
      expect(timerEvents).to.have.length(0); // became active, but out of service announces nothing
      const en = e.command({ command: 'enable' });
      expect(en.ok && en.events.map((x) => [x.event, x.state])).to.deep.equal([['enable', 'active-unacknowledged']]);
      // a spike shorter than the delay out of service stays filtered
      const e2 = engine([high({ id: 'hv2', onDelay: 10 })]);
      send(e2, 50);
      e2.command({ command: 'disable' });
      send(e2, 60);
      clock.tick(5_000);
      send(e2, 50);
      clock.tick(10_000);
      const en2 = e2.command({ command: 'enable' });
      expect(en2.ok && states(en2.events)).to.deep.equal(['normal']);
    });

    it('off-delay: an alarm whose clear is still waiting for its delay is active at return to service, then clears', () => {
      const e = engine([high({ offDelay: 5 })]);
      send(e, 60);
      e.command({ command: 'disable' });
      send(e, 50);
      clock.tick(2_000);
      const en = e.command({ command: 'enable' });
      expect(en.ok && states(en.events)).to.deep.equal(['active-unacknowledged']);
      clock.tick(3_000);
      expect(timerEvents.map((x) => [x.event, x.state])).to.deep.equal([['clear', 'returned-unacknowledged']]);
    });

    it('a stale rule keeps its clock out of service', () => {
      const e = engine([{ id: 'st', name: 'No data', severity: 'major', type: 'stale', path: 'payload', staleTime: 30 }]);
      send(e, 1, 'dev/1');
      e.command({ command: 'disable' });
      clock.tick(31_000);
      expect(timerEvents).to.have.length(0);
      const en = e.command({ command: 'enable' });
      expect(en.ok && states(en.events)).to.deep.equal(['active-unacknowledged']);
    });

    it('bad input out of service is shown on return to service and warned on the next bad value', () => {
      const e = engine([high()]);
      send(e, 50);
      e.command({ command: 'disable' });
      send(e, 'garbage');
      expect(warnings).to.have.length(0);
      const en = e.command({ command: 'enable' });
      expect(en.ok && en.events[0]).to.include({ state: 'normal', quality: 'bad' });
      send(e, 'garbage');
      expect(warnings).to.have.length(1);
      send(e, 'garbage');
      expect(warnings).to.have.length(1);
    });

    it('an out-of-service alarm takes no acknowledgement, shelving or reset', () => {
      const e = engine([high({ latch: true })]);
      send(e, 60);
      e.command({ command: 'disable' });
      for (const command of ['ack', 'shelve', 'reset']) {
        const r = e.command({ command });
        expect(r.ok && r.events, command).to.have.length(0);
      }
    });
  });

  describe('re-alarm of standing alarms (fake timers)', () => {
    it('counts from the raise and each re-alarm, not from the acknowledgement; the table keeps the count', () => {
      const e = engine([high({ realarm: 30 })]);
      send(e, 60);
      clock.tick(10_000);
      e.command({ command: 'ack' });
      clock.tick(19_999);
      expect(timerEvents).to.have.length(0);
      clock.tick(1);
      expect(timerEvents.map((x) => [x.event, x.state, x.realarmCount])).to.deep.equal([['realarm', 'active-unacknowledged', 1]]);
      expect(e.table().rows[0]).to.include({ state: 'active-unacknowledged', realarmCount: 1 });
      expect(e.table().counts).to.include({ unacknowledged: 1 });
      // the timer restarted at the re-alarm: 30 s from it, whenever the acknowledgement came
      clock.tick(25_000);
      e.command({ command: 'ack' });
      clock.tick(4_999);
      expect(timerEvents).to.have.length(1);
      clock.tick(1);
      expect(timerEvents[1]).to.include({ event: 'realarm', state: 'active-unacknowledged', realarmCount: 2 });
      // a re-alarm is not a raise: it does not count towards chattering or the 10-minute rate
      expect(e.table().rows[0]).to.include({ count10m: 1, chattering: false, realarmCount: 2 });
    });

    it('a new raise starts the count again', () => {
      const e = engine([high({ realarm: 30, requireAck: false })]);
      send(e, 60);
      clock.tick(60_000);
      expect(e.get('bms/1/hv')?.realarmCount).to.equal(2);
      send(e, 50);
      expect(e.get('bms/1/hv')).to.include({ state: 'normal', realarmCount: 2 });
      const again = send(e, 60);
      expect(again[0]).to.include({ event: 'raise', realarmCount: 0 });
    });

    it('never re-alarms a shelved or suppressed alarm, and keeps its pace once it is shown again', () => {
      const e = engine([high({ realarm: 30 })]);
      send(e, 60);
      e.command({ command: 'ack' });
      e.command({ command: 'shelve', duration: 100 });
      clock.tick(95_000);
      expect(timerEvents).to.have.length(0);
      expect(e.get('bms/1/hv')).to.include({ state: 'shelved', acknowledged: true, realarmCount: 0 });
      clock.tick(5_000); // the shelving ends at 100 s: shown as it was, acknowledged
      expect(timerEvents.map((x) => [x.event, x.state])).to.deep.equal([['unshelve', 'active-acknowledged']]);
      clock.tick(20_000); // 120 s: the re-alarm's own cadence
      expect(timerEvents.map((x) => [x.event, x.state])).to.deep.equal([['unshelve', 'active-acknowledged'], ['realarm', 'active-unacknowledged']]);
      e.close();

      const s = engine([high({ id: 'hv2', realarm: 30 })]);
      send(s, 60, 'p');
      s.command({ command: 'ack' });
      s.command({ command: 'suppress' });
      timerEvents.length = 0;
      clock.tick(90_000);
      expect(timerEvents).to.have.length(0);
      const un = s.command({ command: 'unsuppress' });
      expect(un.ok && states(un.events)).to.deep.equal(['active-acknowledged']);
    });

    it('never re-alarms an out-of-service alarm; back in service the re-alarm time runs from the return', () => {
      const e = engine([high({ realarm: 30 })]);
      send(e, 60);
      e.command({ command: 'disable' });
      clock.tick(120_000);
      expect(timerEvents).to.have.length(0);
      e.command({ command: 'enable' });
      e.command({ command: 'ack' });
      clock.tick(29_999);
      expect(timerEvents).to.have.length(0);
      clock.tick(1);
      expect(timerEvents.map((x) => [x.event, x.state, x.realarmCount])).to.deep.equal([['realarm', 'active-unacknowledged', 1]]);
    });

    it('never re-alarms once the condition cleared: off-delay pending, returned, latched', () => {
      const e = engine([high({ realarm: 30, offDelay: 50 })]);
      send(e, 60);
      e.command({ command: 'ack' });
      send(e, 50); // off-delay running: still active, no longer standing
      clock.tick(49_999);
      expect(timerEvents).to.have.length(0);
      clock.tick(1);
      expect(timerEvents.map((x) => x.event)).to.deep.equal(['clear']);
      clock.tick(300_000);
      expect(timerEvents).to.have.length(1);

      timerEvents.length = 0;
      const r = engine([high({ id: 'hv2', realarm: 30 })]);
      send(r, 60, 'p');
      send(r, 50, 'p'); // returned, unacknowledged
      clock.tick(300_000);
      expect(timerEvents).to.have.length(0);

      const l = engine([high({ id: 'hv3', realarm: 30, latch: true })]);
      send(l, 60, 'q');
      l.command({ command: 'ack' });
      send(l, 50, 'q'); // latched: waits for reset, not re-alarmed
      clock.tick(300_000);
      expect(timerEvents).to.have.length(0);
      // back in alarm while latched: standing again, re-alarmed 30 s later
      send(l, 60, 'q');
      clock.tick(30_000);
      expect(timerEvents.map((x) => [x.id, x.event, x.state])).to.deep.equal([['q/hv3', 'realarm', 'active-unacknowledged']]);
    });

    it('keeps the count and the pace across a restart (export / import)', () => {
      const rules = [high({ realarm: 30 })];
      const e1 = engine(rules);
      send(e1, 60);
      clock.tick(30_000);
      e1.command({ command: 'ack' });
      clock.tick(10_000);
      const snap = JSON.parse(JSON.stringify(e1.exportState()));
      e1.close();
      timerEvents.length = 0;

      const e2 = engine(rules);
      e2.importState(snap);
      expect(e2.table(true).rows[0]).to.include({ state: 'active-acknowledged', realarmCount: 1 });
      // 20 s left of the 30 s since the last re-alarm
      clock.tick(19_999);
      expect(timerEvents).to.have.length(0);
      clock.tick(1);
      expect(timerEvents.map((x) => [x.event, x.realarmCount])).to.deep.equal([['realarm', 2]]);
      e2.close();

      // down longer than the re-alarm time: re-alarmed once at start, then on its cadence
      timerEvents.length = 0;
      clock.tick(600_000);
      const e3 = engine(rules);
      e3.importState(snap);
      clock.tick(0);
      expect(timerEvents.map((x) => [x.event, x.realarmCount])).to.deep.equal([['realarm', 2]]);
      clock.tick(30_000);
      expect(timerEvents.map((x) => x.realarmCount)).to.deep.equal([2, 3]);
    });

    it('a snapshot from before the count existed restores with none', () => {
      const e = engine([high({ realarm: 30 })]);
      const restored = e.importState({ version: 1, savedAt: T0, alarms: [{ rule: 'hv', topic: 'bms/1', index: null, condition: true, active: true, acked: true, latched: false, shelve: 0, shelveUntil: 0, suppressed: false, oos: false, value: 60, valueAtRaise: 60, valueAtClear: null, since: T0, raisedAt: T0, clearedAt: 0 }] });
      expect(restored).to.equal(1);
      expect(e.get('bms/1/hv')).to.include({ realarmCount: 0, state: 'active-acknowledged' });
      clock.tick(30_000);
      expect(timerEvents.map((x) => x.event)).to.deep.equal(['realarm']);
    });
  });

  describe('wildcards and aggregates', () => {
    it('one alarm per cell, per pack topic', () => {
      const e = engine([low({ path: 'payload.cellVoltages[*]' })]);
      const a = send(e, { cellVoltages: [3.3, 2.6, 3.3] }, 'bms/1');
      const b = send(e, { cellVoltages: [2.6, 3.3, 3.3, 2.5] }, 'bms/2');
      expect(a.map((x) => x.id)).to.deep.equal(['bms/1/uv/1']);
      expect(b.map((x) => x.id)).to.deep.equal(['bms/2/uv/0', 'bms/2/uv/3']);
      expect(b[1]).to.include({ index: 3, topic: 'bms/2', value: 2.5 });
      expect(e.size).to.equal(7);
    });

    it('wildcard over objects with a path after it', () => {
      const e = engine([high({ id: 't', path: 'payload.modules[*].temperature', alarmValue: 45, clearValue: 43 })]);
      const ev = send(e, { modules: [{ temperature: 30 }, { temperature: 46 }] });
      expect(ev.map((x) => x.id)).to.deep.equal(['bms/1/t/1']);
    });

    it('nested wildcards across packs and cells', () => {
      const e = engine([low({ path: 'payload.packs[*].cells[*]' })]);
      const ev = send(e, { packs: [{ cells: [3.3, 3.3] }, { cells: [3.3, 2.0] }] });
      expect(ev.map((x) => x.id)).to.deep.equal(['bms/1/uv/1/1']);
      expect(ev[0].index).to.equal('1/1');
    });

    it('aggregate spread: one alarm for the cell difference (Jupiter 300 mV)', () => {
      const e = engine([{ id: 'diff', name: 'Cell difference', severity: 'major', type: 'high', path: 'payload.cells[*]', aggregate: 'spread', alarmValue: 0.3, deadband: 0.05, unit: 'V' }]);
      expect(send(e, { cells: [3.3, 3.4, 3.5] })).to.have.length(0);
      const ev = send(e, { cells: [3.2, 3.4, 3.5] });
      expect(ev).to.have.length(1);
      expect(ev[0].id).to.equal('bms/1/diff');
      expect(ev[0].value).to.be.closeTo(0.3, 1e-9);
    });

    it('aggregates max, min and mean', () => {
      const e = engine([
        { id: 'max', name: 'max', severity: 'minor', type: 'high', path: 'payload[*]', aggregate: 'max', alarmValue: 40 },
        { id: 'min', name: 'min', severity: 'minor', type: 'low', path: 'payload[*]', aggregate: 'min', alarmValue: 0 },
        { id: 'mean', name: 'mean', severity: 'minor', type: 'high', path: 'payload[*]', aggregate: 'mean', alarmValue: 20 },
      ]);
      const ev = send(e, [40, 0, 20]);
      expect(ev.map((x) => x.rule)).to.deep.equal(['max', 'min', 'mean']);
      expect(ev.map((x) => x.value)).to.deep.equal([40, 0, 20]);
    });

    it('an aggregate with a bad element changes nothing and marks bad quality', () => {
      const e = engine([{ id: 'max', name: 'max', severity: 'minor', type: 'high', path: 'payload[*]', aggregate: 'max', alarmValue: 40 }]);
      send(e, [10, 20]);
      expect(send(e, [50, 'x'])).to.have.length(0);
      expect(e.table().counts.badQuality).to.equal(1);
    });
  });

  describe('state and stale rules', () => {
    it('state: dry contact active when the flag equals stateValue (breaker open at 0)', () => {
      const e = engine([{ id: 'brk', name: 'AC breaker open', severity: 'major', type: 'state', path: 'payload.acBreaker', stateValue: 0 }]);
      expect(send(e, { acBreaker: 1 })).to.have.length(0);
      expect(states(send(e, { acBreaker: 0 }))).to.deep.equal(['active-unacknowledged']);
      expect(states(send(e, { acBreaker: true }))).to.deep.equal(['returned-unacknowledged']);
      expect(states(send(e, { acBreaker: false }))).to.deep.equal(['active-unacknowledged']);
    });

    it('stale: raises when no value arrived within staleTime and clears on the next value', () => {
      const e = engine([{ id: 'st', name: 'No data', severity: 'warning', type: 'stale', path: 'payload.voltage', topic: 'bms/1', staleTime: 30 }]);
      send(e, { voltage: 52 });
      clock.tick(20_000);
      send(e, { voltage: 52 });
      clock.tick(29_000);
      expect(timerEvents).to.have.length(0);
      clock.tick(1_000);
      expect(states(timerEvents)).to.deep.equal(['active-unacknowledged']);
      const back = send(e, { voltage: 52 });
      expect(states(back)).to.deep.equal(['returned-unacknowledged']);
    });

    it('stale: a message with quality comm_error raises at once', () => {
      const e = engine([{ id: 'st', name: 'No data', severity: 'warning', type: 'stale', path: 'payload.voltage', topic: 'bms/1', staleTime: 30 }]);
      send(e, { voltage: 52 });
      expect(states(send(e, {}, 'bms/1', { quality: 'comm_error' }))).to.deep.equal(['active-unacknowledged']);
    });
  });

  describe('bad input', () => {
    for (const [label, value] of [
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
      ['a non-numeric string', 'high'],
      ['an empty string', ''],
      ['a boolean', true],
      ['an object', { v: 1 }],
      ['null', null],
    ] as Array<[string, unknown]>) {
      it(`${label} changes no state, marks quality bad and warns once`, () => {
        const e = engine([high()]);
        send(e, 60);
        expect(send(e, value)).to.have.length(0);
        expect(send(e, value)).to.have.length(0);
        expect(warnings).to.have.length(1);
        expect(warnings[0][0]).to.equal('bms/1/hv');
        const t = e.table();
        expect(t.counts.badQuality).to.equal(1);
        expect(t.rows[0]).to.include({ quality: 'bad', state: 'active-unacknowledged', value: 60 });
        // a good value restores quality and evaluates normally
        expect(states(send(e, 50))).to.deep.equal(['returned-unacknowledged']);
        expect(e.table().counts.badQuality).to.equal(0);
      });
    }

    it('a missing value on an explicitly filtered topic marks bad; elsewhere it is ignored', () => {
      const e = engine([high({ path: 'payload.voltage', topic: 'bms/1' }), high({ id: 'any', path: 'payload.other' })]);
      expect(send(e, {})).to.have.length(0);
      expect(e.ids()).to.deep.equal(['bms/1/hv']);
      expect(e.table().counts.badQuality).to.equal(1);
    });

    it('a missing array marks every known element alarm bad', () => {
      const e = engine([low({ path: 'payload.cells[*]' })]);
      send(e, { cells: [3.3, 3.3] });
      send(e, {});
      expect(e.table().counts.badQuality).to.equal(2);
    });
  });

  describe('malformed rules', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['not an array', { id: 'x' }, /array/],
      ['no id', [{ type: 'high', path: 'payload', alarmValue: 1 }], /rule #1: has no id/],
      ['bad type', [{ id: 'a', type: 'above', path: 'payload' }], /rule "a": type must be/],
      ['bad severity', [{ id: 'a', type: 'high', severity: 'huge', alarmValue: 1 }], /rule "a": severity/],
      ['no alarmValue', [{ id: 'a', type: 'high', path: 'payload' }], /rule "a": a high rule needs an alarmValue/],
      ['high clearValue above alarmValue', [{ id: 'ov', type: 'high', alarmValue: 4.3, clearValue: 4.4 }], /rule "ov": clearValue 4.4 is on the wrong side of alarmValue 4.3/],
      ['low clearValue below alarmValue', [{ id: 'uv', type: 'low', alarmValue: 2.65, clearValue: 2.6 }], /rule "uv": clearValue 2.6 is on the wrong side/],
      ['bad path', [{ id: 'a', type: 'high', alarmValue: 1, path: 'payload..x' }], /rule "a": unexpected/],
      ['aggregate without wildcard', [{ id: 'a', type: 'high', alarmValue: 1, path: 'payload', aggregate: 'max' }], /rule "a": aggregate needs/],
      ['state without stateValue', [{ id: 's', type: 'state', path: 'payload' }], /rule "s": a state rule needs/],
      ['stale without time', [{ id: 's', type: 'stale', path: 'payload' }], /rule "s": a stale rule needs/],
      ['negative delay', [{ id: 'a', type: 'high', alarmValue: 1, onDelay: -1 }], /rule "a": onDelay must not be negative/],
      ['percent deadband without range', [{ id: 'a', type: 'high', alarmValue: 1, deadband: 2, deadbandMode: 'percent' }], /rule "a": a percent deadband/],
      ['duplicate ids', [{ id: 'a', type: 'high', alarmValue: 1 }, { id: 'a', type: 'low', alarmValue: 1 }], /rule "a": duplicate id/],
      ['NaN alarmValue', [{ id: 'a', type: 'high', alarmValue: NaN }], /rule "a": alarmValue must be a finite number/],
      ['not an object', [42], /rule #1: is not an object/],
    ];
    for (const [label, rules, re] of cases) {
      it(`refuses ${label}, naming the rule`, () => {
        const res = compileRules(rules);
        expect(res.ok).to.equal(false);
        if (!res.ok) expect(res.error).to.match(re);
        expect(() => new AlarmEngine(rules as AlarmRuleConfig[])).to.throw(re);
      });
    }

    it('compiles rules that only look compiled (a message cannot smuggle in engine internals)', () => {
      const e = engine([high()]);
      const res = e.setRules([{ kind: 0, template: [], id: 'x' }]);
      expect(res.ok).to.equal(false);
      if (!res.ok) expect(res.error).to.match(/rule "x": type must be/);
    });

    it('setRules keeps the previous rules when the new list is malformed', () => {
      const e = engine([high()]);
      const res = e.setRules([{ id: 'bad', type: 'high' }]);
      expect(res.ok).to.equal(false);
      expect(states(send(e, 60))).to.deep.equal(['active-unacknowledged']);
    });

    it('setRules keeps the state of alarms whose rule id survives', () => {
      const e = engine([high(), low()]);
      send(e, 60);
      expect(e.setRules([high({ alarmValue: 59 })]).ok).to.equal(true);
      expect(e.table().rows.map((r) => r.id)).to.deep.equal(['bms/1/hv']);
      const ack = e.command({ command: 'ack' });
      expect(ack.ok && states(ack.events)).to.deep.equal(['active-acknowledged']);
    });
  });

  describe('text, counts and chattering', () => {
    it('fills the message template', () => {
      const e = engine([low({ path: 'payload[*]', message: 'Cell {{number}} ({{index}}): {{value}} {{unit}} below {{alarmValue}}' })]);
      const ev = send(e, [3.3, 2.6]);
      expect(ev[0].text).to.equal('Cell 2 (1): 2.6 V below 2.65');
      const dflt = engine([high({ id: 'x' })]);
      expect(send(dflt, 60)[0].text).to.equal('High voltage: 60 V above 58 V');
    });

    it('leaves a field it does not know as written, even a name of Object.prototype', () => {
      const e = engine([high({ message: '{{nope}} {{constructor}} {{toString}} at {{value}}' })]);
      expect(send(e, 60)[0].text).to.equal('{{nope}} {{constructor}} {{toString}} at 60');
    });

    it('counts raises per 10 minutes and flags chattering at 3 raises within 60 s', () => {
      const e = engine([high({ requireAck: false })]);
      for (let i = 0; i < 2; i++) {
        send(e, 60);
        send(e, 50);
        clock.tick(10_000);
      }
      let t = e.table(true);
      expect(t.rows[0].chattering).to.equal(false);
      send(e, 60);
      t = e.table();
      expect(t.rows[0]).to.include({ chattering: true, count10m: 3 });
      expect(t.counts.chattering).to.equal(1);
      expect(t.counts.raised10m).to.equal(3);
      clock.tick(61_000);
      expect(e.table().counts.chattering).to.equal(0);
      clock.tick(600_000);
      expect(e.table().counts.raised10m).to.equal(0);
    });

    it('chatter threshold is configurable', () => {
      const e = engine([high({ requireAck: false })], { chatterCount: 2, chatterWindow: 5 });
      send(e, 60);
      send(e, 50);
      clock.tick(4_000);
      send(e, 60);
      expect(e.table().counts.chattering).to.equal(1);
    });

    it('table shows active and unacknowledged alarms, worst severity first', () => {
      const e = engine([high(), low({ path: 'payload' })]);
      send(e, 60, 'a');
      send(e, 1, 'b');
      send(e, 60, 'c');
      e.command({ command: 'ack', alarmId: 'c/hv' });
      send(e, 50, 'c');
      const t = e.table();
      expect(t.rows.map((r) => r.id)).to.deep.equal(['b/uv', 'a/hv']);
      expect(t.counts).to.include({ active: 2, unacknowledged: 2, worst: 'critical' });
      expect(e.table(true).rows).to.have.length(6);
    });
  });

  describe('persistence', () => {
    it('round-trips through JSON: states, values at raise/clear, shelving, counts', () => {
      const rules = [high({ latch: true }), low()];
      const e1 = engine(rules);
      send(e1, 60, 'p1');
      send(e1, 50, 'p1'); // latched
      send(e1, 2.5, 'p2'); // uv active
      send(e1, 2.6, 'p3');
      e1.command({ command: 'ack', alarmId: 'p3/uv' });
      send(e1, 60, 'p4');
      e1.command({ command: 'shelve', alarmId: 'p4/hv', duration: 120 });
      send(e1, 50, 'p5');
      e1.command({ command: 'disable', alarmId: 'p5/hv' });
      const json = JSON.parse(JSON.stringify(e1.exportState()));
      e1.close();

      clock.tick(60_000);
      const e2 = engine(rules);
      expect(e2.importState(json)).to.equal(json.alarms.length);
      const byId = Object.fromEntries(e2.table(true).rows.map((r) => [r.id, r]));
      expect(byId['p1/hv']).to.include({ state: 'latched', valueAtRaise: 60, valueAtClear: 50 });
      expect(byId['p2/uv']).to.include({ state: 'active-unacknowledged', valueAtRaise: 2.5 });
      expect(byId['p3/uv']).to.include({ state: 'active-acknowledged' });
      expect(byId['p4/hv']).to.include({ state: 'shelved' });
      expect(byId['p5/hv']).to.include({ state: 'out-of-service' });
      // the restored alarm continues: clearing p3 goes to normal without a new unacknowledged event
      expect(states(send(e2, 3.0, 'p3'))).to.deep.equal(['normal']);
      // the shelving resumes with its remaining minute
      clock.tick(60_000);
      expect(timerEvents.map((x) => [x.id, x.state])).to.deep.equal([['p4/hv', 'active-unacknowledged']]);
      // the latched alarm still needs its reset
      const r = e2.command({ command: 'reset', alarmId: 'p1/hv' });
      expect(r.ok && states(r.events)).to.deep.equal(['normal']);
    });

    it('a raise waiting for its on-delay at save time is re-evaluated by the next value after restore', () => {
      const rules = [high({ onDelay: 10 })];
      const e1 = engine(rules);
      send(e1, 60);
      const snap = JSON.parse(JSON.stringify(e1.exportState()));
      e1.close();
      const e2 = engine(rules);
      e2.importState(snap);
      send(e2, 60);
      clock.tick(10_000);
      expect(states(timerEvents)).to.deep.equal(['active-unacknowledged']);
    });

    it('ignores saved alarms of rules that no longer exist and garbage snapshots', () => {
      const e1 = engine([high()]);
      send(e1, 60);
      const snap = e1.exportState();
      const e2 = engine([low()]);
      expect(e2.importState(snap)).to.equal(0);
      expect(e2.importState('nonsense')).to.equal(0);
      expect(e2.importState({ alarms: [null, 1, { rule: 'uv' }] })).to.equal(0);
    });

    it('does not save plain normal alarms', () => {
      const e = engine([high()]);
      for (let i = 0; i < 100; i++) send(e, 50, `t${i}`);
      expect(e.size).to.equal(100);
      expect(e.exportState().alarms).to.have.length(0);
    });
  });

  it('every registered preset compiles, and marks thresholds the preset chose', () => {
    expect(PRESETS.length).to.be.greaterThan(0);
    // every device folder's presets are offered: Jupiter, JK (three chemistries) and BACS
    const ids = PRESETS.map((p) => p.id);
    expect(ids).to.include.members(['jupiter-hvdc', 'bacs-c20', 'bacs-sj11237-2001']);
    expect(ids.filter((id) => id.startsWith('jk-'))).to.have.length(3);
    for (const preset of PRESETS) {
      const res = compileRules(preset.rules);
      expect(res.ok, `${preset.id}: ${res.ok ? '' : res.error}`).to.equal(true);
      for (const r of preset.rules) expect(['manual', 'preset', undefined]).to.include(r.thresholdSource);
    }
  });

  it('never throws on arbitrary messages (seeded fuzz) and keeps its counts consistent', () => {
    const e = engine([
      high({ path: 'payload.v' }),
      low({ id: 'cells', path: 'payload.c[*]' }),
      { id: 'spread', name: 's', severity: 'minor', type: 'high', path: 'payload.c[*]', aggregate: 'spread', alarmValue: 0.3 },
      { id: 'nest', name: 'n', severity: 'minor', type: 'high', path: 'payload.p[*].c[*]', alarmValue: 4 },
      { id: 'flag', name: 'f', severity: 'warning', type: 'state', path: 'payload.f', stateValue: true },
      { id: 'st', name: 'st', severity: 'warning', type: 'stale', path: 'payload.v', topic: 't/*', staleTime: 5 },
    ]);
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const values: unknown[] = [NaN, Infinity, -1, 0, 2.6, 3.3, 4.5, 60, '57', '', 'x', true, false, null, undefined, {}, [], [1, 'a'], { v: 1 }];
    const pick = (): unknown => values[Math.floor(rnd() * values.length)];
    const arr = (): unknown => (rnd() < 0.2 ? pick() : Array.from({ length: Math.floor(rnd() * 5) }, pick));
    for (let i = 0; i < 3000; i++) {
      const payload = rnd() < 0.1 ? pick() : { v: pick(), c: arr(), f: pick(), p: rnd() < 0.5 ? [{ c: arr() }, pick()] : pick() };
      const topic = rnd() < 0.1 ? (pick() as string) : `t/${Math.floor(rnd() * 4)}`;
      expect(() => e.process({ topic, payload, quality: rnd() < 0.05 ? 'comm_error' : 'good' })).to.not.throw();
      if (i % 97 === 0) {
        const cmd = ['ack', 'shelve', 'unshelve', 'suppress', 'unsuppress', 'reset', 'enable', 'disable', 'report'][Math.floor(rnd() * 9)];
        expect(() => e.command({ command: cmd, oneShot: rnd() < 0.5 })).to.not.throw();
      }
      clock.tick(Math.floor(rnd() * 2000));
    }
    const t = e.table(true);
    expect(t.rows.length).to.equal(e.size);
    const hidden = ['shelved', 'suppressed', 'out-of-service'];
    expect(t.counts.active).to.equal(t.rows.filter((r) => r.active && !hidden.includes(r.state)).length);
    expect(() => JSON.stringify(e.exportState())).to.not.throw();
  });

  it('close stops every timer', () => {
    const e = engine([high({ onDelay: 5, realarm: 10 })]);
    send(e, 60);
    e.close();
    clock.tick(100_000);
    expect(timerEvents).to.have.length(0);
    expect(clock.countTimers()).to.equal(0);
  });
});

describe('AlarmEngine: unavailable sources, reference median, texts', () => {
  const comm: AlarmRuleConfig = { id: 'comm', name: 'Link', severity: 'major', path: 'quality', type: 'state', stateValue: 'comm_error' };
  const low: AlarmRuleConfig = { id: 'low', name: 'Voltage low', severity: 'major', path: 'payload.v', type: 'low', alarmValue: 10, clearValue: 11, unit: 'V' };
  const never: AlarmRuleConfig = { id: 'never', name: 'Never mapped', severity: 'minor', path: 'payload.absent', type: 'high', alarmValue: 1 };

  it('holds the alarms of a source that says comm_error or stale, raises the communication alarm, and logs once per change', () => {
    const warns: string[] = [];
    const sources: string[] = [];
    const e = new AlarmEngine([comm, low, never], { onWarn: (id, r) => warns.push(`${id}: ${r}`), onSource: (t, s, q) => sources.push(`${t} ${s} ${q}`) });
    e.process({ topic: 'u1', payload: { v: 9 }, quality: 'good' });
    expect(e.get('u1/low')?.active).to.equal(true);
    for (let i = 0; i < 5; i++) {
      const ev = e.process({ topic: 'u1', payload: { v: 12 }, quality: 'comm_error' });
      if (i === 0) expect(ev.map((x) => `${x.rule} ${x.event}`)).to.deep.equal(['comm raise']);
      else expect(ev).to.deep.equal([]);
    }
    // the old value 12 did not clear it: the source could not tell
    expect(e.get('u1/low')).to.include({ active: true, quality: 'bad' });
    expect(e.ids()).to.not.include('u1/never');
    e.process({ topic: 'u1', payload: { v: 12 }, quality: 'good' });
    expect(e.get('u1/low')).to.include({ active: false, quality: 'good' });
    expect(e.get('u1/comm')?.active).to.equal(false);
    expect(sources).to.deep.equal(['u1 lost comm_error', 'u1 back good']);
    expect(warns).to.deep.equal([]);
  });

  it('compares each element with the median of its array, and names the reading and the reference', () => {
    const rule: AlarmRuleConfig = { id: 'r', name: 'Resistance drift', severity: 'warning', path: 'payload.m[*].r', type: 'high', reference: 'median', alarmValue: 30, clearValue: 25, unit: 'mΩ' };
    const e = new AlarmEngine([rule]);
    const msg = (rs: number[]): Record<string, unknown> => ({ topic: 's', payload: { m: rs.map((r) => ({ r })) } });
    expect(e.process(msg([20.65, 21.0, 21.3, 21.7]))).to.deep.equal([]);
    const raised = e.process(msg([20, 20, 26.5, 20]));
    expect(raised.map((x) => x.id)).to.deep.equal(['s/r/2']);
    expect(raised[0]).to.include({ value: 32.5, reading: 26.5, reference: 20 });
    expect(raised[0].text).to.equal('Resistance drift 3: 26.5 mΩ, 32.5 % above the median 20 mΩ');
    const cleared = e.process(msg([20, 20, 24, 20]));
    expect(cleared[0].text).to.match(/^Resistance drift 3 cleared: 24 mΩ/);
    // no reference: a median at or below zero is bad input, not an alarm
    expect(e.process(msg([0, 0, 0, 0])).filter((x) => x.event === 'raise')).to.deep.equal([]);
    expect(new AlarmEngine().setRules([{ ...rule, aggregate: 'max' }]).ok).to.equal(false);
    expect(new AlarmEngine().setRules([{ ...rule, path: 'payload.r' }]).ok).to.equal(false);
  });

  it('numbers elements from 1 in texts, and a clear says it cleared', () => {
    const e = new AlarmEngine([{ id: 'hv', name: 'Block voltage high', severity: 'warning', path: 'payload.v[*]', type: 'high', alarmValue: 14, clearValue: 13.9, unit: 'V' }]);
    const up = e.process({ topic: 'b', payload: { v: [13.6, 14.1] } });
    expect(up[0].text).to.equal('Block voltage high 2: 14.1 V above 14 V');
    const down = e.process({ topic: 'b', payload: { v: [13.6, 13.88] } });
    expect(down[0].text).to.equal('Block voltage high 2 cleared: 13.88 V');
  });
});
