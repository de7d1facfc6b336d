import { expect } from 'chai';
import type { SnmpVarbind } from '../../lib/snmp/types';
import {
  OID,
  answerFrom,
  decodeRow,
  decodeUnit,
  defaultProfile,
  exportProfile,
  importProfile,
  pollPlan,
  validateProfile,
  type JupiterProfile,
  type ProfileRow,
} from '../../nodes/jupiter-hvdc/profile';
import { JUPITER_ALARMS } from '../../nodes/jupiter-hvdc/alarms';

// net-snmp ObjectType numbers
const INTEGER = 2;
const OCTET = 4;
const OIDT = 6;
const GAUGE = 66;
const TICKS = 67;

const vb = (oid: string, type: number, value: SnmpVarbind['value']): SnmpVarbind => ({ oid, type, value });
const missing = (oid: string): SnmpVarbind => ({ oid, type: 128, value: null, error: 'noSuchObject' });

function withVendor(p: JupiterProfile, key: string, patch: Partial<ProfileRow>): JupiterProfile {
  return { ...p, vendor: p.vendor.map((r) => (r.key === key ? { ...r, ...patch } : r)) };
}

describe('jupiter-hvdc profile', () => {
  it('ships the vendor mapping with the Jupiter keys and alarms but no OIDs', () => {
    const p = defaultProfile();
    expect(p.vendor.every((r) => r.oid === '')).to.equal(true);
    const keys = p.vendor.map((r) => r.key);
    for (const k of ['dcOutputVoltage', 'loadVoltage', 'batteryVoltage', 'batteryCurrent', 'cellVoltages', 'rectifierStates', 'acInputVoltage']) {
      expect(keys).to.include(k);
    }
    for (const a of JUPITER_ALARMS) if (a.signal.kind !== 'link') expect(keys).to.include(a.id);
    // manual polarity carried into the rows
    expect(p.vendor.find((r) => r.key === 'ac_breaker_open')).to.include({ alarmValue: 0, clearValue: 1 });
    expect(p.vendor.find((r) => r.key === 'rectifier_fault')).to.include({ alarmValue: 1, clearValue: 0 });
  });

  it('polls identity and UPS-MIB by default and nothing of the unmapped vendor rows', () => {
    const plan = pollPlan(defaultProfile(), { entitySensor: false });
    expect(plan.gets).to.include(OID.upsBatteryVoltage);
    expect(plan.gets).to.include(OID.sysUpTime);
    expect(plan.gets.every((o) => o !== '')).to.equal(true);
    expect(plan.walks).to.deep.equal([OID.upsAlarmDescr]);
    const withSensors = pollPlan(defaultProfile(), { entitySensor: true });
    expect(withSensors.walks).to.include(OID.entPhySensorEntry);
  });

  it('decodes UPS-MIB values with their scales, signedness and the on-battery source', () => {
    const answer = answerFrom(
      [
        vb(OID.sysDescr, OCTET, Buffer.from('Jupiter J540 ERC')),
        vb(OID.sysUpTime, TICKS, 12345),
        vb(OID.upsBatteryVoltage, INTEGER, 2312),
        vb(OID.upsBatteryCurrent, INTEGER, 0xffffffff - 49), // -5.0 A sent unsigned
        vb(OID.upsBatteryTemperature, INTEGER, 27),
        vb(OID.upsEstimatedChargeRemaining, INTEGER, 87),
        vb(OID.upsInputVoltage1, INTEGER, 0),
        vb(OID.upsOutputSource, INTEGER, 5),
        vb(OID.upsBatteryStatus, INTEGER, 3),
        missing(OID.upsOutputVoltage1),
      ],
      [[OID.upsAlarmDescr, [vb(OID.upsAlarmDescr + '.7', OIDT, '1.3.6.1.2.1.33.1.6.3.2'), vb(OID.upsAlarmDescr + '.8', OIDT, '1.3.6.1.2.1.33.1.6.3.8')]]],
    );
    const d = decodeUnit(defaultProfile(), answer);
    expect(d.values.batteryVoltage).to.equal(231.2);
    expect(d.values.batteryCurrent).to.equal(-5);
    expect(d.values.batteryTemperature).to.equal(27);
    expect(d.values.soc).to.equal(87);
    expect(d.values.acInputVoltage).to.equal(0);
    expect(d.values.onBattery).to.equal(true);
    expect(d.values.batteryStatus).to.equal('low');
    expect(d.identity).to.include({ sysDescr: 'Jupiter J540 ERC', upTimeSeconds: 123.45 });
    expect(d.unsupported).to.include('dcOutputVoltage');
    expect(d.values).to.not.have.property('dcOutputVoltage');
    expect(d.upsAlarms.map((a) => a.name)).to.deep.equal(['OnBattery', 'OutputOverload']);
  });

  it('lets a mapped vendor row win over UPS-MIB and applies scale, offset, sentinel and decimals', () => {
    let p = withVendor(defaultProfile(), 'dcOutputVoltage', { oid: '.1.3.6.1.4.1.99999.1.1.0', scale: 0.01 });
    p = withVendor(p, 'loadVoltage', { oid: '1.3.6.1.4.1.99999.1.2.0', sentinel: [2147483647] });
    p = withVendor(p, 'batteryTemperature', { oid: '1.3.6.1.4.1.99999.1.3.0', scale: 1, offset: -273.15, signed: false });
    p = withVendor(p, 'batteryCurrent', { oid: '1.3.6.1.4.1.99999.1.4.0', scale: 1, scaleFromOid: '1.3.6.1.4.1.99999.9.0' });
    const d = decodeUnit(
      p,
      answerFrom(
        [
          vb('1.3.6.1.4.1.99999.1.1.0', GAUGE, 24012),
          vb(OID.upsOutputVoltage1, INTEGER, 1),
          vb('1.3.6.1.4.1.99999.1.2.0', INTEGER, 2147483647),
          vb('1.3.6.1.4.1.99999.1.3.0', INTEGER, 300),
          vb('1.3.6.1.4.1.99999.1.4.0', INTEGER, -123),
          vb('1.3.6.1.4.1.99999.9.0', INTEGER, 2),
        ],
        [],
      ),
    );
    expect(d.values.dcOutputVoltage).to.equal(240.12);
    expect(d.values).to.not.have.property('loadVoltage');
    expect(d.invalid).to.include('loadVoltage');
    expect(d.values.batteryTemperature).to.be.closeTo(26.85, 1e-9);
    expect(d.values.batteryCurrent).to.equal(-1.23);
  });

  it('decodes vendor flags in the manual polarity, walks cells and rectifiers', () => {
    let p = withVendor(defaultProfile(), 'ac_breaker_open', { oid: '1.3.6.1.4.1.99999.2.1.0' });
    p = withVendor(p, 'rectifier_fault', { oid: '1.3.6.1.4.1.99999.2.2.0', type: 'bitmask', bit: 3 });
    p = withVendor(p, 'cellVoltages', { oid: '1.3.6.1.4.1.99999.3.1', scale: 0.001 });
    p = withVendor(p, 'rectifierStates', { oid: '1.3.6.1.4.1.99999.4.1', enumMap: { '1': { text: 'normal', ok: true }, '2': { text: 'fault', ok: false } } });
    const d = decodeUnit(
      p,
      answerFrom(
        [vb('1.3.6.1.4.1.99999.2.1.0', INTEGER, 0), vb('1.3.6.1.4.1.99999.2.2.0', INTEGER, 0b1000)],
        [
          ['1.3.6.1.4.1.99999.3.1', [vb('1.3.6.1.4.1.99999.3.1.1', INTEGER, 3950), vb('1.3.6.1.4.1.99999.3.1.2', INTEGER, 4010), vb('1.3.6.1.4.1.99999.3.1.3', OCTET, 'garbage')]],
          ['1.3.6.1.4.1.99999.4.1', [vb('1.3.6.1.4.1.99999.4.1.1', INTEGER, 1), vb('1.3.6.1.4.1.99999.4.1.2', INTEGER, 2)]],
        ],
      ),
    );
    expect(d.flagAlarms.ac_breaker_open).to.equal(true);
    expect(d.flags.ac_breaker_open).to.equal(0); // raised at 0.00 as the manual logs it
    expect(d.flagAlarms.rectifier_fault).to.equal(true);
    expect(d.flags.rectifier_fault).to.equal(1);
    expect(d.values.cellVoltages).to.deep.equal([3.95, 4.01]);
    expect(d.rectifiers).to.deep.equal([
      { index: 1, ok: true, state: 'normal' },
      { index: 2, ok: false, state: 'fault' },
    ]);
  });

  it('never throws on garbage from the wire', () => {
    const p = withVendor(defaultProfile(), 'dcOutputVoltage', { oid: '1.3.6.1.4.1.99999.1.1.0' });
    const garbage: SnmpVarbind[] = [
      vb('1.3.6.1.4.1.99999.1.1.0', OCTET, Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05])),
      vb(OID.upsBatteryVoltage, OCTET, 'n/a'),
      vb(OID.upsBatteryCurrent, 5, null),
      vb(OID.sysUpTime, 2, Number.NaN),
      { oid: OID.upsOutputSource, type: 2, value: 99 },
    ];
    const d = decodeUnit(p, answerFrom(garbage, [[OID.upsAlarmDescr, [vb(OID.upsAlarmDescr + '.1', OCTET, Buffer.from([1, 2, 3]))]]]));
    expect(d.invalid).to.include.members(['dcOutputVoltage', 'batteryVoltage']);
    expect(d.values.outputSource).to.equal('99');
    expect(d.values).to.not.have.property('onBattery');
    expect(d.upsAlarms).to.have.length(0);
  });

  it('reads ENTITY-SENSOR-MIB as a self-describing fallback', () => {
    const p = { ...defaultProfile(), entityMap: [{ key: 'loadVoltage', sensor: 'LOAD bus' }] };
    const e = OID.entPhySensorEntry;
    const d = decodeUnit(
      p,
      answerFrom([], [
        [e, [vb(`${e}.1.5`, INTEGER, 4), vb(`${e}.2.5`, INTEGER, 8), vb(`${e}.3.5`, INTEGER, 0), vb(`${e}.4.5`, INTEGER, 239500), vb(`${e}.5.5`, INTEGER, 1),
          vb(`${e}.1.6`, INTEGER, 8), vb(`${e}.2.6`, INTEGER, 9), vb(`${e}.3.6`, INTEGER, 1), vb(`${e}.4.6`, INTEGER, 251), vb(`${e}.5.6`, INTEGER, 1),
          vb(`${e}.4.7`, INTEGER, 1000000000)]],
        [OID.entPhysicalName, [vb(`${OID.entPhysicalName}.5`, OCTET, Buffer.from('LOAD bus'))]],
      ]),
    );
    expect(d.entitySensorSeen).to.equal(true);
    expect(d.sensors).to.deep.equal({ 'LOAD bus': 239.5, sensor6: 25.1 });
    expect(d.values.loadVoltage).to.equal(239.5);
  });

  it('round-trips export and import, and rejects bad profiles with reasons', () => {
    const p = withVendor(defaultProfile(), 'dcOutputVoltage', { oid: '1.3.6.1.4.1.99999.1.1.0', verified: true });
    const back = importProfile(exportProfile(p));
    expect(back.ok).to.equal(true);
    if (back.ok) expect(back.profile).to.deep.equal(p);
    expect(importProfile('{nope').ok).to.equal(false);
    const bad = validateProfile({ format: 'dcpower-jupiter-profile', version: 1, vendor: [{ key: 'x', oid: '1.3.abc', type: 'gauge' }, { key: 'x', oid: '', type: 'what' }] });
    expect(bad.ok).to.equal(false);
    if (!bad.ok) {
      expect(bad.errors.join('\n')).to.match(/not a numeric OID/);
      expect(bad.errors.join('\n')).to.match(/type must be/);
    }
    expect(validateProfile({ format: 'other', version: 1, vendor: [] }).ok).to.equal(false);
    expect(validateProfile(null).ok).to.equal(false);
  });

  it('decodes a single row: flag values outside the polarity are invalid', () => {
    const r: ProfileRow = { key: 'x', oid: '1.2.3.0', op: 'get', type: 'flag', scale: 1, offset: 0, signed: false, unit: '', sentinel: [], verified: false, alarmValue: 0, clearValue: 1 };
    expect(decodeRow(r, vb('1.2.3.0', INTEGER, 0))).to.deep.equal({ kind: 'value', value: 1 });
    expect(decodeRow(r, vb('1.2.3.0', INTEGER, 1))).to.deep.equal({ kind: 'value', value: 0 });
    expect(decodeRow(r, vb('1.2.3.0', INTEGER, 7))).to.deep.equal({ kind: 'invalid' });
    expect(decodeRow(r, missing('1.2.3.0'))).to.deep.equal({ kind: 'unsupported' });
  });
});
