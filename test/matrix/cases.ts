/**
 * The alarm outcome matrix as data: for every rule of every preset, a raise case, a clear case and a quiet case,
 * each with the value it feeds, where that value comes from, and the simulator scenario that produces the same
 * outcome end to end where one exists. test/matrix/alarm-matrix.test.ts runs every case through the engine,
 * alarm-matrix-e2e.test.ts runs the end-to-end ones (simulator → device node → alarm-rules), and
 * scripts/alarm-matrix.js writes docs/alarm-matrix.md from this same data.
 *
 * Quiet cases are the devices' normal operating points: a preset that raises on them is a nuisance, a defect.
 */
import { PRESETS } from '../helpers/presets';
import { MONITOR_LIMITS, RESISTANCE_DRIFT } from '../../nodes/bacs/alarms';
import type { AlarmRuleConfig } from '../../lib/alarm-types';

export type SourceKind = 'manual' | 'sheet' | 'standard' | 'capture' | 'package';

export interface Source {
  kind: SourceKind;
  ref: string;
}

/** a scalar for scalar paths and state rules; an array for wildcard paths (one value per element) */
export type Input = number | string | readonly number[];

export interface Case {
  input: Input;
  /** per-element rules: the element (1-based) that must raise; no other element may */
  element?: number;
  what: string;
  source: Source;
  /** the simulator scenario that produces this outcome end to end */
  e2e?: string;
}

export interface RuleCases {
  preset: string;
  rule: string;
  raise: Case;
  /** fed after the raise case's input */
  clear: Case;
  quiet: Case;
}

const manual = (ref: string): Source => ({ kind: 'manual', ref });
const sheet = (ref: string): Source => ({ kind: 'sheet', ref });
const standard = (ref: string): Source => ({ kind: 'standard', ref });
const capture = (ref: string): Source => ({ kind: 'capture', ref });
const pkg = (ref: string): Source => ({ kind: 'package', ref });

// ------------------------------------------------------------------------------------------------------------
// Jupiter J540/J560 (docs/jupiter-hvdc.md §2): values the manual logs, and the unit floating at 241.5 V on mains

/** 62 cells floating at 241.5 V: 3.895 V average, ±12 mV as the simulator's unit 1 */
const FLOAT_CELLS = [3.883, 3.889, 3.895, 3.901, 3.907];
const JM = (ref: string): Source => manual(`Jupiter manual ${ref}`);
const MAINS = pkg('normal operation: unit floating at 241.5 V on mains, DC bus 240 V, AC 220 V (simulator `normal`)');

const flagCases = (alarmFlag: 0 | 1, scenario: string | undefined, what: string): Omit<RuleCases, 'preset' | 'rule'> => ({
  raise: { input: alarmFlag, what, source: JM(`§4.1–4.2: logged ${alarmFlag}.00 at raise`), ...(scenario ? { e2e: scenario } : {}) },
  clear: { input: 1 - alarmFlag, what: 'the flag returns', source: JM(`§4.1–4.2: logged ${1 - alarmFlag}.00 at end`), ...(scenario ? { e2e: 'normal' } : {}) },
  quiet: { input: 1 - alarmFlag, what: 'healthy unit', source: MAINS, e2e: 'normal' },
});

