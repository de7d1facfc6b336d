import { expect } from 'chai';
import { ChangeFilter } from '../../../lib/change-filter';

describe('lib/change-filter ChangeFilter', () => {
  it('always passes the first reading, then only changes beyond the deadband', () => {
    const filter = new ChangeFilter({ deadbands: { voltage: 0.05 } });
    expect(filter.changedKeys('pack1', { voltage: 53.2, soc: 80 })).to.deep.equal(['voltage', 'soc']);
    expect(filter.changedKeys('pack1', { voltage: 53.24, soc: 80 })).to.deep.equal([]);
    expect(filter.changedKeys('pack1', { voltage: 53.26, soc: 81 })).to.deep.equal(['voltage', 'soc']);
  });

  it('keeps devices apart and compares arrays element by element', () => {
    const filter = new ChangeFilter({ defaultDeadband: 0.002 });
    filter.changedKeys('pack1', { cellVoltages: [3.301, 3.302] });
    expect(filter.changed('pack2', { cellVoltages: [3.301, 3.302] })).to.equal(true);
    expect(filter.changed('pack1', { cellVoltages: [3.302, 3.303] })).to.equal(false);
    expect(filter.changed('pack1', { cellVoltages: [3.302, 3.310] })).to.equal(true);
    expect(filter.changed('pack1', { cellVoltages: [3.302, 3.310, 3.3] })).to.equal(true);
  });

  it('reset makes the next reading pass again', () => {
    const filter = new ChangeFilter();
    filter.changed('u1', { onBattery: false });
    expect(filter.changed('u1', { onBattery: false })).to.equal(false);
    filter.reset('u1');
    expect(filter.changed('u1', { onBattery: false })).to.equal(true);
  });
});
