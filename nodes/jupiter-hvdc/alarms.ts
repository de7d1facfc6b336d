/**
 * The Jupiter J540/J560 alarm catalogue (user manual §4.1–4.2, as summarised in
 * docs/jupiter-hvdc.md §2) as one data table. The jupiter-hvdc node evaluates its
 * alarms from it and the alarm-rules node loads `jupiterPreset`, built from the same rows.
 *
 * The manual's two columns (告警值 / 结束告警值) are read as the values the EM software logged when the alarm
 * was raised and when it ended, not as configured thresholds (docs/jupiter-hvdc.md §2.1); they are kept verbatim in
 * `manualLog`. The thresholds the manual does state (in the alarm names and causes) are in `signal`.
 * The manual lists only part of the alarms: add rows here, the node and the preset follow.
 */
import type { AlarmPreset, AlarmRuleConfig, AlarmSeverity, LocalizedText } from '../../lib/alarm-types';

/** the manual's own class: 一般告警 (general) or 严重告警 (serious) */
export type ManualClass = 'general' | 'serious';

/** where a threshold comes from: stated by the manual, or chosen by this package because the manual has none */
export type ThresholdSource = 'manual' | 'preset';

/** A measured quantity compared with a threshold, with hysteresis on the clear side. */
export interface AnalogSignal {
  kind: 'analog';
  /** key of the jupiter-hvdc reading (`payload.<key>`) */
  key: string;
  /** reduce an array reading (cell voltages) to one value */
  aggregate?: 'min' | 'max' | 'spread';
  /** the already reduced reading to use when the array is not mapped (`cellMin`, `cellMax`, `cellDelta`) */
  reducedKey?: string;
  /** `low`: raise below alarmValue; `high`: raise above it (the manual says "below" / "above": strict) */
  direction: 'low' | 'high';
  alarmValue: number;
  clearValue: number;
  unit: 'V' | 'A' | '%' | '°C';
  /** raise at a reading equal to alarmValue too (AC interruption: raised "at 0") */
  inclusive?: boolean;
  thresholdSource: ThresholdSource;
  clearSource: ThresholdSource;
}

/**
 * A 0/1 flag as the EM software logs it (1.00 / 0.00). Polarity differs per alarm: breaker and BMS flags
 * read 1 when healthy and raise at 0 (docs/jupiter-hvdc.md §2.1).
 */
export interface FlagSignal {
  kind: 'flag';
  alarmFlag: 0 | 1;
  clearFlag: 0 | 1;
}

/** Raised by the node itself when the unit stops answering (docs/jupiter-hvdc.md §2.5 `network_interruption`). */
export interface LinkSignal {
  kind: 'link';
}

export type JupiterSignal = AnalogSignal | FlagSignal | LinkSignal;

export interface JupiterAlarmDef {
  /** stable id (docs/jupiter-hvdc.md §2.5), also the alarm-rules rule id */
  id: string;
  text: LocalizedText;
  /** the label as printed in the Chinese manual, for matching the EM software's screens */
  manualLabel: string;
  manualClass: ManualClass;
  /** the package severity (project mapping: general → warning, serious → major, charge over-voltage → critical) */
  severity: AlarmSeverity;
  signal: JupiterSignal;
  /** the manual's logged values, verbatim: value at raise and value at end */
  manualLog: { raise: string; end: string };
  /** how the EM software closes the record (系统关闭 / 手动关闭; our reading, unverified) */
  closedBy: 'system' | 'manual-or-system';
  note: LocalizedText;
}

/**
 * general → warning, serious → major (docs/jupiter-hvdc.md §4.3); over-voltage while charging is safety-relevant →
 * critical
 */
export const SEVERITY_OF_CLASS: Readonly<Record<ManualClass, AlarmSeverity>> = {
  general: 'warning',
  serious: 'major',
};

const flag = (alarmFlag: 0 | 1): FlagSignal => ({ kind: 'flag', alarmFlag, clearFlag: alarmFlag === 1 ? 0 : 1 });