const JUPITER: Array<Omit<RuleCases, 'preset'>> = [
  {
    rule: 'load_output_undervoltage',
    raise: { input: 199.1, what: 'LOAD output below 200 V (discharge to 0 %)', source: JM('§4.1: "LOAD output below 200 V"'), e2e: 'discharge-to-low-voltage' },
    clear: { input: 204, what: 'back at the clear level', source: pkg('clear at 204 V: the manual states none'), e2e: 'normal' },
    quiet: { input: 239.6, what: 'LOAD output on mains', source: MAINS, e2e: 'normal' },
  },
  { rule: 'ac_breaker_open', ...flagCases(0, 'ac-breaker-open', 'AC input breaker opened') },
  { rule: 'load_breaker_open', ...flagCases(0, 'load-breaker-open', 'LOAD breaker opened') },
  {
    rule: 'dc_output_undervoltage',
    raise: { input: 203.5, what: 'DC output below 204 V (discharge)', source: JM('§4.2: "DC output below 204 V"'), e2e: 'discharge-to-low-voltage' },
    clear: { input: 208, what: 'back at the clear level', source: pkg('clear at 208 V: the manual states none'), e2e: 'normal' },
    quiet: { input: 240, what: 'DC bus on mains', source: MAINS, e2e: 'normal' },
  },
  {
    rule: 'network_interruption',
    raise: { input: 'comm_error', what: 'the unit stops answering SNMP', source: JM('§4.2: network interruption, logged 1.00'), e2e: 'unit-stopped' },
    clear: { input: 'good', what: 'the unit answers again', source: JM('§4.2: logged 0.00 at end'), e2e: 'normal' },
    quiet: { input: 'good', what: 'the unit answers', source: MAINS, e2e: 'normal' },
  },
  {
    rule: 'ac_interruption',
    raise: { input: 0, what: 'AC input 0 V (mains lost)', source: JM('§4.2: AC interruption logged 0.00 at raise'), e2e: 'ac-failure' },
    clear: { input: 220, what: 'mains back', source: pkg('clear at 100 V ("clearly non-zero"); the manual logs 398.90 at end'), e2e: 'normal' },
    quiet: { input: 220, what: 'AC input on mains (176–300 V)', source: MAINS, e2e: 'normal' },
  },
  { rule: 'battery_bms_fault', ...flagCases(0, 'bms-fault', 'the BMS reports a fault') },
  {
    rule: 'battery_undervoltage',
    raise: { input: [3.29, 3.31, 3.35], what: 'lowest cell below 3.300 V (discharge)', source: JM('§4.2: battery under-voltage logged 3300 mV'), e2e: 'discharge-to-low-voltage' },
    clear: { input: [3.4, 3.42, 3.45], what: 'lowest cell back at 3.400 V', source: pkg('clear at 3.400 V; the manual logs 4127 mV at end'), e2e: 'normal' },
    quiet: { input: FLOAT_CELLS, what: 'cells floating at 3.895 V', source: MAINS, e2e: 'normal' },
  },
  {
    rule: 'cell_voltage_difference',
    raise: { input: [3.72, 3.9, 4.07], what: 'cells 350 mV apart', source: JM('§4.2: "cell-to-cell difference above 300 mV"'), e2e: 'cell-imbalance' },
    clear: { input: [3.8, 3.9, 4.05], what: 'cells 250 mV apart', source: pkg('clear at 250 mV: the manual states none'), e2e: 'normal' },
    quiet: { input: FLOAT_CELLS, what: 'cells 24 mV apart on float', source: MAINS, e2e: 'normal' },
  },
  { rule: 'cell_voltage_difference_flag', ...flagCases(1, undefined, 'the unit logs the difference flag (rule off by default)') },
  { rule: 'rectifier_fault', ...flagCases(1, 'rectifier-fault', 'a rectifier module fails') },
  { rule: 'rectifier_comm_fault', ...flagCases(1, 'rectifier-comm-fault', 'a rectifier stops talking to the ERC') },
  {
    rule: 'cell_overvoltage',
    raise: { input: [4.2, 4.3, 4.325], what: 'highest cell at 4.325 V (over-charge)', source: JM('§4.2: "battery voltage above 4300 mV", logged 4325 mV'), e2e: 'overcharge' },
    clear: { input: [4.2, 4.22, 4.24], what: 'highest cell at 4.240 V', source: JM('§4.2: logged 4240 mV at end'), e2e: 'normal' },
    quiet: { input: FLOAT_CELLS, what: 'highest cell 3.907 V on float', source: MAINS, e2e: 'normal' },
  },
  { rule: 'battery_not_connected', ...flagCases(1, 'battery-disconnected', 'the battery is not connected') },
  { rule: 'rectifier_module_shutdown', ...flagCases(1, undefined, 'a rectifier shuts down (no simulator signal)') },
  { rule: 'overcharge_protection', ...flagCases(1, 'overcharge', 'the over-charge protection trips') },
];

// ------------------------------------------------------------------------------------------------------------
// JK BMS (docs/jk-bms-protocols.md §9): per chemistry, the pack's own protections and its normal points

