import { expect } from 'chai';
import { envelope, envelopePerValue } from '../../../lib/wire/envelope';

describe('lib/envelope', () => {
  const input = {
    prefix: 'bms',
    device: { kind: 'jk-bms' as const, name: 'pack1', address: 1 },
    reading: { voltage: 53.1, current: -2.5, soc: undefined, soh: NaN, cellVoltages: [3.31, 3.32] },
    quality: 'good' as const,
    timestamp: 1700000000000,
    units: { voltage: 'V' as const, current: 'A' as const, soc: '%' as const, soh: '%' as const, cellVoltages: 'V' as const },
  };

  it('leaves out what the device did not report, never null or NaN', () => {
    const msg = envelope(input);
    expect(msg.topic).to.equal('bms/pack1');
    expect(msg.payload).to.deep.equal({ voltage: 53.1, current: -2.5, cellVoltages: [3.31, 3.32] });
    expect(msg.units).to.deep.equal({ voltage: 'V', current: 'A', cellVoltages: 'V' });
    expect(msg.alarms).to.deep.equal([]);
  });

  it('per-value mode gives one message per key with a stable topic', () => {
    const msgs = envelopePerValue(input);
    expect(msgs.map((m) => m.topic)).to.deep.equal(['bms/pack1/voltage', 'bms/pack1/current', 'bms/pack1/cellVoltages']);
    expect(msgs[0].payload).to.equal(53.1);
    expect(msgs[0].units).to.deep.equal({ voltage: 'V' });
  });
});
