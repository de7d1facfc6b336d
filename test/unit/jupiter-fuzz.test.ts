/**
 * The Jupiter profile decoding under hostile agents, and its plausibility ranges (nodes/jupiter-hvdc/schema.ts, screen.ts).
 * Random answers to the poll plan of random profiles (every layer, random scales, signedness, sentinels and
 * decimal-place OIDs; varbinds of every type, errors, garbage OIDs) through decodeUnit, and random JSON through
 * validateProfile: nothing may throw, every number is finite, and nothing out of range survives screenUnit.
 * Seeded and bounded in count and time.
 */
import { expect } from 'chai';
import type { SnmpVarbind } from '../../lib/snmp/types';
import {
  OID,
  answerFrom,
  decodeUnit,
  defaultProfile,
  pollPlan,
  validateProfile,
  type DecodedUnit,
  type JupiterProfile,
} from '../../nodes/jupiter-hvdc/profile';
import { JUPITER_RANGES } from '../../nodes/jupiter-hvdc/schema';
import { screenUnit } from '../../nodes/jupiter-hvdc/screen';
import { SIM_OIDS } from '../../nodes/jupiter-hvdc/simulator';
import { screenReading } from '../../lib/plausibility';
import { seededRandom as rng, allFinite } from '../helpers/fuzz';

/** What went out after the check: values and rectifier currents, which the ranges must all accept. */
function leftOutOfRange(d: DecodedUnit): string[] {
  return screenReading({ ...d.values, ...(d.rectifiers ? { rectifiers: d.rectifiers } : {}) }, JUPITER_RANGES).badKeys;
}

const SIM_VALUE_OIDS = Object.values(SIM_OIDS).filter((o) => o.endsWith('.0'));

function randomProfile(rand: () => number): JupiterProfile {
  const p = defaultProfile();
  p.upsMib = rand() < 0.8;
  p.entitySensor = rand() < 0.7 ? 'auto' : 'off';
  p.vendor = p.vendor.map((r) => {
    if (rand() < 0.5) return r;
    const walk = r.op === 'walk';
    return {
      ...r,
      oid: walk ? `${SIM_OIDS.rectifierEntry}.${2 + Math.floor(rand() * 3)}` : SIM_VALUE_OIDS[Math.floor(rand() * SIM_VALUE_OIDS.length)],
      scale: [0.1, 0.001, 1, 1e6, -1, 1e300][Math.floor(rand() * 6)],
      offset: rand() < 0.8 ? 0 : -273.15,
      signed: rand() < 0.5,
      sentinel: rand() < 0.3 ? [2147483647, -999999] : [],
      ...(rand() < 0.2 ? { scaleFromOid: SIM_OIDS.rectifierCount } : {}),
    };
  });
  p.entityMap = rand() < 0.5 ? [{ key: 'loadVoltage', sensor: 'LOAD output voltage' }, { key: 'batteryCurrent', sensor: '4' }] : [];
  return p;
}

function randomValue(rand: () => number): Pick<SnmpVarbind, 'type' | 'value'> {
  const kind = Math.floor(rand() * 10);
  switch (kind) {
    case 0:
      return { type: 2, value: Math.floor(rand() * 2 ** 32) - 2 ** 31 };
    case 1:
      return { type: 2, value: Math.floor(rand() * 3000) };
    case 2:
      return { type: 65, value: Math.floor(rand() * 2 ** 32) };
    case 3:
      return { type: 70, value: BigInt(Math.floor(rand() * 2 ** 53)) * BigInt(1 + Math.floor(rand() * 2 ** 11)) };
    case 4:
      return { type: 4, value: Buffer.from(Array.from({ length: Math.floor(rand() * 9) }, () => Math.floor(rand() * 256))) };
    case 5:
      return { type: 4, value: ['240', '1e308', ' -7.5 ', '179' + '0'.repeat(306), 'abc', ''][Math.floor(rand() * 6)] };
    case 6:
      return { type: 6, value: `${OID.upsWellKnownAlarms}.${Math.floor(rand() * 30)}` };
    case 7:
      return { type: 5, value: null };
    case 8:
      return { type: 2, value: [NaN, Infinity, -Infinity, 1.79e308][Math.floor(rand() * 4)] };
    default:
      return { type: 1, value: rand() < 0.5 };
  }
}

function randomAnswer(rand: () => number, profile: JupiterProfile): ReturnType<typeof answerFrom> {
  const plan = pollPlan(profile, { entitySensor: true });
  const gets: SnmpVarbind[] = plan.gets
    .filter(() => rand() < 0.9)
    .map((oid) => (rand() < 0.08 ? { oid, type: 128, value: null, error: 'noSuchObject' as const } : { oid: rand() < 0.1 ? `.${oid}` : oid, ...randomValue(rand) }));
  const walks: Array<[string, SnmpVarbind[]]> = plan.walks.map((base) => {
    const rows: SnmpVarbind[] = [];
    const n = Math.floor(rand() * 12);
    for (let i = 0; i < n; i++) {
      const r = rand();
      const oid =
        base === OID.entPhySensorEntry
          ? `${base}.${1 + Math.floor(rand() * 8)}.${1 + Math.floor(rand() * 6)}`
          : r < 0.8
            ? `${base}.${Math.floor(rand() * 6)}`
            : r < 0.9
              ? `${base}`
              : `${base}x.${i}`;
      rows.push({ oid, ...randomValue(rand) });
    }
    return [base, rows];
  });
  return answerFrom(gets, walks);
}