interface JkPoints {
  preset: string;
  /** quiet point of the over-voltage rule: the chemistry's normal end of charge */
  full: number;
  fullSource: Source;
  nominal: number;
  ovp: [number, number];
  ovpSource: Source;
  uvp: [number, number];
  utp: [number, number];
}

const JK_POINTS: JkPoints[] = [
  {
    preset: 'jk-lifepo4', full: 3.45, fullSource: pkg('LiFePO4 pack charged to 3.45 V per cell'), nominal: 3.3,
    ovp: [3.67, 3.45], ovpSource: capture('JK-PB settings capture jk02-settings-01: OVP 3.65 V'), uvp: [2.69, 2.9], utp: [-1, 5],
  },
  {
    preset: 'jk-li-ion', full: 4.2, fullSource: pkg('NMC end of charge: 4.20 V per cell'), nominal: 3.7,
    ovp: [4.27, 4.15], ovpSource: pkg('OVP 4.25 V, above the 4.20 V end of charge'), uvp: [2.99, 3.2], utp: [-1, 5],
  },
  {
    preset: 'jk-lto', full: 2.7, fullSource: pkg('LTO end of charge: 2.70 V per cell'), nominal: 2.3,
    ovp: [2.82, 2.7], ovpSource: pkg('common LTO cell maximum 2.8 V'), uvp: [1.79, 2.0], utp: [-21, -15],
  },
];

const cellsAt = (v: number, last = v): number[] => [v, v, v, last];
const ROOM = pkg('pack at room temperature (25 °C)');

function jkCases(p: JkPoints): Array<Omit<RuleCases, 'preset'>> {
  const e2e = (s: string): { e2e?: string } => (p.preset === 'jk-lifepo4' ? { e2e: s } : {});
  return [
    {
      rule: `${p.preset}-cell-ovp`,
      raise: { input: cellsAt(p.full, p.ovp[0]), what: `one cell at ${p.ovp[0]} V`, source: p.ovpSource, ...e2e('cell-over-voltage') },
      clear: { input: cellsAt(p.ovp[1]), what: `all cells at OVPR ${p.ovp[1]} V`, source: manual('JK manual §9: clears once every cell is below OVPR'), ...e2e('normal') },
      quiet: { input: cellsAt(p.full), what: `pack fully charged, ${p.full} V per cell`, source: p.fullSource, ...(p.preset === 'jk-lto' ? {} : { e2e: 'full-charge' }) },
    },
    {
      rule: `${p.preset}-cell-uvp`,
      raise: { input: cellsAt(p.nominal, p.uvp[0]), what: `one cell at ${p.uvp[0]} V`, source: pkg('just below the preset UVP'), ...e2e('cell-under-voltage') },
      clear: { input: cellsAt(p.uvp[1]), what: `all cells at UVPR ${p.uvp[1]} V`, source: manual('JK manual §9: clears once every cell is above UVPR'), ...e2e('normal') },
      quiet: { input: cellsAt(p.nominal), what: `resting at ${p.nominal} V per cell`, source: pkg('nominal cell voltage of the chemistry') },
    },
    {
      rule: `${p.preset}-cell-delta`,
      raise: { input: 0.11, what: 'cells 110 mV apart', source: pkg('preset level 100 mV: the manuals give none'), ...e2e('cell-imbalance') },
      clear: { input: 0.05, what: 'cells 50 mV apart', source: pkg('clear at 50 mV'), ...e2e('normal') },
      quiet: { input: 0.005, what: 'balanced to the 5 mV trigger', source: manual('JK manual §9: balance trigger 5 mV recommended above 50 Ah') },
    },
    {
      rule: `${p.preset}-charge-otp`,
      raise: { input: [25, 46], what: 'a probe at 46 °C', source: pkg('preset charge OTP 45 °C: set your pack settings'), ...e2e('over-temperature') },
      clear: { input: [25, 40], what: 'back at 40 °C', source: manual('JK manual §9: below OTPR charging resumes'), ...e2e('normal') },
      quiet: { input: [25, 25.5], what: 'room temperature', source: ROOM, ...e2e('full-charge') },
    },
    {
      rule: `${p.preset}-charge-utp`,
      raise: { input: [p.utp[0], 10], what: `a probe at ${p.utp[0]} °C`, source: pkg(p.preset === 'jk-lto' ? 'LTO charges down to -20 °C' : 'no charging below 0 °C'), ...e2e('under-temperature') },
      clear: { input: [p.utp[1], 10], what: `back at ${p.utp[1]} °C`, source: manual('JK manual §9: above UTPR charging resumes'), ...e2e('normal') },
      quiet: { input: [25, 25.5], what: 'room temperature', source: ROOM, ...e2e('full-charge') },
    },
    {
      rule: `${p.preset}-discharge-otp`,
      raise: { input: [25, 61], what: 'a probe at 61 °C', source: pkg('conservative discharge OTP 60 °C'), ...e2e('over-temperature') },
      clear: { input: [25, 55], what: 'back at 55 °C', source: pkg('clear at 55 °C'), ...e2e('normal') },
      quiet: { input: [25, 25.5], what: 'room temperature', source: ROOM, ...e2e('full-charge') },
    },
    {
      rule: `${p.preset}-mos-otp`,
      raise: { input: 76, what: 'MOSFET at 76 °C', source: manual('JK manual §9: MOS OTP 75 °C, fixed at the factory'), ...e2e('mos-over-temperature') },
      clear: { input: 65, what: 'MOSFET at 65 °C', source: manual('JK manual §9: MOS OTPR 65 °C'), ...e2e('normal') },
      quiet: { input: 30, what: 'MOSFET at 30 °C', source: pkg('MOSFET a few K above room temperature'), ...e2e('full-charge') },
    },
  ];
}

