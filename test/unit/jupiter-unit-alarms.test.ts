import { expect } from 'chai';
import { UnitAlarms } from '../../nodes/jupiter-hvdc/unit';
import { UPS_WELL_KNOWN_ALARMS, type DecodedUnit } from '../../nodes/jupiter-hvdc/profile';

function decoded(patch: Partial<DecodedUnit> = {}): DecodedUnit {
  return {
    values: {},
    flags: {},
    flagAlarms: {},
    upsAlarms: [],
    sensors: {},
    identity: {},
    unsupported: [],
    invalid: [],
    entitySensorSeen: false,
    ...patch,
  };
}
const ups = (name: string) => UPS_WELL_KNOWN_ALARMS.filter((a) => a.name === name);

describe('jupiter-hvdc unit alarms (merge of SNMP, trap and contact)', () => {
  it('raises an analog alarm with the value at raise and ends it with the value at end', () => {
    const u = new UnitAlarms('en-US');
    u.applySnmp(decoded({ values: { dcOutputVoltage: 240 } }), false, 1);
    expect(u.active()).to.deep.equal([]);
    u.applySnmp(decoded({ values: { dcOutputVoltage: 203.5 } }), false, 2);
    expect(u.active()[0]).to.include({ id: 'dc_output_undervoltage', source: 'snmp', raiseValue: 203.5, since: 2, manualClass: 'serious', text: 'DC output under-voltage' });
    u.applySnmp(decoded({ values: { dcOutputVoltage: 206 } }), false, 3); // inside the hysteresis
    expect(u.isActive('dc_output_undervoltage')).to.equal(true);
    u.applySnmp(decoded({ values: { dcOutputVoltage: 239 } }), false, 4);
    const events = u.takeEvents();
    expect(events.map((e) => e.event)).to.deep.equal(['raised', 'ended']);
    expect(events[1]).to.include({ raiseValue: 203.5, endValue: 239, endedAt: 4 });
    expect(u.takeEvents()).to.deep.equal([]);
  });

  it('uses the reduced cell readings when no cell column is mapped', () => {
    const u = new UnitAlarms('zh-CN');
    u.applySnmp(decoded({ values: { cellMin: 3.2, cellMax: 4.31, cellDelta: 0.35 } }), false, 1);
    const ids = u.active().map((a) => a.id);
    expect(ids).to.include.members(['battery_undervoltage', 'cell_overvoltage', 'cell_voltage_difference']);
    expect(u.active().find((a) => a.id === 'cell_overvoltage')?.text).to.equal('电池电压超过4300mV');
  });

  it('maps the UPS-MIB alarm table onto the catalogue, and keeps other UPS alarms under their own ids', () => {
    const u = new UnitAlarms('en-US');
    u.applySnmp(decoded({ upsAlarms: [...ups('OnBattery'), ...ups('OutputOverload')] }), true, 1);
    expect(u.active().map((a) => a.id).sort()).to.deep.equal(['ac_interruption', 'ups_output_overload']);
    expect(u.active().find((a) => a.id === 'ups_output_overload')).to.include({ manualClass: 'ups', severity: 'minor' });
    u.applySnmp(decoded({ upsAlarms: [] }), true, 2);
    expect(u.active()).to.deep.equal([]);
  });

  it('lets a poll that sees the alarm supersede a trap, and keeps trap-only alarms the poll cannot see', () => {
    const u = new UnitAlarms('en-US');
    u.applyTrap('ac_interruption', true, 'OnBattery', 1);
    u.applyTrap('rectifier_comm_fault', true, 1, 1);
    expect(u.active().map((a) => a.source)).to.deep.equal(['trap', 'trap']);
    // the poll reads AC input 230 V: AC interruption ends; nothing about rectifier communication
    u.applySnmp(decoded({ values: { acInputVoltage: 230 } }), false, 2);
    expect(u.active().map((a) => a.id)).to.deep.equal(['rectifier_comm_fault']);
    const ended = u.takeEvents().find((e) => e.event === 'ended');
    expect(ended).to.include({ id: 'ac_interruption', raiseValue: 'OnBattery', endValue: 230 });
  });

  it('ORs the sources, keeps the first source, and holds state when no source can tell', () => {
    const u = new UnitAlarms('en-US');
    u.applyContact('ac_breaker_open', true, 1);
    u.applySnmp(decoded({ flagAlarms: { ac_breaker_open: true }, flags: { ac_breaker_open: 0 } }), false, 2);
    expect(u.active()[0]).to.include({ source: 'contact', raiseValue: 0 });
    u.applyContact('ac_breaker_open', false, 3);
    expect(u.isActive('ac_breaker_open')).to.equal(true); // SNMP still says open
    u.applySnmp(decoded({ flagAlarms: { ac_breaker_open: false }, flags: { ac_breaker_open: 1 } }), false, 4);
    expect(u.isActive('ac_breaker_open')).to.equal(false);
    // a contact that cannot tell (comm_error) leaves the alarm as it was
    const v = new UnitAlarms('en-US');
    v.applyContact('load_breaker_open', true, 1);
    v.applyContact('load_breaker_open', undefined, 2);
    expect(v.isActive('load_breaker_open')).to.equal(true);
  });

  it('raises network interruption on a communication failure (1.00) and ends it on the next answer (0.00)', () => {
    const u = new UnitAlarms('en-US');
    u.applyCommFailure(1);
    expect(u.active()[0]).to.include({ id: 'network_interruption', raiseValue: 1 });
    u.applySnmp(decoded(), false, 2);
    expect(u.takeEvents()[1]).to.include({ event: 'ended', endValue: 0 });
  });
});
