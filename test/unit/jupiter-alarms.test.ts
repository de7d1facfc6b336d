import { expect } from 'chai';
import {
  JUPITER_ALARMS,
  SEVERITY_OF_CLASS,
  aggregateValue,
  analogActive,
  jupiterAlarm,
  jupiterPreset,
  type AnalogSignal,
} from '../../nodes/jupiter-hvdc/alarms';

const SEVERITIES = ['critical', 'major', 'minor', 'warning'];

describe('jupiter-hvdc alarm catalogue', () => {
  it('has unique ids in snake case', () => {
    const ids = JUPITER_ALARMS.map((a) => a.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const id of ids) expect(id).to.match(/^[a-z][a-z0-9_]*$/);
  });

  it('holds every alarm of the manual §4.1–4.2 (15 rows, 3 general)', () => {
    expect(JUPITER_ALARMS).to.have.length(15);
    expect(JUPITER_ALARMS.filter((a) => a.manualClass === 'general').map((a) => a.id)).to.have.members([
      'load_output_undervoltage',
      'ac_breaker_open',
      'load_breaker_open',
    ]);
  });

  it('gives every entry both texts, a manual label and both notes', () => {
    for (const a of JUPITER_ALARMS) {
      expect(a.text['en-US'], a.id).to.be.a('string').and.not.empty;
      expect(a.text['zh-CN'], a.id).to.match(/[\u4e00-\u9fff]/);
      expect(a.manualLabel, a.id).to.match(/[\u4e00-\u9fff]/);
      expect(a.note['en-US'], a.id).to.not.be.empty;
      expect(a.note['zh-CN'], a.id).to.not.be.empty;
      expect(a.manualLog.raise, a.id).to.not.be.empty;
      expect(a.manualLog.end, a.id).to.not.be.empty;
    }
  });

  it('maps the manual class onto a package severity and keeps the manual word', () => {
    for (const a of JUPITER_ALARMS) {
      expect(SEVERITIES).to.include(a.severity);
      expect(['general', 'serious']).to.include(a.manualClass);
      // critical only for the charge over-voltage alarms; otherwise the class mapping
      if (a.severity !== 'critical') expect(a.severity, a.id).to.equal(SEVERITY_OF_CLASS[a.manualClass]);
    }
    expect(jupiterAlarm('cell_overvoltage')?.severity).to.equal('critical');
  });

  it('puts thresholds on the right side of the clear value', () => {
    for (const a of JUPITER_ALARMS) {
      const s = a.signal;
      if (s.kind !== 'analog') continue;
      expect(Number.isFinite(s.alarmValue) && Number.isFinite(s.clearValue), a.id).to.equal(true);
      if (s.direction === 'low') expect(s.clearValue, a.id).to.be.greaterThan(s.alarmValue);
      else expect(s.clearValue, a.id).to.be.lessThan(s.alarmValue);
    }
  });

  it('keeps the manual thresholds and marks the one the manual does not state', () => {
    const analog = (id: string): AnalogSignal => {
      const s = jupiterAlarm(id)?.signal;
      if (s?.kind !== 'analog') throw new Error(`${id} is not analog`);
      return s;
    };
    expect(analog('load_output_undervoltage')).to.include({ alarmValue: 200, direction: 'low', thresholdSource: 'manual' });
    expect(analog('dc_output_undervoltage')).to.include({ alarmValue: 204, direction: 'low', thresholdSource: 'manual' });
    expect(analog('cell_overvoltage')).to.include({ alarmValue: 4.3, direction: 'high', aggregate: 'max' });
    expect(analog('cell_voltage_difference')).to.include({ alarmValue: 0.3, aggregate: 'spread' });
    expect(analog('battery_undervoltage')).to.include({ alarmValue: 3.3, thresholdSource: 'preset' });
    // clear levels are nowhere in the manual
    for (const a of JUPITER_ALARMS) if (a.signal.kind === 'analog') expect(a.signal.clearSource, a.id).to.equal('preset');
  });

  it('stores binary polarity per alarm as the manual logs it', () => {
    const polarity = (id: string): number | undefined => {
      const s = jupiterAlarm(id)?.signal;
      return s?.kind === 'flag' ? s.alarmFlag : undefined;
    };
    for (const id of ['ac_breaker_open', 'load_breaker_open', 'battery_bms_fault']) expect(polarity(id), id).to.equal(0);
    for (const id of ['rectifier_fault', 'rectifier_comm_fault', 'battery_not_connected', 'rectifier_module_shutdown', 'overcharge_protection']) {
      expect(polarity(id), id).to.equal(1);
    }
    for (const a of JUPITER_ALARMS) if (a.signal.kind === 'flag') expect(a.signal.clearFlag).to.equal(1 - a.signal.alarmFlag);
  });

  it('evaluates analog alarms with hysteresis and strict raise', () => {
    const dc = jupiterAlarm('dc_output_undervoltage')?.signal as AnalogSignal;
    expect(analogActive(dc, 204, false)).to.equal(false);
    expect(analogActive(dc, 203.9, false)).to.equal(true);
    expect(analogActive(dc, 206, true)).to.equal(true);
    expect(analogActive(dc, 208, true)).to.equal(false);
    const ac = jupiterAlarm('ac_interruption')?.signal as AnalogSignal;
    expect(analogActive(ac, 0, false)).to.equal(true);
    expect(analogActive(ac, 50, true)).to.equal(true);
    expect(analogActive(ac, 230, true)).to.equal(false);
    const spread = jupiterAlarm('cell_voltage_difference')?.signal as AnalogSignal;
    expect(aggregateValue(spread, [3.9, 4.25, 3.95])).to.be.closeTo(0.35, 1e-9);
    expect(aggregateValue(spread, [3.9])).to.equal(undefined);
    expect(aggregateValue(spread, [])).to.equal(undefined);
  });
});