// ------------------------------------------------------------------------------------------------------------
// BACS (docs/bacs.md): per monitor type, a string of four blocks with block 3 the one that changes

interface BacsPoints {
  key: string;
  /** block voltage on float and on boost (V) */
  float: number;
  boost: number;
  boostSource: Source;
  /** raise and clear inputs of the four voltage levels (block 3) */
  voltage: { highAlarm: [number, number]; highWarning: [number, number]; lowWarning: [number, number]; lowAlarm: [number, number] };
  /** a healthy string's resistances (mΩ) for the quiet cases, and its source */
  healthy: number[];
  healthySource: Source;
}

/** the product sheet's example table: every block OK between 20.65 and 21.70 mΩ at 100 % charge */
const SHEET_EXAMPLE = [20.65, 21.0, 21.3, 21.7];
const SHEET = sheet('BACS product sheet, example table: all blocks OK, 20.65–21.70 mΩ at 100 % charge');
const VRLA_BOOST = pkg('VRLA boost charge: 2.35–2.40 V per cell (battery makers), the top of it');
const VRLA_12V: BacsPoints['voltage'] = { highAlarm: [15.2, 14.8], highWarning: [14.8, 14.5], lowWarning: [9.8, 10.2], lowAlarm: [8.8, 9.3] };

const BACS_POINTS: BacsPoints[] = [
  { key: 'c20', float: 13.62, boost: 14.4, boostSource: VRLA_BOOST, voltage: VRLA_12V, healthy: SHEET_EXAMPLE, healthySource: SHEET },
  { key: 'c23', float: 13.62, boost: 14.4, boostSource: VRLA_BOOST, voltage: VRLA_12V, healthy: SHEET_EXAMPLE, healthySource: SHEET },
  {
    key: 'c30', float: 6.81, boost: 7.2, boostSource: VRLA_BOOST,
    voltage: { highAlarm: [7.6, 7.4], highWarning: [7.4, 7.25], lowWarning: [4.9, 5.1], lowAlarm: [4.4, 4.65] },
    healthy: [9.8, 10, 10.2, 10.4], healthySource: pkg('healthy 6 V string within ±5 % of its median'),
  },
  {
    key: 'c40', float: 2.27, boost: 2.4, boostSource: VRLA_BOOST,
    voltage: { highAlarm: [2.52, 2.47], highWarning: [2.46, 2.42], lowWarning: [1.65, 1.7], lowAlarm: [1.48, 1.55] },
    healthy: [0.29, 0.3, 0.305, 0.31], healthySource: pkg('healthy 2 V cells within ±5 % of their median'),
  },
  {
    key: 'c40-nicd', float: 1.42, boost: 1.65, boostSource: pkg('NiCd boost charge up to 1.65 V per cell'),
    voltage: { highAlarm: [1.76, 1.72], highWarning: [1.71, 1.67], lowWarning: [1.08, 1.15], lowAlarm: [0.99, 1.05] },
    healthy: [0.48, 0.5, 0.5, 0.52], healthySource: pkg('healthy NiCd cells within ±5 % of their median'),
  },
  {
    key: 'c41', float: 3.35, boost: 3.45, boostSource: pkg('LiFePO4 cells charged to 3.45 V'),
    voltage: { highAlarm: [3.66, 3.6], highWarning: [3.61, 3.55], lowWarning: [2.79, 2.9], lowAlarm: [2.49, 2.6] },
    healthy: [0.97, 1, 1.02, 1.04], healthySource: pkg('healthy cells within ±5 % of their median'),
  },
];

