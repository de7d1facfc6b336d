import { expect } from 'chai';
import { bacsPresets, MONITOR_LIMITS } from '../../nodes/bacs/alarms';
import { compileRule } from '../../nodes/alarm-rules/rules';
import { PRESETS } from '../helpers/presets';

describe('BACS alarm-rules presets', () => {
  it('has one preset per monitor type plus the SJ 11237-2001 temperature preset', () => {
    expect(bacsPresets.map((p) => p.id)).to.deep.equal(['bacs-c20', 'bacs-c23', 'bacs-c30', 'bacs-c40', 'bacs-c40-nicd', 'bacs-c41', 'bacs-sj11237-2001']);
  });

  it('gives rule ids unique across all presets, texts in both languages and a threshold source', () => {
    const ids = bacsPresets.flatMap((p) => p.rules.map((r) => r.id));
    expect(new Set(ids).size).to.equal(ids.length);
    for (const p of bacsPresets) {
      expect(p.label['en-US']).to.not.equal('');
      expect(p.label['zh-CN']).to.not.equal('');
      for (const r of p.rules) {
        expect(r.text?.['en-US'], r.id).to.be.a('string').and.not.equal('');
        expect(r.text?.['zh-CN'], r.id).to.be.a('string').and.not.equal('');
        expect(r.thresholdSource, r.id).to.be.oneOf(['manual', 'preset']);
        expect(r.path, r.id).to.match(/^(payload\.modules\[\*\]\.(voltage|temperature|resistance)|quality)$/);
      }
    }
  });

  it('puts the clear value on the safe side of every threshold (hysteresis)', () => {
    for (const r of bacsPresets.flatMap((p) => p.rules)) {
      if (r.type === 'state') continue;
      expect(r.alarmValue, r.id).to.be.a('number');
      if (r.type === 'high') expect(r.clearValue as number, r.id).to.be.below(r.alarmValue as number);
      if (r.type === 'low') expect(r.clearValue as number, r.id).to.be.above(r.alarmValue as number);
    }
  });

  it('takes the measuring ranges of the product sheet per monitor type', () => {
    const ranges = Object.fromEntries(MONITOR_LIMITS.filter((m) => m.key !== 'c40-nicd').map((m) => [m.type, [m.voltageRange, m.resistanceRange]]));
    expect(ranges).to.deep.equal({
      C20: [[9.7, 17], [0.5, 60]],
      C23: [[9.7, 21], [0.5, 60]],
      C30: [[4.8, 8.0], [0.5, 60]],
      C40: [[1.0, 3.2], [0.02, 6]],
      C41: [[2.4, 5.0], [0.5, 30]],
    });
    const c40 = bacsPresets.find((p) => p.id === 'bacs-c40');
    expect(c40?.rules.find((r) => r.id === 'bacs-c40-resistance-above-range')).to.include({ alarmValue: 6, thresholdSource: 'manual' });
    expect(c40?.rules.find((r) => r.id === 'bacs-c40-voltage-above-range')).to.include({ alarmValue: 3.2, thresholdSource: 'manual' });
  });

  it('keeps C20/C23 quiet on boost charging and judges resistance against the string, not an absolute level', () => {
    const c20 = bacsPresets.find((p) => p.id === 'bacs-c20');
    const byId = (id: string) => c20?.rules.find((r) => r.id === id);
    expect(byId('bacs-c20-voltage-high')).to.include({ alarmValue: 14.7, severity: 'warning', thresholdSource: 'preset' });
    expect(byId('bacs-c20-voltage-high')?.clearValue).to.be.above(14.4);
    expect(byId('bacs-c20-voltage-high-alarm')).to.include({ alarmValue: 15, severity: 'critical' });
    expect(byId('bacs-c20-voltage-low')).to.include({ alarmValue: 10 });
    expect(byId('bacs-c20-voltage-low-alarm')).to.include({ alarmValue: 9, severity: 'major' });
    expect(byId('bacs-c20-resistance-high')).to.include({ reference: 'median', alarmValue: 30, unit: '%' });
    expect(byId('bacs-c20-resistance-alarm')).to.include({ reference: 'median', alarmValue: 50, severity: 'major' });
  });

  it('carries the SJ 11237-2001 temperature limits, with a 10 K spread per string', () => {
    const sj = bacsPresets.find((p) => p.id === 'bacs-sj11237-2001');
    const byId = (id: string) => sj?.rules.find((r) => r.id === id);
    expect(byId('bacs-sj11237-temperature-high')).to.include({ type: 'high', alarmValue: 40, thresholdSource: 'manual' });
    expect(byId('bacs-sj11237-temperature-low')).to.include({ type: 'low', alarmValue: 10, thresholdSource: 'manual' });
    expect(byId('bacs-sj11237-temperature-high-alarm')).to.include({ alarmValue: 55, severity: 'major' });
    expect(byId('bacs-sj11237-temperature-low-alarm')).to.include({ alarmValue: -5, severity: 'major' });
    const spread = byId('bacs-sj11237-temperature-spread');
    expect(spread).to.include({ aggregate: 'spread', type: 'high', topic: '*/*/string/*', unit: 'K' });
    expect(spread).to.include({ alarmValue: 10, strict: true });
    // every monitor preset has the same temperature rules; lithium (C41) is not bound by the lead-acid extremes
    for (const p of bacsPresets) expect(p.rules.some((r) => r.aggregate === 'spread'), p.id).to.equal(true);
    const c41 = bacsPresets.find((p) => p.id === 'bacs-c41');
    expect(c41?.rules.find((r) => r.id === 'bacs-c41-temperature-low-alarm')).to.include({ alarmValue: 0, thresholdSource: 'preset' });
    // SJ 11237-2001 Table 2 also gives NiCd: -20/+50 °C
    const nicd = bacsPresets.find((p) => p.id === 'bacs-c40-nicd');
    expect(nicd?.rules.find((r) => r.id === 'bacs-c40-nicd-temperature-low-alarm')).to.include({ alarmValue: -20, thresholdSource: 'manual' });
    expect(nicd?.rules.find((r) => r.id === 'bacs-c40-nicd-temperature-high-alarm')).to.include({ alarmValue: 50, thresholdSource: 'manual' });
  });

  it('compiles in the alarm-rules engine and is offered by its preset catalogue', () => {
    for (const p of bacsPresets) {
      p.rules.forEach((r, i) => expect(compileRule(r, i).problems, r.id).to.deep.equal([]));
      expect(PRESETS.map((q) => q.id)).to.include(p.id);
    }
  });
});