export const JUPITER_ALARMS: readonly JupiterAlarmDef[] = [
  {
    id: 'load_output_undervoltage',
    text: { 'en-US': 'LOAD output under-voltage', 'zh-CN': 'LOAD输出过低压' },
    manualLabel: 'LOAD输出过低压',
    manualClass: 'general',
    severity: 'warning',
    signal: {
      kind: 'analog', key: 'loadVoltage', direction: 'low', alarmValue: 200, clearValue: 204, unit: 'V',
      thresholdSource: 'manual', clearSource: 'preset',
    },
    manualLog: { raise: '< 200 V', end: 'not stated' },
    closedBy: 'system',
    note: {
      'en-US': 'Manual: LOAD output below 200 V. Clear at 204 V is a package choice (the manual states none).',
      'zh-CN': '手册：LOAD输出低于200 V。恢复值204 V为本软件包选定（手册未给出）。',
    },
  },
  {
    id: 'ac_breaker_open',
    text: { 'en-US': 'AC breaker open', 'zh-CN': '交流空开断开' },
    manualLabel: '交流空开断开',
    manualClass: 'general',
    severity: 'warning',
    signal: flag(0),
    manualLog: { raise: '0.00', end: '1.00' },
    closedBy: 'system',
    note: {
      'en-US': 'The flag reads 1 while the breaker is closed; the alarm is raised at 0. Also wired as a dry contact.',
      'zh-CN': '空开闭合时标志为1；为0时告警。也可通过干接点接入。',
    },
  },
  {
    id: 'load_breaker_open',
    text: { 'en-US': 'LOAD breaker open', 'zh-CN': 'LOAD空开断开' },
    manualLabel: 'LOAD空开断开',
    manualClass: 'general',
    severity: 'warning',
    signal: flag(0),
    manualLog: { raise: '0.00', end: '1.00' },
    closedBy: 'system',
    note: {
      'en-US': 'The flag reads 1 while the breaker is closed; the alarm is raised at 0. Also wired as a dry contact.',
      'zh-CN': '空开闭合时标志为1；为0时告警。也可通过干接点接入。',
    },
  },
  {
    id: 'dc_output_undervoltage',
    text: { 'en-US': 'DC output under-voltage', 'zh-CN': '直流输出过低压' },
    manualLabel: '直流输出过低压',
    manualClass: 'serious',
    severity: 'major',
    signal: {
      kind: 'analog', key: 'dcOutputVoltage', direction: 'low', alarmValue: 204, clearValue: 208, unit: 'V',
      thresholdSource: 'manual', clearSource: 'preset',
    },
    manualLog: { raise: '< 204 V', end: 'not stated' },
    closedBy: 'system',
    note: {
      'en-US': 'Manual: DC output below 204 V (bottom of the 204–288 V output range). Clear at 208 V is a package choice.',
      'zh-CN': '手册：直流输出低于204 V（输出范围204–288 V的下限）。恢复值208 V为本软件包选定。',
    },
  },
  {
    id: 'network_interruption',
    text: { 'en-US': 'Network interruption', 'zh-CN': '网络中断' },
    manualLabel: '网络中断',
    manualClass: 'serious',
    severity: 'major',
    signal: { kind: 'link' },
    manualLog: { raise: '1.00', end: '0.00' },
    closedBy: 'manual-or-system',
    note: {
      'en-US': 'Raised by the node when the unit stops answering SNMP; cleared when it answers again.',
      'zh-CN': '设备停止响应SNMP时由节点产生；恢复响应后结束。',
    },
  },
  {
    id: 'ac_interruption',
    text: { 'en-US': 'AC interruption', 'zh-CN': 'AC中断' },
    manualLabel: 'AC中断',
    manualClass: 'serious',
    severity: 'major',
    signal: {
      kind: 'analog', key: 'acInputVoltage', direction: 'low', alarmValue: 0, clearValue: 100, unit: 'V', inclusive: true,
      thresholdSource: 'manual', clearSource: 'preset',
    },
    manualLog: { raise: '0.00', end: '398.90' },
    closedBy: 'system',
    note: {
      'en-US': 'Raised at an AC reading of 0; the manual logs 398.90 at end. Clear at 100 V ("clearly non-zero") is a package choice.',
      'zh-CN': '交流读数为0时告警；手册记录结束值398.90。恢复值100 V为本软件包选定。',
    },
  },
  {
    id: 'battery_bms_fault',
    text: { 'en-US': 'Battery module BMS fault', 'zh-CN': '电池模块BMS故障' },
    manualLabel: '电池模块BMS故障',
    manualClass: 'serious',
    severity: 'major',
    signal: flag(0),
    manualLog: { raise: '0.00', end: '1.00' },
    closedBy: 'system',
    note: {
      'en-US': 'The flag reads 1 while the BMS is healthy; the alarm is raised at 0.',
      'zh-CN': 'BMS正常时标志为1；为0时告警。',
    },
  },
  {
    id: 'battery_undervoltage',
    text: { 'en-US': 'Battery under-voltage', 'zh-CN': '电池欠压' },
    manualLabel: '电池欠压',
    manualClass: 'serious',
    severity: 'major',
    signal: {
      kind: 'analog', key: 'cellVoltages', aggregate: 'min', reducedKey: 'cellMin', direction: 'low', alarmValue: 3.3, clearValue: 3.4,
      unit: 'V', thresholdSource: 'preset', clearSource: 'preset',
    },
    manualLog: { raise: '3300 mV', end: '4127 mV' },
    closedBy: 'system',
    note: {
      'en-US': 'The manual states no threshold: 3.300 V is its logged raise value, compared with the lowest cell (unverified). Clear at 3.400 V is a package choice.',
      'zh-CN': '手册未给出阈值：3.300 V取自其记录的告警值，与最低单体电压比较（未验证）。恢复值3.400 V为本软件包选定。',
    },
  },
  {
    id: 'cell_voltage_difference',
    text: { 'en-US': 'Cell voltage difference too large', 'zh-CN': '压差过大告警' },
    manualLabel: '压差过大告警',
    manualClass: 'serious',
    severity: 'major',
    signal: {
      kind: 'analog', key: 'cellVoltages', aggregate: 'spread', reducedKey: 'cellDelta', direction: 'high', alarmValue: 0.3, clearValue: 0.25,
      unit: 'V', thresholdSource: 'manual', clearSource: 'preset',
    },
    manualLog: { raise: '1.00', end: '0.00' },
    closedBy: 'system',
    note: {
      'en-US': 'Manual: cell-to-cell difference above 300 mV; the unit also logs a 1/0 flag. Clear at 250 mV is a package choice.',
      'zh-CN': '手册：单体压差大于300 mV；设备另记录1/0标志。恢复值250 mV为本软件包选定。',
    },
  },
  {
    id: 'rectifier_fault',
    text: { 'en-US': 'Rectifier module fault', 'zh-CN': '整流模块故障' },
    manualLabel: '整流模块故障',
    manualClass: 'serious',
    severity: 'major',
    signal: flag(1),
    manualLog: { raise: '1.00', end: '0.00' },
    closedBy: 'system',
    note: { 'en-US': 'Fault LED on or no output: replace the rectifier.', 'zh-CN': '故障灯亮或无输出：更换整流模块。' },
  },
  {
    id: 'rectifier_comm_fault',
    text: { 'en-US': 'Rectifier module communication fault', 'zh-CN': '整流模块通信故障' },
    manualLabel: '整流模块通信故障',
    manualClass: 'serious',
    severity: 'major',
    signal: flag(1),
    manualLog: { raise: '1.00', end: '0.00' },
    closedBy: 'system',
    note: { 'en-US': 'Rectifier ↔ ERC communication lost: re-seat the rectifier or the ERC.', 'zh-CN': '整流模块与ERC通信中断：重新插拔整流模块或ERC。' },
  },
  {
    id: 'cell_overvoltage',
    text: { 'en-US': 'Cell over-voltage (above 4300 mV)', 'zh-CN': '电池电压超过4300mV' },
    manualLabel: '电池电压超过4300mV',
    manualClass: 'serious',
    severity: 'critical',
    signal: {
      kind: 'analog', key: 'cellVoltages', aggregate: 'max', reducedKey: 'cellMax', direction: 'high', alarmValue: 4.3, clearValue: 4.25,
      unit: 'V', thresholdSource: 'manual', clearSource: 'preset',
    },
    manualLog: { raise: '4325 mV', end: '4240 mV' },
    closedBy: 'system',
    note: {
      'en-US': 'Manual: a cell above 4300 mV, compared with the highest cell (unverified). Clear at 4.250 V is a package choice. Critical: over-voltage while charging is safety-relevant.',
      'zh-CN': '手册：单体电压超过4300 mV，与最高单体电压比较（未验证）。恢复值4.250 V为本软件包选定。充电过压涉及安全，定为紧急。',
    },
  },
  {
    id: 'battery_not_connected',
    text: { 'en-US': 'Battery not connected', 'zh-CN': '电池未接报警' },
    manualLabel: '电池未接报警',
    manualClass: 'serious',
    severity: 'major',
    signal: flag(1),
    manualLog: { raise: '1.00', end: '0.00' },
    closedBy: 'system',
    note: { 'en-US': 'Battery ↔ ERC communication fault: re-seat the battery or the ERC.', 'zh-CN': '电池与ERC通信故障：重新插拔电池或ERC。' },
  },
  {
    id: 'rectifier_module_shutdown',
    text: { 'en-US': 'Rectifier fault — module shut down', 'zh-CN': '整流器故障-模块关闭' },
    manualLabel: '整流器故障-模块关闭',
    manualClass: 'serious',
    severity: 'major',
    signal: flag(1),
    manualLog: { raise: '1.00', end: '0.00' },
    closedBy: 'system',
    note: { 'en-US': 'The manual lists it as transient.', 'zh-CN': '手册列为误告警（可自行恢复）。' },
  },
  {
    id: 'overcharge_protection',
    text: { 'en-US': 'Over-charge protection', 'zh-CN': '过充保护告警' },
    manualLabel: '过充保护告警',
    manualClass: 'serious',
    severity: 'critical',
    signal: flag(1),
    manualLog: { raise: '1.00', end: '0.00' },
    closedBy: 'system',
    note: {
      'en-US': 'The manual lists it as transient. Critical: over-voltage while charging is safety-relevant.',
      'zh-CN': '手册列为误告警（可自行恢复）。充电过压涉及安全，定为紧急。',
    },
  },
];