const at3 = (base: number, v: number): number[] => [base, base, v, base];
/**
 * A healthy string with block 3 raised to `ratio` times the median of the string it then makes: the three others
 * stay, so the median becomes the mean of the second and the fourth smallest.
 */
const drift = (healthy: number[], ratio: number): number[] => {
  const m = [...healthy].sort((a, b) => a - b);
  const median = (m[1] + m[3]) / 2;
  return [m[0], m[1], Number((median * ratio).toFixed(4)), m[3]];
};

function temperatureCases(prefix: string, chemistry: 'lead-acid' | 'nicd' | 'lithium', e2e: boolean): Array<Omit<RuleCases, 'preset'>> {
  const sj = (ref: string): Source => standard(`SJ 11237-2001 ${ref}`);
  const lim = chemistry === 'nicd' ? { high: 50, highClear: 48, low: -20, lowClear: -18 } : chemistry === 'lithium' ? { high: 55, highClear: 53, low: 0, lowClear: 2 } : { high: 55, highClear: 53, low: -5, lowClear: -3 };
  const limitSource = chemistry === 'lithium' ? pkg('the battery maker\'s limits (SJ 11237-2001 defers to them)') : sj(`Table 2: ${chemistry === 'nicd' ? 'NiCd -20/+50 °C' : 'lead-acid -5/+55 °C'}`);
  const s = (name: string): { e2e?: string } => (e2e ? { e2e: name } : {});
  const room = [23, 23.5, 24, 24.5];
  const ROOM_T = pkg('battery room at 23–25 °C');
  return [
    {
      rule: `${prefix}-temperature-high`,
      raise: { input: at3(24, 41), element: 3, what: 'block 3 at 41 °C', source: sj('§4: normal operation +10 to +40 °C'), ...s('temperature-high') },
      clear: { input: at3(24, 39), what: 'block 3 at 39 °C', source: pkg('clear at 39 °C'), ...s('normal') },
      quiet: { input: room, what: 'room temperature', source: ROOM_T, ...s('normal') },
    },
    {
      rule: `${prefix}-temperature-low`,
      raise: { input: at3(24, 9), element: 3, what: 'block 3 at 9 °C', source: sj('§4: normal operation +10 to +40 °C'), ...s('temperature-low') },
      clear: { input: at3(24, 11), what: 'block 3 at 11 °C', source: pkg('clear at 11 °C'), ...s('normal') },
      quiet: { input: room, what: 'room temperature', source: ROOM_T, ...s('normal') },
    },
    {
      rule: `${prefix}-temperature-high-alarm`,
      raise: { input: at3(24, lim.high + 1), element: 3, what: `block 3 at ${lim.high + 1} °C`, source: limitSource, ...s('temperature-very-high') },
      clear: { input: at3(24, lim.highClear), what: `block 3 at ${lim.highClear} °C`, source: pkg(`clear at ${lim.highClear} °C`), ...s('normal') },
      quiet: { input: room, what: 'room temperature', source: ROOM_T, ...s('normal') },
    },
    {
      rule: `${prefix}-temperature-low-alarm`,
      raise: { input: at3(24, lim.low - 1), element: 3, what: `block 3 at ${lim.low - 1} °C`, source: limitSource, ...s('temperature-very-low') },
      clear: { input: at3(24, lim.lowClear), what: `block 3 at ${lim.lowClear} °C`, source: pkg(`clear at ${lim.lowClear} °C`), ...s('normal') },
      quiet: { input: room, what: 'room temperature', source: ROOM_T, ...s('normal') },
    },
    {
      rule: `${prefix}-temperature-spread`,
      raise: { input: [23, 23.5, 34, 24], what: 'block 3 11 K warmer than the coolest', source: sj('§4: at most 10 K between two batteries'), ...s('temperature-high') },
      clear: { input: [23, 23.5, 32, 24], what: '9 K apart', source: pkg('clear at 9 K'), ...s('normal') },
      quiet: { input: [23, 23.5, 29, 24], what: 'one warm block, 6 K above the rest', source: pkg('a warm block as in a real rack (simulator)'), ...s('normal') },
    },
    {
      rule: `${prefix}-temperature-spread-system`,
      raise: { input: [23, 23.5, 34, 24], what: '11 K across the system (rule off by default)', source: sj('§4: at most 10 K between two batteries') },
      clear: { input: [23, 23.5, 32, 24], what: '9 K apart', source: pkg('clear at 9 K') },
      quiet: { input: [23, 23.5, 29, 24], what: 'one warm block, 6 K above the rest', source: pkg('a warm block as in a real rack (simulator)') },
    },
  ];
}

