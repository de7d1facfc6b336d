/**
 * The BACS decoders under hostile input, and their plausibility ranges against the simulated controller. Random
 * register images (biased to 0x0000, 0x7FFF, 0x8000, 0xFFFF) through the register decoders with random valid
 * templates, and random varbinds through the SNMP table decoders: nothing may throw, every number that comes out
 * is finite, and after the ranges of nodes/bacs/schema.ts nothing out of range is left. Seeded and bounded in count and time.
 */
import { expect } from 'chai';
import { RegisterSnapshot } from '../../lib/wire/modbus-planner';
import { screenReading } from '../../lib/plausibility';
import type { SnmpVarbind } from '../../lib/snmp/types';
import { BACS_RANGES } from '../../nodes/bacs/schema';
import {
  decodeGeneral,
  decodeModule,
  decodeString,
  DEFAULT_MODULE_TEMPLATE,
  MODULE_UNITS,
  ModuleFieldKey,
  ModuleTemplate,
  normalizeTemplate,
  pollRanges,
  stringSizes,
  templateProblem,
} from '../../nodes/bacs/registers';
import { BacsSimulator } from '../../nodes/bacs/simulator';
import { BACS_MODULE_TABLE, BACS_STRING_TABLE, decodeModuleTable, decodeStringTable } from '../../nodes/bacs/snmp';
import { seededRandom as rng, allFinite } from '../helpers/fuzz';

interface Reading {
  stringCount?: number;
  moduleCount?: number;
  strings: ReturnType<typeof decodeString>[];
  modules: ReturnType<typeof decodeModule>[];
}

function readAll(snapshot: RegisterSnapshot, template: ModuleTemplate, strings: number, modules: number): Reading {
  const general = decodeGeneral(snapshot);
  const sizes = stringSizes(modules, strings);
  const out: Reading = { stringCount: general?.stringCount, moduleCount: general?.moduleCount, strings: [], modules: [] };
  for (let s = 1; s <= Math.min(10, strings); s++) out.strings.push(decodeString(snapshot, s));
  for (let id = 1; id <= modules; id++) out.modules.push(decodeModule(snapshot, template, id, sizes));
  return out;
}

function randomTemplate(rand: () => number): ModuleTemplate {
  const keys = Object.keys(MODULE_UNITS) as ModuleFieldKey[];
  const stride = 1 + Math.floor(rand() * 8);
  const fields = keys
    .filter(() => rand() < 0.7)
    .map((key) => ({ key, offset: Math.floor(rand() * stride), type: rand() < 0.5 ? ('U16' as const) : ('S16' as const), scale: [0.01, 0.1, 1, 10, -0.1, 1e-6][Math.floor(rand() * 6)] }));
  const t = { base: Math.floor(rand() * 60000), stride, fields, missingRaw: rand() < 0.5 ? 0xffff : Math.floor(rand() * 65536), stateCodes: {}, verified: false };
  return templateProblem(t) === undefined ? normalizeTemplate(t) : DEFAULT_MODULE_TEMPLATE;
}

function register(rand: () => number): number {
  const r = rand();
  if (r < 0.1) return 0;
  if (r < 0.2) return 0xffff;
  if (r < 0.25) return 0x8000;
  if (r < 0.3) return 0x7fff;
  return Math.floor(rand() * 65536);
}

