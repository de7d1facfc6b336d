/**
 * The device schemas (nodes/<device>/schema.ts) and their lookups (lib/schema.ts): every entry complete in both
 * languages, ranges and register mappings only where they mean something, the key sets equal to the reading types,
 * and `msg.units` exactly what the nodes sent before the schemas existed.
 */
import { expect } from 'chai';
import { describe as describeKey, entryAt, LANGUAGES, rangeOf, rangeTable, schemaPaths, servedKeys, unitsOf, type DeviceSchema, type KeySchema } from '../../lib/schema';
import { BACS_SCHEMA } from '../../nodes/bacs/schema';
import { bacsUnits, moduleUnits, type BacsReading } from '../../nodes/bacs/settings';
import type { ModuleReading, StringReading } from '../../nodes/bacs/registers';
import { DEVICE_SCHEMAS, schemaOfKind } from '../../nodes/device-schemas';
import { JK_UNITS } from '../../nodes/jk-bms/messages';
import type { JkPayload } from '../../nodes/jk-bms/messages';
import { JK_SCHEMA } from '../../nodes/jk-bms/schema';
import { JUPITER_SCHEMA } from '../../nodes/jupiter-hvdc/schema';
import { KIND_KEYS, keySpec } from '../../nodes/plc-bridge/keys';
import { valueAt } from '../../nodes/plc-bridge/map';

const SCHEMAS: readonly DeviceSchema[] = [JK_SCHEMA, BACS_SCHEMA, JUPITER_SCHEMA];
const NUMERIC = new Set<KeySchema['type']>(['number', 'integer', 'number[]', 'integer[]']);

/** every key of a type, as the compiler checks it: a key added to the type and not here fails the build */
type KeysOf<T> = { readonly [K in keyof Required<T>]: true };
const JK_READING_KEYS: KeysOf<JkPayload> = {
  cellVoltages: true, cellResistances: true, cellMin: true, cellMax: true, cellDelta: true, cellAverage: true, voltage: true,
  current: true, power: true, soc: true, soh: true, remainingCapacity: true, nominalCapacity: true, cycleCapacity: true,
  cycles: true, mosTemperature: true, temperatures: true, chargeEnabled: true, dischargeEnabled: true, balancerEnabled: true,
  balancing: true, balanceCurrent: true, alarms: true, cellCount: true, cellMinIndex: true, cellMaxIndex: true, heating: true,
  precharging: true, runtime: true, temperatureProbes: true, temperatureSensorCount: true, heaterCurrent: true,
  emergencyCountdown: true, emergency: true, smartSleepCountdown: true, chargeStatus: true, chargeStatusTime: true, dryContact1: true,
  dryContact2: true, batteryType: true, logEntryCount: true,
  // what the pack's settings frames add (issue 15)
  settings: true, switches: true,
};
const BACS_READING_KEYS: KeysOf<BacsReading> = {
  status: true, statusWord: true, statusUnknownBits: true, batteryStatusWord: true, batteryStatusBits: true, alarmFlagsWord: true,
  alarmFlagBits: true, stringCount: true, moduleCount: true, strings: true, modules: true, moduleTemplateVerified: true, moduleSource: true,
};
const STRING_KEYS: KeysOf<StringReading> = { index: true, current: true, voltage: true, averageVoltage: true, rippleCurrent: true };
const MODULE_KEYS: KeysOf<ModuleReading> = {
  id: true, string: true, position: true, voltage: true, temperature: true, resistance: true, equalizing: true, equalizingLevel: true,
  state: true, stateCode: true, soc: true, available: true,
};

function entries(schema: DeviceSchema): Array<[string, KeySchema]> {
  return schemaPaths(schema).map(({ path, entry }) => [path, entry]);
}

