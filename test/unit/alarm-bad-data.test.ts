/**
 * alarm-rules and bad_data messages: a device node leaves implausible values out of the payload and names them in
 * msg.badKeys (lib/plausibility.ts). The engine treats a missing value as bad input, so such a message neither
 * raises nor clears a threshold alarm, for plain keys, per-element arrays, nested arrays and aggregates alike;
 * the plausible values that did arrive are evaluated as usual.
 */
import { expect } from 'chai';
import { AlarmEngine, AlarmEvent } from '../../nodes/alarm-rules/engine';
import { PRESETS } from '../helpers/presets';
import type { AlarmRuleConfig } from '../../lib/alarm-types';

function engine(rules: AlarmRuleConfig[]): { e: AlarmEngine; timed: AlarmEvent[] } {
  const timed: AlarmEvent[] = [];
  return { e: new AlarmEngine(rules, { onEvents: (ev) => timed.push(...ev), onWarn: () => undefined }), timed };
}

const summary = (events: AlarmEvent[]): string[] => events.map((ev) => `${ev.id} ${ev.state}`);

describe('alarm-rules with bad_data messages (implausible keys left out)', () => {
  it('the JK Li-ion preset: a bad_data message without the MOS temperature and the cells neither clears nor raises', () => {
    const preset = PRESETS.find((p) => p.id === 'jk-li-ion');
    if (!preset) throw new Error('preset');
    const { e } = engine(preset.rules);
    const cells = Array.from({ length: 13 }, () => 4.09);
    const raised = e.process({ topic: 'jk/pack1', quality: 'good', payload: { cellVoltages: cells, cellDelta: 0.01, mosTemperature: 80, temperatures: [19, 19] } });
    expect(summary(raised)).to.deep.equal(['jk/pack1/jk-li-ion-mos-otp active-unacknowledged']);
    // MOS −65,436 °C and a 65.535 V cell were dropped by the jk-bms node: only the plausible values arrive
    const bad = e.process({ topic: 'jk/pack1', quality: 'bad_data', badKeys: ['mosTemperature', 'cellVoltages[4]'], payload: { temperatures: [19, 19], voltage: 53.13 } });
    expect(summary(bad)).to.deep.equal([]);
    // a rejected frame: bad_data with an empty payload
    expect(summary(e.process({ topic: 'jk/pack1', quality: 'bad_data', payload: {} }))).to.deep.equal([]);
    // the real value clears it
    const cleared = e.process({ topic: 'jk/pack1', quality: 'good', payload: { cellVoltages: cells, cellDelta: 0.01, mosTemperature: 30, temperatures: [19, 19] } });
    expect(summary(cleared)).to.deep.equal(['jk/pack1/jk-li-ion-mos-otp returned-unacknowledged']);
  });

  it('plausible values of a bad_data message are evaluated as usual', () => {
    const { e } = engine([{ id: 'ot', name: 'Over-temperature', severity: 'major', type: 'high', path: 'payload.temperatures[*]', aggregate: 'max', alarmValue: 45, clearValue: 40, unit: '°C' }]);
    const ev = e.process({ topic: 'jk/pack1', quality: 'bad_data', badKeys: ['soc'], payload: { temperatures: [50, 20] } });
    expect(summary(ev)).to.deep.equal(['jk/pack1/ot active-unacknowledged']);
  });

  it('BACS modules[*]: a module whose temperature was dropped keeps its alarm; per element and as an aggregate', () => {
    const rules: AlarmRuleConfig[] = [
      { id: 'hot', name: 'Block hot', severity: 'major', type: 'high', path: 'payload.modules[*].temperature', alarmValue: 40, clearValue: 39, unit: '°C' },
      { id: 'spread', name: 'Spread', severity: 'minor', type: 'high', path: 'payload.modules[*].temperature', aggregate: 'spread', alarmValue: 10, clearValue: 9, unit: 'K' },
    ];
    const { e } = engine(rules);
    const first = e.process({ topic: 'bacs/room', quality: 'good', payload: { modules: [{ id: 1, temperature: 45 }, { id: 2, temperature: 25 }] } });
    expect(summary(first)).to.deep.equal(['bacs/room/hot/0 active-unacknowledged', 'bacs/room/spread active-unacknowledged']);
    // module 1 reported 3276.7 °C: dropped, the message is bad_data; nothing moves, though module 2 is plausible
    const bad = e.process({ topic: 'bacs/room', quality: 'bad_data', badKeys: ['modules[0].temperature'], payload: { modules: [{ id: 1 }, { id: 2, temperature: 25 }] } });
    expect(summary(bad)).to.deep.equal([]);
    const back = e.process({ topic: 'bacs/room', quality: 'good', payload: { modules: [{ id: 1, temperature: 30 }, { id: 2, temperature: 25 }] } });
    expect(summary(back)).to.deep.equal(['bacs/room/hot/0 returned-unacknowledged', 'bacs/room/spread returned-unacknowledged']);
  });

  it('a Jupiter unit whose LOAD voltage was dropped keeps the state of its under-voltage alarm', () => {
    const preset = PRESETS.find((p) => p.id === 'jupiter-hvdc');
    if (!preset) throw new Error('preset');
    const rule = preset.rules.find((r) => r.path === 'payload.loadVoltage');
    if (!rule) throw new Error('no LOAD voltage rule in the preset');
    const { e } = engine([{ ...rule, onDelay: 0, offDelay: 0 }]);
    expect(summary(e.process({ topic: 'jupiter/rack1', quality: 'good', payload: { loadVoltage: 150 } }))).to.have.length(1);
    expect(summary(e.process({ topic: 'jupiter/rack1', quality: 'bad_data', badKeys: ['loadVoltage'], payload: { dcOutputVoltage: 240 } }))).to.deep.equal([]);
  });
});
