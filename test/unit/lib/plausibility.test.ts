import { expect } from 'chai';
import { badKeysUnder, describeViolations, RangeTable, screenReading } from '../../../lib/plausibility';

const TABLE: RangeTable = {
  'cells[*]': { min: 0, max: 5, unit: 'V', critical: true },
  cellMax: { min: 0, max: 5, unit: 'V', derivedFrom: ['cells'] },
  voltage: { min: 0, max: 160, unit: 'V' },
  current: { min: -2000, max: 2000, unit: 'A' },
  power: { min: -320_000, max: 320_000, unit: 'W', derivedFrom: ['voltage', 'current'] },
  soc: { min: 0, max: 100, unit: '%' },
  'temperatures[*]': { min: -55, max: 150, unit: '°C' },
  'modules[*].voltage': { min: 0, max: 30, unit: 'V' },
  'modules[*].temperature': { min: -55, max: 150, unit: '°C' },
  'grid[*][*]': { min: 0, max: 1, unit: '' },
};

describe('plausibility checker (lib/plausibility.ts)', () => {
  it('passes a plausible reading unchanged, as a copy, and leaves non-numbers alone', () => {
    const reading = { cells: [3.3, 0, 5], cellMax: 5, voltage: 51.2, current: -3, power: -153.6, soc: 100, flag: true, name: 'x', modules: [{ id: 1, voltage: 13.5, state: 'ok' }] };
    const r = screenReading(reading, TABLE);
    expect(r.badKeys).to.deep.equal([]);
    expect(r.rejected).to.equal(false);
    expect(r.reading).to.deep.equal(reading);
    expect(r.reading).to.not.equal(reading);
    expect(r.reading.modules[0]).to.not.equal(reading.modules[0]);
  });

  it('drops an implausible value and names it; the input is not changed', () => {
    const reading = { voltage: 51.2, current: 2, soc: 255, temperatures: [20, 6552.5], cells: [3.3] };
    const before = JSON.stringify(reading);
    const r = screenReading(reading, TABLE);
    expect(r.badKeys).to.deep.equal(['soc', 'temperatures[1]']);
    expect(r.reading).to.deep.equal({ voltage: 51.2, current: 2, cells: [3.3] }); // the array goes whole: positions matter
    expect(r.dropped).to.deep.equal(['soc', 'temperatures']);
    expect(r.rejected).to.equal(false);
    expect(JSON.stringify(reading)).to.equal(before);
    expect(r.violations[0]).to.deep.equal({ key: 'soc', value: 255, min: 0, max: 100, unit: '%' });
  });

  it('treats NaN and ±Infinity at a ranged path as implausible, and bounds are inclusive', () => {
    const r = screenReading({ voltage: Infinity, current: NaN, soc: 0, cells: [0, 5] }, TABLE);
    expect(r.badKeys).to.deep.equal(['voltage', 'current']);
    expect(r.reading).to.deep.equal({ soc: 0, cells: [0, 5] });
  });

  it('drops keys derived from a dropped key, and only those', () => {
    const r = screenReading({ voltage: 655.35, current: 2, power: 1310.7, cells: [3.3], cellMax: 3.3, soc: 50 }, TABLE);
    expect(r.badKeys).to.deep.equal(['voltage']);
    expect(r.dropped).to.deep.equal(['voltage', 'power']);
    expect(r.reading).to.deep.equal({ current: 2, cells: [3.3], cellMax: 3.3, soc: 50 });
  });

  it('drops one field of one element of an array of objects', () => {
    const modules = [
      { id: 1, voltage: 13.5, temperature: 25 },
      { id: 2, voltage: 6553.5, temperature: 25 },
      { id: 3, voltage: 13.4, temperature: 3276.7 },
    ];
    const r = screenReading({ modules }, TABLE);
    expect(r.badKeys).to.deep.equal(['modules[1].voltage', 'modules[2].temperature']);
    expect(r.reading.modules).to.deep.equal([{ id: 1, voltage: 13.5, temperature: 25 }, { id: 2, temperature: 25 }, { id: 3, voltage: 13.4 }]);
    expect(r.rejected).to.equal(false);
    expect(badKeysUnder(r.badKeys, 'modules[1].')).to.deep.equal(['voltage']);
    expect(badKeysUnder(r.badKeys, 'modules[0].')).to.deep.equal([]);
    // an entry over an array weighs by the share of bad elements: one bad module is not a bad frame, all are
    const garbage = modules.map((m) => ({ ...m, voltage: 6553.5, temperature: 3276.7 }));
    expect(screenReading({ modules: garbage }, TABLE).rejected).to.equal(true);
  });

  it('rejects the frame for a critical key, or when more than half of the keys present are out of range', () => {
    expect(screenReading({ cells: [3.3, 65.535], voltage: 51 }, TABLE).rejected).to.equal(true);
    expect(screenReading({ voltage: 1e6, current: 1e6, soc: 50 }, TABLE).rejected).to.equal(true); // 2 of 3
    expect(screenReading({ voltage: 1e6, current: 1, soc: 50, cells: [3] }, TABLE).rejected).to.equal(false); // 1 of 4
    expect(screenReading({ voltage: 1e6, soc: 50 }, TABLE).rejected).to.equal(false); // half is not more than half
    expect(screenReading({ voltage: 1e6, soc: 50 }, TABLE, { rejectShare: 0.4 }).rejected).to.equal(true);
    expect(screenReading({}, TABLE).rejected).to.equal(false);
  });

  it('walks nested arrays and ignores shapes that do not match the table', () => {
    const r = screenReading({ grid: [[0, 1], [1, 7]], modules: 'none', temperatures: { a: 1e9 }, voltage: '900' }, TABLE);
    expect(r.badKeys).to.deep.equal(['grid[1][1]']);
    expect(r.reading).to.deep.equal({ modules: 'none', temperatures: { a: 1e9 }, voltage: '900' });
  });

  it('describes violations with their ranges and without values, so the text is stable while the same keys are bad', () => {
    const a = screenReading({ soc: 255, temperatures: [-65436] }, TABLE);
    const b = screenReading({ soc: 101, temperatures: [900] }, TABLE);
    expect(describeViolations(a.violations)).to.equal('soc (0…100 %), temperatures[0] (-55…150 °C)');
    expect(describeViolations(b.violations)).to.equal(describeViolations(a.violations));
    const many = screenReading({ cells: [9, 9, 9, 9, 9, 9, 9, 9] }, TABLE);
    expect(describeViolations(many.violations, 3)).to.match(/^cells\[0\] .*, \+5$/);
  });
});