describe('Jupiter profile decoding under hostile agents, and its ranges', function () {
  this.timeout(10_000);

  it('a 1.79e308 V battery voltage is dropped, named, listed as invalid, and never reaches an alarm threshold', () => {
    const decoded = decodeUnit(defaultProfile(), answerFrom([{ oid: OID.upsBatteryVoltage, type: 2, value: 2345 }, { oid: OID.upsEstimatedChargeRemaining, type: 2, value: 87 }], []));
    const hostile: DecodedUnit = { ...decoded, values: { ...decoded.values, batteryVoltage: 1.79e308, dcOutputVoltage: 240 } };
    const s = screenUnit(hostile);
    expect(s.badKeys).to.deep.equal(['batteryVoltage']);
    expect(s.values).to.deep.equal({ dcOutputVoltage: 240, soc: 87 });
    expect(s.invalid).to.include('batteryVoltage');
    expect(s.rejected).to.equal(undefined);
    // untouched when all is plausible: the same object comes back
    expect(screenUnit(decoded)).to.equal(decoded);
  });

  it('an answer of mostly nonsense keeps no value, only its flags; the sensors it came from go too', () => {
    const decoded = decodeUnit(defaultProfile(), answerFrom([], []));
    const hostile: DecodedUnit = {
      ...decoded,
      values: { batteryVoltage: 9e9, soc: 255, loadVoltage: -4, onBattery: false },
      sensors: { 'LOAD output voltage': -4, other: 1 },
      flagAlarms: { rectifier_fault: true },
      rectifiers: [{ index: 1, ok: true, current: 3 }],
    };
    const profile = defaultProfile();
    profile.entityMap = [{ key: 'loadVoltage', sensor: 'LOAD output voltage' }];
    const s = screenUnit(hostile, profile);
    expect(s.rejected).to.equal(true);
    expect(s.values).to.deep.equal({});
    expect(s.rectifiers).to.deep.equal([{ index: 1, ok: true }]);
    expect(s.flagAlarms).to.deep.equal({ rectifier_fault: true });
    expect(s.sensors).to.deep.equal({ other: 1 });
  });

  it('random answers to random profiles: no throw, finite numbers, nothing out of range after the check', () => {
    const rand = rng(0x7e5);
    const started = Date.now();
    let flagged = 0;
    for (let i = 0; i < 800; i++) {
      const profile = randomProfile(rand);
      const answer = randomAnswer(rand, profile);
      const decoded = decodeUnit(profile, answer);
      allFinite(decoded.values, `case ${i} values`);
      allFinite(decoded.rectifiers, `case ${i} rectifiers`);
      allFinite(decoded.sensors, `case ${i} sensors`);
      const checked = screenUnit(decoded, profile);
      if (checked.badKeys) flagged++;
      const left = leftOutOfRange(checked);
      if (left.length > 0) throw new Error(`case ${i}: ${left.join(', ')} left in`);
    }
    expect(flagged).to.be.greaterThan(50);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });

  it('random JSON through validateProfile: a profile or a list of errors, never a throw', () => {
    const rand = rng(0x9f1);
    const started = Date.now();
    const atoms: unknown[] = [null, 0, -1, 1e308, NaN, '', 'x', '1.3.6.1.4.1.32473.240.1.1.0', 'gauge', 'walk', true, [], {}];
    const randomJson = (depth: number): unknown => {
      if (depth > 3 || rand() < 0.3) return atoms[Math.floor(rand() * atoms.length)];
      if (rand() < 0.4) return Array.from({ length: Math.floor(rand() * 4) }, () => randomJson(depth + 1));
      const keys = ['format', 'version', 'vendor', 'entityMap', 'traps', 'key', 'oid', 'type', 'op', 'scale', 'sentinel', 'enumMap', 'bit', 'alarmValue', 'clearValue', 'scaleFromOid', 'sensor', 'trapOid', 'alarm', 'action', '__proto__', 'constructor'];
      const o: { [k: string]: unknown } = {};
      for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) o[keys[Math.floor(rand() * keys.length)]] = randomJson(depth + 1);
      return o;
    };
    let valid = 0;
    for (let i = 0; i < 3000; i++) {
      const input = rand() < 0.3 ? { ...defaultProfile(), vendor: [randomJson(2), ...defaultProfile().vendor.slice(0, 3)] } : randomJson(0);
      const r = validateProfile(input);
      if (r.ok) {
        valid++;
        // a profile that validates can be polled
        pollPlan(r.profile, { entitySensor: true });
      } else if (!Array.isArray(r.errors) || r.errors.length === 0) throw new Error(`case ${i}: invalid without a reason`);
    }
    expect(valid).to.be.greaterThan(0);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });
});