function bacsCases(p: BacsPoints): Array<Omit<RuleCases, 'preset'>> {
  const m = MONITOR_LIMITS.find((x) => x.key === p.key);
  if (!m) throw new Error(`no monitor ${p.key}`);
  const t = `bacs-${p.key}`;
  const e2e = p.key === 'c20';
  const s = (name: string): { e2e?: string } => (e2e ? { e2e: name } : {});
  const v = p.voltage;
  const level = pkg('preset level (docs/bacs.md; the vendor states no block limits)');
  const boost = { input: at3(p.boost, p.boost), what: `string on boost, ${p.boost} V per block`, source: p.boostSource, ...s('boost') };
  const float = { input: at3(p.float, p.float), what: `string on float, ${p.float} V per block`, source: pkg('float charge (simulator)'), ...s('normal') };
  const rangeTop = m.voltageRange[1];
  const rangeClear = Number((rangeTop - 0.1 * (rangeTop - m.voltageRange[0])).toFixed(4));
  const resRange = m.resistanceRange[1];
  const ieee = pkg('IEEE 1188/1491 practice: +20–30 % over the string, +50 % (wording unverified)');
  return [
    {
      rule: `${t}-voltage-high-alarm`,
      raise: { input: at3(p.float, v.highAlarm[0]), element: 3, what: `block 3 at ${v.highAlarm[0]} V`, source: level, ...s('block-voltage-very-high') },
      clear: { input: at3(p.float, v.highAlarm[1]), what: `block 3 at ${v.highAlarm[1]} V`, source: level, ...s('normal') },
      quiet: boost,
    },
    {
      rule: `${t}-voltage-high`,
      raise: { input: at3(p.float, v.highWarning[0]), element: 3, what: `block 3 at ${v.highWarning[0]} V`, source: level, ...s('block-voltage-high') },
      clear: { input: at3(p.float, v.highWarning[1]), what: `block 3 at ${v.highWarning[1]} V`, source: level, ...s('normal') },
      quiet: boost,
    },
    {
      rule: `${t}-voltage-low`,
      raise: { input: at3(p.float, v.lowWarning[0]), element: 3, what: `block 3 at ${v.lowWarning[0]} V`, source: level, ...s('block-voltage-low') },
      clear: { input: at3(p.float, v.lowWarning[1]), what: `block 3 at ${v.lowWarning[1]} V`, source: level, ...s('normal') },
      quiet: float,
    },
    {
      rule: `${t}-voltage-low-alarm`,
      raise: { input: at3(p.float, v.lowAlarm[0]), element: 3, what: `block 3 at ${v.lowAlarm[0]} V`, source: level, ...s('block-voltage-very-low') },
      clear: { input: at3(p.float, v.lowAlarm[1]), what: `block 3 at ${v.lowAlarm[1]} V`, source: level, ...s('normal') },
      quiet: float,
    },
    {
      rule: `${t}-voltage-above-range`,
      raise: { input: at3(p.float, rangeTop), element: 3, what: `block 3 at the top of the ${m.type} range, ${rangeTop} V`, source: sheet(`BACS product sheet: ${m.type} measures ${m.voltageRange[0]}–${rangeTop} V`) },
      clear: { input: at3(p.float, rangeClear), what: `block 3 at ${rangeClear} V`, source: pkg('clear 10 % of the range below its top') },
      quiet: boost,
    },
    {
      rule: `${t}-resistance-high`,
      raise: { input: drift(p.healthy, 1.31), element: 3, what: `block 3 ${Math.round(0.31 * 100)} % above the string median`, source: ieee, ...s('resistance-drift') },
      clear: { input: drift(p.healthy, 1 + (RESISTANCE_DRIFT.warning.clearValue - 1) / 100), what: `block 3 ${RESISTANCE_DRIFT.warning.clearValue - 1} % above the median`, source: pkg(`clear at +${RESISTANCE_DRIFT.warning.clearValue} %`), ...s('normal') },
      quiet: { input: p.healthy, what: 'healthy string', source: p.healthySource, ...s('sheet-example') },
    },
    {
      rule: `${t}-resistance-alarm`,
      raise: { input: drift(p.healthy, 1.52), element: 3, what: 'block 3 52 % above the string median', source: ieee, ...s('resistance-drift-alarm') },
      clear: { input: drift(p.healthy, 1 + (RESISTANCE_DRIFT.alarm.clearValue - 1) / 100), what: `block 3 ${RESISTANCE_DRIFT.alarm.clearValue - 1} % above the median`, source: pkg(`clear at +${RESISTANCE_DRIFT.alarm.clearValue} %`), ...s('normal') },
      quiet: { input: p.healthy, what: 'healthy string', source: p.healthySource, ...s('sheet-example') },
    },
    {
      rule: `${t}-resistance-above-range`,
      raise: { input: at3(p.healthy[1], resRange), element: 3, what: `block 3 at the top of the ${m.type} range, ${resRange} mΩ`, source: sheet(`BACS product sheet: ${m.type} measures ${m.resistanceRange[0]}–${resRange} mΩ`) },
      clear: { input: at3(p.healthy[1], Number((resRange * 0.9).toFixed(4))), what: `block 3 at ${Number((resRange * 0.9).toFixed(4))} mΩ`, source: pkg('clear at 90 % of the range top') },
      quiet: { input: p.healthy, what: 'healthy string', source: p.healthySource, ...s('sheet-example') },
    },
    ...temperatureCases(t, m.chemistry, e2e),
    {
      rule: `${t}-communication-lost`,
      raise: { input: 'comm_error', what: 'controller status 0x0000 (or unreachable)', source: manual('Schneider "Alarm Flag Descriptions": 0x0000 = internal communication down (docs/bacs.md §3.2)'), ...s('communication-lost') },
      clear: { input: 'good', what: 'the controller reads its bus again', source: manual('docs/bacs.md §3.2'), ...s('normal') },
      quiet: { input: 'good', what: 'controller running', source: pkg('status 0x0041: running, float charging'), ...s('normal') },
    },
  ];
}

// ------------------------------------------------------------------------------------------------------------

/** Every case of every preset, in preset order. */
export function matrixCases(): RuleCases[] {
  const out: RuleCases[] = [];
  const add = (preset: string, list: Array<Omit<RuleCases, 'preset'>>): void => {
    for (const c of list) out.push({ preset, ...c });
  };
  add('jupiter-hvdc', JUPITER);
  for (const p of JK_POINTS) add(p.preset, jkCases(p));
  for (const p of BACS_POINTS) add(`bacs-${p.key}`, bacsCases(p));
  add('bacs-sj11237-2001', temperatureCases('bacs-sj11237', 'lead-acid', false));
  return out;
}

/** The preset rule a case row is about. */
export function ruleOf(preset: string, rule: string): AlarmRuleConfig {
  const r = PRESETS.find((p) => p.id === preset)?.rules.find((x) => x.id === rule);
  if (!r) throw new Error(`preset ${preset} has no rule ${rule}`);
  return r;
}