describe('BACS decoders under hostile input, and their ranges', function () {
  this.timeout(10_000);

  it('the simulated controller passes the ranges untouched through float, discharge and recharge', () => {
    const sim = new BacsSimulator({ strings: 4, modules: 80, port: 0, tickMs: 0, seed: 3, cycleSeconds: 600 });
    for (const phase of ['float', 'discharge', 'recharge'] as const) {
      sim.setPhase(phase);
      for (let i = 0; i < 12; i++) {
        sim.step(50);
        const snapshot = new RegisterSnapshot();
        for (const r of pollRanges(DEFAULT_MODULE_TEMPLATE, 4, 80)) {
          const values: number[] = [];
          for (let a = r.address; a < r.address + r.count; a++) values.push(sim.register(a) ?? 0);
          snapshot.set(r.address, values);
        }
        const reading = readAll(snapshot, DEFAULT_MODULE_TEMPLATE, 4, 80);
        expect(reading.modules.every((m) => m.voltage !== undefined)).to.equal(true);
        const s = screenReading(reading, BACS_RANGES);
        expect(s.badKeys, `${phase} step ${i}`).to.deep.equal([]);
      }
    }
  });

  it('random register images through decodeGeneral/decodeString/decodeModule: no throw, finite values, nothing out of range survives', () => {
    const rand = rng(0xbac5);
    const started = Date.now();
    let flagged = 0;
    let rejected = 0;
    for (let i = 0; i < 1000; i++) {
      const template = randomTemplate(rand);
      const strings = Math.floor(rand() * 12);
      const modules = Math.floor(rand() * 40);
      const snapshot = new RegisterSnapshot();
      for (const r of pollRanges(template, strings, modules)) {
        if (rand() < 0.05) continue; // a block the controller refused
        snapshot.set(r.address, Array.from({ length: r.count }, () => register(rand)));
      }
      const reading = readAll(snapshot, template, strings, modules);
      allFinite(reading, `case ${i}`);
      const s = screenReading(reading, BACS_RANGES);
      if (s.rejected) rejected++;
      else if (s.badKeys.length > 0) flagged++;
      const again = screenReading(s.reading, BACS_RANGES);
      if (again.badKeys.length > 0) throw new Error(`case ${i}: ${again.badKeys.join(', ')} left in`);
    }
    expect(flagged + rejected).to.be.greaterThan(100);
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });

  it('random varbinds through the SNMP table decoders: no throw, finite values', () => {
    const rand = rng(0x5a9);
    const started = Date.now();
    const values: Array<() => SnmpVarbind['value']> = [
      () => Math.floor(rand() * 2 ** 31) * (rand() < 0.5 ? -1 : 1),
      () => [NaN, Infinity, -Infinity, 1.79e308, -0][Math.floor(rand() * 5)],
      () => BigInt(Math.floor(rand() * 2 ** 53)) * BigInt(1 + Math.floor(rand() * 4096)),
      () => [' 12 ', '1e400', '-', '', 'x', '0x10', '655350'][Math.floor(rand() * 7)],
      () => Buffer.from([Math.floor(rand() * 256)]),
      () => null,
      () => rand() < 0.5,
    ];
    const oid = (): string => {
      const base = rand() < 0.5 ? BACS_MODULE_TABLE : BACS_STRING_TABLE;
      const r = rand();
      if (r < 0.7) return `${base}.${1 + Math.floor(rand() * 7)}.${Math.floor(rand() * 50)}`;
      if (r < 0.8) return `.${base}.${Math.floor(rand() * 9)}.${Math.floor(rand() * 3)}.${Math.floor(rand() * 3)}`;
      if (r < 0.9) return `${base}.${rand() < 0.5 ? 'x' : ''}`;
      return `1.3.6.1.2.1.${Math.floor(rand() * 100)}`;
    };
    for (let i = 0; i < 1500; i++) {
      const varbinds: SnmpVarbind[] = Array.from({ length: Math.floor(rand() * 60) }, () => ({
        oid: oid(),
        type: 2,
        value: values[Math.floor(rand() * values.length)](),
        ...(rand() < 0.05 ? { error: 'noSuchInstance' as const } : {}),
      }));
      const sizes = stringSizes(Math.floor(rand() * 50), Math.floor(rand() * 5));
      const modules = decodeModuleTable(varbinds, sizes, DEFAULT_MODULE_TEMPLATE.stateCodes);
      const strings = decodeStringTable(varbinds);
      allFinite(modules, `case ${i} modules`);
      allFinite(strings, `case ${i} strings`);
      const s = screenReading({ modules, strings }, BACS_RANGES);
      const again = screenReading(s.reading, BACS_RANGES);
      if (again.badKeys.length > 0) throw new Error(`case ${i}: ${again.badKeys.join(', ')} left in`);
    }
    expect(Date.now() - started, 'a loose guard against a decoder gone quadratic').to.be.below(5000);
  });
});
