/** Settings of the bacs node from its editor properties, the reading it sends, and the units of that reading. */
import type { Unit } from '../../lib/wire/envelope';
import { unitsOf } from '../../lib/schema';
import {
  ModuleReading,
  ModuleTemplate,
  normalizeTemplate,
  StringReading,
  StringScales,
  templateProblem,
} from './registers';
import { BACS_SCHEMA } from './schema';
import { configNumber } from '../../lib/config-number';

export interface BacsSettings {
  deviceName: string;
  topicPrefix: string;
  intervalMs: number;
  staleMs: number;
  output: 'envelope' | 'perModule' | 'perString';
  onlyOnChange: boolean;
  deadbands: { voltage: number; temperature: number; resistance: number; current: number };
  countSource: 'register' | 'fixed';
  fixedStrings: number;
  fixedModules: number;
  stringSizes: number[] | undefined;
  moduleSource: 'modbus' | 'snmp' | 'none';
  template: ModuleTemplate;
  templateProblem: string | undefined;
  stringScales: StringScales;
  snmpTarget: string;
}

/** the dialog's numbers, read by the one rule of lib/device/config-number.ts */
function number(value: unknown, fallback: number, min: number, max: number): number {
  return configNumber(value, { fallback, min, max });
}

export function bacsSettings(config: { [key: string]: unknown }): BacsSettings {
  const intervalMs = Math.round(number(config.interval, 10, 0.2, 86400) * 1000);
  const sizesText = typeof config.stringSizes === 'string' ? config.stringSizes.trim() : '';
  const sizes = sizesText === '' ? undefined : sizesText.split(/[\s,;]+/).map(Number);
  const scalesIn = (typeof config.stringScales === 'object' && config.stringScales !== null ? config.stringScales : {}) as { [key: string]: unknown };
  const stringScales: StringScales = {};
  const scaleProps = { current: 'scaleCurrent', voltage: 'scaleVoltage', averageVoltage: 'scaleAverageVoltage', rippleCurrent: 'scaleRippleCurrent' } as const;
  for (const [key, prop] of Object.entries(scaleProps) as Array<[keyof StringScales, string]>) {
    const s = number(config[prop] ?? scalesIn[key], 1, -1e6, 1e6);
    stringScales[key] = s === 0 ? 1 : s;
  }
  let template: unknown = config.moduleTemplate;
  let problem: string | undefined;
  if (typeof template === 'string') {
    if (template.trim() === '') template = undefined;
    else {
      try {
        template = JSON.parse(template) as unknown;
      } catch {
        problem = 'module template is not valid JSON';
        template = undefined;
      }
    }
  }
  if (problem === undefined && template !== undefined) problem = templateProblem(template);
  const source = config.moduleSource === 'snmp' || config.moduleSource === 'none' ? config.moduleSource : 'modbus';
  return {
    deviceName: typeof config.deviceName === 'string' ? config.deviceName.trim() : '',
    topicPrefix: typeof config.topicPrefix === 'string' ? config.topicPrefix.trim() : 'bacs',
    intervalMs,
    staleMs: Math.round(number(config.staleTime, (intervalMs / 1000) * 3, 0, 864000) * 1000),
    output: config.output === 'perModule' || config.output === 'perString' ? config.output : 'envelope',
    onlyOnChange: config.onlyOnChange === true || config.onlyOnChange === 'true',
    deadbands: {
      voltage: number(config.deadbandVoltage, 0, 0, 1000),
      temperature: number(config.deadbandTemperature, 0, 0, 1000),
      resistance: number(config.deadbandResistance, 0, 0, 1000),
      current: number(config.deadbandCurrent, 0, 0, 100000),
    },
    countSource: config.countSource === 'fixed' ? 'fixed' : 'register',
    fixedStrings: Math.round(number(config.fixedStrings, 1, 0, 64)),
    fixedModules: Math.round(number(config.fixedModules, 0, 0, 512)),
    stringSizes: sizes && sizes.every((n) => Number.isInteger(n) && n >= 0) ? sizes : undefined,
    moduleSource: source,
    template: normalizeTemplate(problem === undefined ? (template as Partial<ModuleTemplate> | undefined) : undefined),
    templateProblem: problem,
    stringScales,
    snmpTarget: typeof config.snmpTarget === 'string' ? config.snmpTarget.trim() : '',
  };
}

/** The whole reading of one poll, as payload. */
export interface BacsReading {
  status: string[];
  statusWord: number;
  statusUnknownBits?: number[];
  batteryStatusWord?: number;
  batteryStatusBits?: number[];
  alarmFlagsWord?: number;
  alarmFlagBits?: number[];
  stringCount?: number;
  moduleCount?: number;
  strings?: StringReading[];
  modules?: ModuleReading[];
  /** false while the module block comes from the unverified default template */
  moduleTemplateVerified?: boolean;
  /** where module data came from */
  moduleSource?: 'modbus' | 'snmp';
}

/** Units of the envelope (schema.ts): nested keys as `strings.voltage`, `modules.resistance`; no top-level key has one. */
export function bacsUnits(): { [key: string]: Unit } {
  return unitsOf(BACS_SCHEMA);
}

/** Units of one module's own message. */
export function moduleUnits(m: ModuleReading): { [key: string]: Unit } {
  return unitsOf(BACS_SCHEMA, m, 'modules');
}

/**
 * String values from the SNMP string table (0.01 V resolution) replace the Modbus ones for the total and average
 * voltage. Column .2 is left out: the MIB calls it power, the Checkmk plugin shows it as current (unverified).
 */
export function mergeStrings(modbus: StringReading[], snmp: StringReading[]): StringReading[] {
  const out = modbus.map((s) => ({ ...s }));
  for (const s of snmp) {
    let existing = out.find((o) => o.index === s.index);
    if (!existing) out.push((existing = { index: s.index }));
    if (s.voltage !== undefined) existing.voltage = s.voltage;
    if (s.averageVoltage !== undefined) existing.averageVoltage = s.averageVoltage;
  }
  return out.sort((a, b) => a.index - b.index);
}