const BY_ID = new Map(JUPITER_ALARMS.map((a) => [a.id, a]));

export function jupiterAlarm(id: string): JupiterAlarmDef | undefined {
  return BY_ID.get(id);
}

export function alarmText(def: JupiterAlarmDef, lang: string): string {
  return lang.toLowerCase().startsWith('zh') ? def.text['zh-CN'] : def.text['en-US'];
}

/** `payload.flags.<id>`: where the jupiter-hvdc node puts each 0/1 flag, in the manual's polarity */
export function flagPath(id: string): string {
  return `payload.flags.${id}`;
}

/**
 * Evaluates an analog alarm with hysteresis: strict comparison on raise (the manual says "below"/"above"),
 * inclusive on clear. Returns the new active state.
 */
export function analogActive(signal: AnalogSignal, value: number, wasActive: boolean): boolean {
  const inclusive = signal.inclusive === true;
  if (signal.direction === 'low') {
    if (wasActive) return value < signal.clearValue;
    return inclusive ? value <= signal.alarmValue : value < signal.alarmValue;
  }
  if (wasActive) return value > signal.clearValue;
  return inclusive ? value >= signal.alarmValue : value > signal.alarmValue;
}

/** reduces the values of an aggregate signal; undefined when there is nothing to reduce */
export function aggregateValue(signal: AnalogSignal, values: readonly number[]): number | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  if (signal.aggregate === 'min') return min;
  if (signal.aggregate === 'max') return max;
  if (signal.aggregate === 'spread') return finite.length < 2 ? undefined : max - min;
  return finite[0];
}