describe('device schemas', () => {
  for (const schema of SCHEMAS) {
    describe(schema.node, () => {
      it('labels and describes every key and field in every language', () => {
        for (const [path, e] of entries(schema)) {
          for (const lang of LANGUAGES) {
            expect(e.label[lang].trim(), `${path} label ${lang}`).to.not.equal('');
            expect(e.description[lang].trim(), `${path} description ${lang}`).to.not.equal('');
            // short enough for a dashboard tile or a column header
            expect(e.label[lang].length, `${path} label ${lang}`).to.be.at.most(20);
          }
        }
      });

      it('gives ranges and precision to numbers only, with min below max and derived keys that exist', () => {
        for (const [path, e] of entries(schema)) {
          if (e.range) {
            expect(NUMERIC.has(e.type), `${path} has a range`).to.equal(true);
            expect(e.range.min, path).to.be.below(e.range.max);
            for (const from of e.range.derivedFrom ?? []) expect(schema.keys, `${path} derived from ${from}`).to.have.property(from);
          }
          if (e.type === 'number' || e.type === 'number[]') expect(e.precision, `${path} precision`).to.be.a('number');
        }
      });

      it('describes arrays of objects by their fields, records by their values, enumerations on strings only', () => {
        for (const [path, e] of entries(schema)) {
          expect(e.fields !== undefined, `${path} fields`).to.equal(e.type === 'object[]' || e.type === 'object');
          expect(e.of !== undefined, `${path} of`).to.equal(e.type === 'record');
          if (e.values) expect(['string', 'string[]'].includes(e.type) || (e.type === 'record' && e.of === 'string'), `${path} values`).to.equal(true);
        }
      });

      it('serves every register mapping exactly once, in registerOrder', () => {
        const mapped = entries(schema).filter(([, e]) => e.register);
        const served = servedKeys(schema);
        expect(served.length).to.equal(mapped.length);
        expect(new Set(served.map((s) => s.key)).size).to.equal(served.length);
        for (const [path, e] of mapped) expect(['number', 'integer', 'boolean', 'number[]', 'integer[]', 'record'].includes(e.type), `${path} ${e.type}`).to.equal(true);
      });
    });
  }

  it('has exactly the keys of the reading types', () => {
    expect(Object.keys(JK_SCHEMA.keys).sort()).to.deep.equal(Object.keys(JK_READING_KEYS).sort());
    expect(Object.keys(BACS_SCHEMA.keys).sort()).to.deep.equal(Object.keys(BACS_READING_KEYS).sort());
    expect(Object.keys(BACS_SCHEMA.keys.strings.fields ?? {}).sort()).to.deep.equal(Object.keys(STRING_KEYS).sort());
    expect(Object.keys(BACS_SCHEMA.keys.modules.fields ?? {}).sort()).to.deep.equal(Object.keys(MODULE_KEYS).sort());
  });

  it('gives msg.units exactly the tables the nodes carried before the schemas', () => {
    expect(JK_UNITS).to.deep.equal({
      cellVoltages: 'V', cellResistances: 'mΩ', cellMin: 'V', cellMax: 'V', cellDelta: 'V', cellAverage: 'V', voltage: 'V', current: 'A',
      power: 'W', soc: '%', soh: '%', remainingCapacity: 'Ah', nominalCapacity: 'Ah', cycleCapacity: 'Ah', mosTemperature: '°C',
      temperatures: '°C', balanceCurrent: 'A', runtime: 's',
      // the JK-PB values the peers publish (issue 15)
      heaterCurrent: 'A', emergencyCountdown: 's', smartSleepCountdown: 's', chargeStatusTime: 's',
    });
    // the Jupiter node's former UNITS, and the minutes that had no unit before; the envelope keeps only the payload's
    // top-level keys, so `rectifiers.current` never shows
    const { 'rectifiers.current': rectifierCurrent, ...jupiter } = unitsOf(JUPITER_SCHEMA);
    expect(rectifierCurrent).to.equal('A');
    expect(jupiter).to.deep.equal({
      dcOutputVoltage: 'V', loadVoltage: 'V', batteryVoltage: 'V', batteryCurrent: 'A', soc: '%', batteryTemperature: '°C',
      acInputVoltage: 'V', acInputFrequency: 'Hz', cellVoltages: 'V', cellMin: 'V', cellMax: 'V', cellDelta: 'V', secondsOnBattery: 's',
      estimatedMinutesRemaining: 'min', outputLoad: '%',
    });
    expect(bacsUnits()).to.deep.equal({
      'strings.current': 'A', 'strings.voltage': 'V', 'strings.averageVoltage': 'V', 'strings.rippleCurrent': 'A', 'modules.voltage': 'V',
      'modules.temperature': '°C', 'modules.resistance': 'mΩ', 'modules.equalizing': '%', 'modules.soc': '%',
    });
    expect(moduleUnits({ id: 3, string: 1, position: 3, voltage: 13.5, state: 'ok', available: true })).to.deep.equal({ voltage: 'V' });
  });

  it('looks keys up: units of a reading, ranges, texts, the entry at a place in a reading', () => {
    expect(unitsOf(JK_SCHEMA, { voltage: 53, cycles: 4, chargeEnabled: true, custom: 1 })).to.deep.equal({ voltage: 'V' });
    expect(rangeOf(JK_SCHEMA, 'cellVoltages')).to.deep.equal({ min: 0, max: 5, critical: true, unit: 'V' });
    expect(rangeOf(BACS_SCHEMA, 'modules[*].resistance')).to.deep.equal({ min: 0, max: 500, unit: 'mΩ' });
    expect(rangeOf(BACS_SCHEMA, 'modules.resistance')).to.deep.equal({ min: 0, max: 500, unit: 'mΩ' });
    expect(rangeOf(JK_SCHEMA, 'chargeEnabled')).to.equal(undefined);
    expect(describeKey(JK_SCHEMA, 'soc', 'en-US', 'label')).to.equal('SOC');
    expect(describeKey(BACS_SCHEMA, 'modules.voltage', 'zh-CN', 'label')).to.equal('电池块电压');
    expect(describeKey(JK_SCHEMA, 'unknownKey', 'en-US')).to.equal('unknownKey');
    expect(entryAt(JK_SCHEMA, ['cellVoltages', 3])?.unit).to.equal('V');
    expect(entryAt(BACS_SCHEMA, ['strings', 0, 'current'])?.unit).to.equal('A');
    expect(entryAt(JUPITER_SCHEMA, ['contacts', '2'])?.of).to.equal('boolean');
    expect(entryAt(JUPITER_SCHEMA, ['contacts', '2', 'x'])).to.equal(undefined);
    expect(entryAt(BACS_SCHEMA, ['voltage'])).to.equal(undefined);
  });

  it('describes one object of named fields (a device\'s settings) with paths, units and ranges of its own', () => {
    const t = { 'en-US': 'x', 'zh-CN': 'x' };
    const schema: DeviceSchema = {
      node: 'x',
      keys: {
        settings: { type: 'object', unit: '', quantity: 'text', category: 'config', label: t, description: t, fields: { cellOvp: { type: 'number', unit: 'V', quantity: 'voltage', category: 'config', precision: 3, range: { min: 1, max: 5 }, label: t, description: t } } },
      },
      registerOrder: [],
    };
    expect(Object.keys(rangeTable(schema))).to.deep.equal(['settings.cellOvp']);
    expect(unitsOf(schema)).to.deep.equal({ 'settings.cellOvp': 'V' });
    expect(entryAt(schema, ['settings', 'cellOvp'])?.unit).to.equal('V');
    expect(rangeOf(schema, 'settings.cellOvp')).to.deep.equal({ min: 1, max: 5, unit: 'V' });
  });

  it('keeps the range order the plausibility check reports bad keys in', () => {
    expect(Object.keys(rangeTable(JK_SCHEMA)).slice(0, 3)).to.deep.equal(['cellVoltages[*]', 'cellMin', 'cellMax']);
    expect(Object.keys(rangeTable(BACS_SCHEMA))).to.deep.equal([
      'stringCount', 'moduleCount', 'strings[*].current', 'strings[*].voltage', 'strings[*].averageVoltage', 'strings[*].rippleCurrent',
      'modules[*].voltage', 'modules[*].temperature', 'modules[*].resistance', 'modules[*].equalizing', 'modules[*].soc',
    ]);
  });

  it('gives the PLC bridge its key lists in register order, then the bit fields', () => {
    expect(KIND_KEYS['jk-bms'].map((k) => k.key)).to.deep.equal([...JK_SCHEMA.registerOrder, 'alarmFlags']);
    expect(KIND_KEYS.bacs.map((k) => k.key)).to.deep.equal([...BACS_SCHEMA.registerOrder, 'statusFlags', 'batteryStatusBits', 'alarmFlagBits']);
    expect(KIND_KEYS['jupiter-hvdc'].map((k) => k.key)).to.deep.equal(JUPITER_SCHEMA.registerOrder);
    expect(keySpec('bacs', 'modules.voltage')).to.deep.equal({ key: 'modules.voltage', path: 'modules[*].voltage', unit: 'V', scale: 1000, format: 'uint16', count: 16, maxCount: 512 });
    expect(keySpec('jupiter-hvdc', 'contacts')).to.include({ path: 'contacts[*]', indexBase: 1 });
  });

  it('serves the Jupiter rectifier currents from where the node puts them (rectifiers[*].current)', () => {
    const spec = keySpec('jupiter-hvdc', 'rectifierCurrents');
    const payload = { rectifiers: [{ index: 1, ok: true, current: 12.5 }, { index: 2, ok: false, current: 0.4 }] };
    expect([0, 1].map((i) => valueAt(payload, spec?.path ?? '', i))).to.deep.equal([12.5, 0.4]);
  });

  it('finds the schema of every device kind of the envelope, and none for others', () => {
    expect(schemaOfKind('jk-balancer')).to.equal(JK_SCHEMA);
    expect(schemaOfKind('bacs')).to.equal(DEVICE_SCHEMAS.bacs);
    expect(schemaOfKind('custom')).to.equal(undefined);
    expect(schemaOfKind('toString')).to.equal(undefined);
  });
});