describe('jupiterPreset', () => {
  it('has unique rule ids and one rule per catalogue alarm', () => {
    const ids = jupiterPreset.rules.map((r) => r.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const a of JUPITER_ALARMS) expect(ids).to.include(a.id);
  });

  it('points every rule into the jupiter-hvdc envelope', () => {
    for (const r of jupiterPreset.rules) {
      expect(r.path, r.id).to.match(/^(payload\.[A-Za-z_.]+(\[\*\])?|quality)$/);
      expect(r.text?.['zh-CN'], r.id).to.not.be.empty;
      expect(['manual', 'preset']).to.include(r.thresholdSource);
      if (r.type === 'high' || r.type === 'low') {
        expect(r.alarmValue, r.id).to.be.a('number');
        expect(r.clearValue, r.id).to.be.a('number');
      }
      if (r.type === 'state') expect(r.stateValue, r.id).to.not.equal(undefined);
      if (r.path.endsWith('[*]')) expect(r.aggregate, r.id).to.be.oneOf(['min', 'max', 'spread']);
    }
  });

  it('uses the envelope keys named by the design', () => {
    const byId = new Map(jupiterPreset.rules.map((r) => [r.id, r]));
    expect(byId.get('dc_output_undervoltage')).to.include({ path: 'payload.dcOutputVoltage', type: 'low', alarmValue: 204 });
    expect(byId.get('load_output_undervoltage')).to.include({ path: 'payload.loadVoltage', type: 'low', alarmValue: 200 });
    expect(byId.get('cell_voltage_difference')).to.include({ path: 'payload.cellVoltages[*]', aggregate: 'spread', type: 'high' });
    expect(byId.get('ac_breaker_open')).to.include({ path: 'payload.flags.ac_breaker_open', type: 'state', stateValue: 0 });
    expect(byId.get('rectifier_fault')).to.include({ type: 'state', stateValue: 1 });
    expect(byId.get('battery_undervoltage')).to.include({ thresholdSource: 'preset' });
    expect(byId.get('cell_voltage_difference_flag')).to.include({ disabled: true, stateValue: 1 });
  });

  it('compares as the catalogue does: strictly where the manual says "above" / "below", at the value where it logs the raise there', () => {
    const analog = jupiterPreset.rules.filter((r) => r.type === 'high' || r.type === 'low');
    expect(analog.length).to.be.greaterThan(0);
    for (const rule of analog) {
      const s = jupiterAlarm(rule.id)?.signal;
      const inclusive = s?.kind === 'analog' && s.inclusive === true;
      expect(rule.strict === true, rule.id).to.equal(!inclusive);
    }
    // AC interruption is logged at 0.00: a reading of 0 V must raise it
    expect(jupiterPreset.rules.find((r) => r.id === 'ac_interruption')?.strict).to.equal(undefined);
  });
});