function ruleFor(def: JupiterAlarmDef): AlarmRuleConfig[] {
  const base = {
    name: def.text['en-US'],
    severity: def.severity,
    text: def.text,
    note: `${def.manualClass === 'general' ? 'General' : 'Serious'} alarm (manual: ${def.manualLabel}; logged ${def.manualLog.raise} → ${def.manualLog.end}). ${def.note['en-US']}`,
  };
  const s = def.signal;
  if (s.kind === 'flag') {
    return [{ ...base, id: def.id, path: flagPath(def.id), type: 'state', stateValue: s.alarmFlag, thresholdSource: 'manual' }];
  }
  if (s.kind === 'link') {
    return [{ ...base, id: def.id, path: 'quality', type: 'state', stateValue: 'comm_error', thresholdSource: 'manual' }];
  }
  const path = s.aggregate ? `payload.${s.key}[*]` : `payload.${s.key}`;
  const analog: AlarmRuleConfig = {
    ...base,
    id: def.id,
    path,
    type: s.direction,
    alarmValue: s.alarmValue,
    clearValue: s.clearValue,
    unit: s.unit,
    thresholdSource: s.thresholdSource,
    ...(s.aggregate ? { aggregate: s.aggregate } : {}),
    // the manual says "below" / "above": strictly beyond, except where it logs the raise at the value itself
    ...(s.inclusive === true ? {} : { strict: true }),
  };
  if (def.id !== 'cell_voltage_difference') return [analog];
  // The unit also logs this alarm as a 1/0 flag; where no cell voltages are mapped, enable this rule instead.
  return [
    analog,
    {
      ...base,
      id: `${def.id}_flag`,
      path: flagPath(def.id),
      type: 'state',
      stateValue: 1,
      thresholdSource: 'manual',
      disabled: true,
      note: `${base.note} Alternative to the spread rule, for units that report only the flag.`,
    },
  ];
}

/**
 * The Jupiter preset for alarm-rules: one rule per catalogue alarm, paths into the jupiter-hvdc envelope, with the
 * same comparison as the catalogue's own evaluation (analogActive): strict where the manual says "above" /
 * "below", inclusive where it logs the raise at the value itself (AC interruption at 0 V).
 */
export const jupiterPreset: AlarmPreset = {
  id: 'jupiter-hvdc',
  label: { 'en-US': 'Jupiter J540/J560 HVDC', 'zh-CN': 'Jupiter J540/J560 高压直流' },
  description: {
    'en-US': 'Alarms from the Jupiter J540/J560 manual (§4.1–4.2) for the jupiter-hvdc node output. Clear levels the manual does not state are package choices, marked in each note.',
    'zh-CN': '来自Jupiter J540/J560手册（§4.1–4.2）的告警，用于jupiter-hvdc节点的输出。手册未给出的恢复值为本软件包选定，见各条说明。',
  },
  rules: JUPITER_ALARMS.flatMap(ruleFor),
};
