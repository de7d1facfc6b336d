/**
 * BACS presets for alarm-rules (contract nodes/alarm-rules/types.ts): per-block voltage, temperature and
 * internal-resistance limits for each BACS monitor type, and the battery temperature limits of the SJ 11237-2001
 * UPS safety standard. The rules read the bacs node's envelope (`payload.modules[*].<field>`); the per-string
 * temperature spread needs the node's "one message per string" output (topic `<prefix>/<device>/string/<n>`).
 *
 * Where the figures come from (docs/bacs.md, docs/alarm-management.md §4, docs/alarm-matrix.md for every case):
 * - measuring ranges per monitor type: the BACS product sheet (docs/bacs.md §1.1) → thresholdSource 'manual';
 * - SJ 11237-2001: normal 10-40 °C, lead-acid -5/+55 °C, NiCd -20/+50 °C, at most 10 K between batteries → 'manual';
 * - block voltage levels: the Checkmk bacs_battery low levels for 12 V blocks (10/9 V) and high levels placed
 *   above VRLA boost charging (2.40 V per cell = 14.4 V per block: 2.45 / 2.50 V per cell), scaled per cell for
 *   6 V blocks and 2 V cells; NiCd and LiFePO4 cell levels for the C40 NiCd and C41 presets → 'preset';
 * - internal resistance: no absolute level, because it depends on the battery's size (the sheet's own example
 *   shows healthy 12 V blocks at 20.65–21.70 mΩ, above Checkmk's generic 15/18 mΩ). Practice (IEEE 1188/1491)
 *   compares a block with its string or its baseline: warning at +30 %, alarm at +50 % over the string median
 *   → 'preset'. Only the product sheet's measuring range is an absolute level.
 */
import type { AlarmPreset, AlarmRuleConfig, AlarmSeverity, LocalizedText } from '../../lib/alarm-types';

export type MonitorType = 'C20' | 'C23' | 'C30' | 'C40' | 'C41';

/** what the temperature limits are for: SJ 11237-2001 Table 2 gives lead-acid and NiCd, otherwise the maker */
export type Chemistry = 'lead-acid' | 'nicd' | 'lithium';

interface Level {
  alarmValue: number;
  clearValue: number;
  severity: AlarmSeverity;
}

export interface MonitorLimits {
  /** preset id suffix (`bacs-<key>`) */
  key: string;
  type: MonitorType;
  /** what the monitor sits on (inferred from its range, docs/bacs.md §1.1) */
  block: LocalizedText;
  /** measuring ranges from the product sheet */
  voltageRange: [number, number];
  resistanceRange: [number, number];
  chemistry: Chemistry;
  voltage: { highAlarm: Level; highWarning: Level; lowWarning: Level; lowAlarm: Level; note: LocalizedText };
}

const lvl = (alarmValue: number, clearValue: number, severity: AlarmSeverity): Level => ({ alarmValue, clearValue, severity });

/** 12 V VRLA blocks (C20 and C23 both sit on them): low levels from Checkmk, high levels above boost charging */
const VRLA_12V_VOLTAGE: MonitorLimits['voltage'] = {
  highAlarm: lvl(15, 14.8, 'critical'),
  highWarning: lvl(14.7, 14.5, 'warning'),
  lowWarning: lvl(10, 10.2, 'warning'),
  lowAlarm: lvl(9, 9.3, 'major'),
  note: {
    'en-US': 'High: 14.7 / 15.0 V (2.45 / 2.50 V per cell), above VRLA boost charging at 14.1–14.4 V so a boost charge raises nothing. Low: the Checkmk bacs_battery 12 V levels (10 / 9 V). No vendor document states block limits.',
    'zh-CN': '高：14.7 / 15.0 V（每单体 2.45 / 2.50 V），高于阀控铅酸电池均充电压 14.1–14.4 V，均充不会告警。低：Checkmk bacs_battery 插件的 12 V 限值（10 / 9 V）。厂商文档未给出电池块限值。',
  },
};

export const MONITOR_LIMITS: readonly MonitorLimits[] = [
  {
    key: 'c20',
    type: 'C20',
    block: { 'en-US': '12 V lead-acid blocks', 'zh-CN': '12 V 铅酸电池块' },
    voltageRange: [9.7, 17],
    resistanceRange: [0.5, 60],
    chemistry: 'lead-acid',
    voltage: VRLA_12V_VOLTAGE,
  },
  {
    key: 'c23',
    type: 'C23',
    block: { 'en-US': '12 V lead-acid blocks (monitor range up to 21 V)', 'zh-CN': '12 V 铅酸电池块（监测范围至 21 V）' },
    voltageRange: [9.7, 21],
    resistanceRange: [0.5, 60],
    chemistry: 'lead-acid',
    voltage: VRLA_12V_VOLTAGE,
  },
  {
    key: 'c30',
    type: 'C30',
    block: { 'en-US': '6 V lead-acid blocks', 'zh-CN': '6 V 铅酸电池块' },
    voltageRange: [4.8, 8.0],
    resistanceRange: [0.5, 60],
    chemistry: 'lead-acid',
    voltage: {
      highAlarm: lvl(7.5, 7.4, 'critical'),
      highWarning: lvl(7.35, 7.25, 'warning'),
      lowWarning: lvl(5, 5.1, 'warning'),
      lowAlarm: lvl(4.5, 4.65, 'major'),
      note: { 'en-US': 'The 12 V levels scaled to 3 cells: high 7.35 / 7.5 V (above boost at 7.2 V), low 5 / 4.5 V; preset choice.', 'zh-CN': '将 12 V 限值按 3 节折算：高 7.35 / 7.5 V（高于均充 7.2 V），低 5 / 4.5 V；预设选择。' },
    },
  },
  {
    key: 'c40',
    type: 'C40',
    block: { 'en-US': 'single 2 V lead-acid cells', 'zh-CN': '单体 2 V 铅酸电池' },
    voltageRange: [1.0, 3.2],
    resistanceRange: [0.02, 6],
    chemistry: 'lead-acid',
    voltage: {
      highAlarm: lvl(2.5, 2.47, 'critical'),
      highWarning: lvl(2.45, 2.42, 'warning'),
      lowWarning: lvl(1.67, 1.7, 'warning'),
      lowAlarm: lvl(1.5, 1.55, 'major'),
      note: { 'en-US': 'The 12 V levels scaled to one lead-acid cell: high 2.45 / 2.5 V (above boost at 2.40 V), low 1.67 / 1.5 V; preset choice.', 'zh-CN': '将 12 V 限值按单节铅酸电池折算：高 2.45 / 2.5 V（高于均充 2.40 V），低 1.67 / 1.5 V；预设选择。' },
    },
  },
  {
    key: 'c40-nicd',
    type: 'C40',
    block: { 'en-US': 'single NiCd cells', 'zh-CN': '单体镍镉电池' },
    voltageRange: [1.0, 3.2],
    resistanceRange: [0.02, 6],
    chemistry: 'nicd',
    voltage: {
      highAlarm: lvl(1.75, 1.72, 'critical'),
      highWarning: lvl(1.7, 1.67, 'warning'),
      lowWarning: lvl(1.1, 1.15, 'warning'),
      lowAlarm: lvl(1.0, 1.05, 'major'),
      note: { 'en-US': 'Typical NiCd cell levels: high 1.70 / 1.75 V (above float at 1.40–1.45 V and boost up to 1.65 V), low 1.10 / 1.00 V (end of discharge); set your cell maker\'s values.', 'zh-CN': '镍镉单体的常用限值：高 1.70 / 1.75 V（高于浮充 1.40–1.45 V 和至 1.65 V 的均充），低 1.10 / 1.00 V（放电终止）；请按电池厂商的数值设置。' },
    },
  },
  {
    key: 'c41',
    type: 'C41',
    block: { 'en-US': 'single lithium cells (levels for LiFePO4)', 'zh-CN': '单体锂电池（限值按磷酸铁锂）' },
    voltageRange: [2.4, 5.0],
    resistanceRange: [0.5, 30],
    chemistry: 'lithium',
    voltage: {
      highAlarm: lvl(3.65, 3.6, 'critical'),
      highWarning: lvl(3.6, 3.55, 'warning'),
      lowWarning: lvl(2.8, 2.9, 'warning'),
      lowAlarm: lvl(2.5, 2.6, 'major'),
      note: { 'en-US': 'Typical LiFePO4 cell levels (3.6/3.65 V high, 2.8/2.5 V low); set your cell maker\'s limits for other chemistries.', 'zh-CN': '磷酸铁锂单体的常用限值（高 3.6/3.65 V，低 2.8/2.5 V）；其他化学体系请按电芯厂商限值设置。' },
    },
  },
];

const MODULES = 'payload.modules[*]';

function text(en: string, zh: string): LocalizedText {
  return { 'en-US': en, 'zh-CN': zh };
}

function voltageRules(m: MonitorLimits): AlarmRuleConfig[] {
  const t = m.key;
  const base = { path: `${MODULES}.voltage`, unit: 'V', onDelay: 10, requireAck: true, note: m.voltage.note['en-US'], thresholdSource: 'preset' as const };
  const v = m.voltage;
  return [
    { ...base, id: `bacs-${t}-voltage-high-alarm`, name: 'Block voltage very high', type: 'high', ...v.highAlarm, text: text('Block voltage very high', '电池块电压过高告警') },
    { ...base, id: `bacs-${t}-voltage-high`, name: 'Block voltage high', type: 'high', ...v.highWarning, text: text('Block voltage high', '电池块电压偏高'), requireAck: false },
    { ...base, id: `bacs-${t}-voltage-low`, name: 'Block voltage low', type: 'low', ...v.lowWarning, text: text('Block voltage low', '电池块电压偏低'), requireAck: false },
    { ...base, id: `bacs-${t}-voltage-low-alarm`, name: 'Block voltage very low', type: 'low', ...v.lowAlarm, text: text('Block voltage very low', '电池块电压过低告警') },
    {
      id: `bacs-${t}-voltage-above-range`,
      name: `Block voltage above the ${m.type} measuring range`,
      severity: 'minor',
      path: `${MODULES}.voltage`,
      type: 'high',
      alarmValue: m.voltageRange[1],
      clearValue: m.voltageRange[1] - 0.1 * (m.voltageRange[1] - m.voltageRange[0]),
      unit: 'V',
      onDelay: 10,
      thresholdSource: 'manual',
      text: text(`Block voltage above the ${m.type} measuring range`, `电池块电压超出 ${m.type} 测量范围`),
      note: `BACS product sheet: ${m.type} measures ${m.voltageRange[0]}–${m.voltageRange[1]} V; a reading at the top of the range is not reliable (wrong monitor type or wiring?).`,
    },
  ];
}

/** the relative levels (percent over the median of the blocks in the same message: a string, or the system) */
export const RESISTANCE_DRIFT = { warning: lvl(30, 25, 'warning'), alarm: lvl(50, 45, 'major') };

function resistanceRules(m: MonitorLimits): AlarmRuleConfig[] {
  const t = m.key;
  const drift = {
    path: `${MODULES}.resistance`,
    reference: 'median' as const,
    unit: '%',
    onDelay: 60,
    thresholdSource: 'preset' as const,
    message: '{{name}} {{number}}: {{reading}} mΩ, {{value}} % above the median {{reference}} mΩ',
    clearMessage: '{{name}} {{number}} cleared: {{reading}} mΩ, {{value}} % from the median {{reference}} mΩ',
    note:
      'Compared with the median of the blocks in the same message (one string with the bacs node\'s "one message per string" output, else the system): absolute resistance depends on the battery\'s size. ' +
      'IEEE 1188/1491 practice: investigate at +20–30 % over the string or the commissioning baseline, replace at about +50 % (wording of the standards unverified).',
  };
  return [
    { ...drift, id: `bacs-${t}-resistance-high`, name: 'Internal resistance above the string', type: 'high', ...RESISTANCE_DRIFT.warning, text: text('Internal resistance 30 % above the string median', '内阻高于本组中位数 30 %') },
    { ...drift, id: `bacs-${t}-resistance-alarm`, name: 'Internal resistance far above the string', type: 'high', ...RESISTANCE_DRIFT.alarm, requireAck: true, text: text('Internal resistance 50 % above the string median', '内阻高于本组中位数 50 %') },
    {
      id: `bacs-${t}-resistance-above-range`,
      name: `Internal resistance above the ${m.type} measuring range`,
      severity: 'major',
      path: `${MODULES}.resistance`,
      type: 'high',
      alarmValue: m.resistanceRange[1],
      clearValue: m.resistanceRange[1] * 0.9,
      unit: 'mΩ',
      onDelay: 60,
      requireAck: true,
      thresholdSource: 'manual',
      text: text(`Internal resistance above the ${m.type} measuring range`, `内阻超出 ${m.type} 测量范围`),
      note: `BACS product sheet: ${m.type} measures ${m.resistanceRange[0]}–${m.resistanceRange[1]} mΩ; a reading at the top of the range is not reliable.`,
    },
  ];
}

/** SJ 11237-2001 Table 2 absolute limits per chemistry; lithium: the standard defers to the battery maker */
const TEMPERATURE_LIMITS: { [C in Chemistry]: { high: number; highClear: number; low: number; lowClear: number; source: 'manual' | 'preset'; note: string } } = {
  'lead-acid': { high: 55, highClear: 53, low: -5, lowClear: -3, source: 'manual', note: 'SJ 11237-2001: lead-acid batteries -5 to +55 °C.' },
  nicd: { high: 50, highClear: 48, low: -20, lowClear: -18, source: 'manual', note: 'SJ 11237-2001: nickel-cadmium batteries -20 to +50 °C.' },
  lithium: {
    high: 55, highClear: 53, low: 0, lowClear: 2, source: 'preset',
    note: 'SJ 11237-2001 gives lead-acid and NiCd limits and otherwise the battery maker\'s: lithium cells must not be charged below 0 °C (typical maker limit); set yours here.',
  },
};

/**
 * SJ 11237-2001 battery temperature limits: warning outside the normal 10-40 °C band, alarm beyond the absolute
 * limits of the chemistry (Table 2: lead-acid -5/+55 °C, NiCd -20/+50 °C), and at most 10 K between two batteries
 * of a string. `prefix` names the rules.
 */
export function sj11237TemperatureRules(prefix: string, chemistry: Chemistry = 'lead-acid'): AlarmRuleConfig[] {
  const lim = TEMPERATURE_LIMITS[chemistry];
  const chem = chemistry === 'lead-acid' ? text('lead-acid', '铅酸') : chemistry === 'nicd' ? text('NiCd', '镍镉') : text('lithium', '锂电池');
  const temp = `${MODULES}.temperature`;
  const base = { path: temp, unit: '°C', onDelay: 30 };
  const rules: AlarmRuleConfig[] = [
    {
      ...base,
      id: `${prefix}-temperature-high`,
      name: 'Battery temperature above normal',
      severity: 'warning',
      type: 'high',
      alarmValue: 40,
      clearValue: 39,
      thresholdSource: 'manual',
      text: text('Battery temperature above normal (40 °C)', '电池温度高于正常范围（40 °C）'),
      note: 'SJ 11237-2001: normal battery temperature +10 to +40 °C. Above 25 °C continuously shortens battery life.',
    },
    {
      ...base,
      id: `${prefix}-temperature-low`,
      name: 'Battery temperature below normal',
      severity: 'warning',
      type: 'low',
      alarmValue: 10,
      clearValue: 11,
      thresholdSource: 'manual',
      text: text('Battery temperature below normal (10 °C)', '电池温度低于正常范围（10 °C）'),
      note: 'SJ 11237-2001: normal battery temperature +10 to +40 °C. Low temperature shortens the stored-energy time.',
    },
    {
      ...base,
      id: `${prefix}-temperature-high-alarm`,
      name: `Battery temperature above the ${chem['en-US']} limit`,
      severity: 'major',
      type: 'high',
      alarmValue: lim.high,
      clearValue: lim.highClear,
      requireAck: true,
      thresholdSource: lim.source,
      text: text(`Battery temperature above the ${chem['en-US']} limit (${lim.high} °C)`, `电池温度超过${chem['zh-CN']}极限（${lim.high} °C）`),
      note: lim.note,
    },
    {
      ...base,
      id: `${prefix}-temperature-low-alarm`,
      name: `Battery temperature below the ${chem['en-US']} limit`,
      severity: 'major',
      type: 'low',
      alarmValue: lim.low,
      clearValue: lim.lowClear,
      requireAck: true,
      thresholdSource: lim.source,
      text: text(`Battery temperature below the ${chem['en-US']} limit (${lim.low} °C)`, `电池温度低于${chem['zh-CN']}极限（${lim.low} °C）`),
      note: lim.note,
    },
    {
      ...base,
      id: `${prefix}-temperature-spread`,
      name: 'Temperature difference within a string above 10 K',
      severity: 'minor',
      type: 'high',
      topic: '*/*/string/*',
      aggregate: 'spread',
      alarmValue: 10,
      strict: true,
      clearValue: 9,
      unit: 'K',
      onDelay: 60,
      thresholdSource: 'manual',
      text: text('Temperature difference within a string above 10 K', '同组电池温差超过 10 K'),
      note: 'SJ 11237-2001: at most 10 K between two batteries. Evaluated per string: set the bacs node to "one message per string" (topic <prefix>/<device>/string/<n>).',
    },
    {
      ...base,
      id: `${prefix}-temperature-spread-system`,
      name: 'Temperature difference across the system above 10 K',
      severity: 'minor',
      type: 'high',
      topic: '*/*',
      aggregate: 'spread',
      alarmValue: 10,
      strict: true,
      clearValue: 9,
      unit: 'K',
      onDelay: 60,
      thresholdSource: 'preset',
      disabled: true,
      text: text('Temperature difference across the system above 10 K', '全系统电池温差超过 10 K'),
      note: 'For the one-message-per-poll output: the spread over all strings, stricter than the standard when strings sit in different rooms; off by default.',
    },
  ];
  return rules;
}

/**
 * The controller cannot be read, or reports status 0x0000 (its own bus is down, docs/bacs.md §3.2): the bacs node
 * says so with quality comm_error, and the module rules keep their state with quality bad meanwhile.
 */
function communicationRule(t: string): AlarmRuleConfig {
  return {
    id: `bacs-${t}-communication-lost`,
    name: 'BACS communication lost',
    severity: 'major',
    path: 'quality',
    type: 'state',
    stateValue: 'comm_error',
    thresholdSource: 'manual',
    text: text('BACS communication lost (controller unreachable or status 0x0000)', 'BACS 通信中断（控制器无法访问或状态为 0x0000）'),
    note: 'docs/bacs.md §3.2: a status word of 0x0000 means the web manager lost its internal communication; the bacs node reports it, and an unreachable controller, as quality comm_error.',
  };
}

function presetFor(m: MonitorLimits): AlarmPreset {
  const t = m.key;
  return {
    id: `bacs-${t}`,
    label: text(`BACS ${m.type} (${m.block['en-US']})`, `BACS ${m.type}（${m.block['zh-CN']}）`),
    description: text(
      `Per-block limits for BACS ${m.type} monitors on ${m.block['en-US']}: voltage, internal resistance and the SJ 11237-2001 battery temperature limits, for the bacs node's payload.modules[*].`,
      `BACS ${m.type} 监测模块（${m.block['zh-CN']}）的单块限值：电压、内阻以及 SJ 11237-2001 电池温度限值，用于 bacs 节点的 payload.modules[*]。`,
    ),
    rules: [...voltageRules(m), ...resistanceRules(m), ...sj11237TemperatureRules(`bacs-${t}`, m.chemistry), communicationRule(t)],
  };
}

export const bacsPresets: AlarmPreset[] = [
  ...MONITOR_LIMITS.map(presetFor),
  {
    id: 'bacs-sj11237-2001',
    label: text('BACS battery temperature (SJ 11237-2001)', 'BACS 电池温度（SJ 11237-2001）'),
    description: text(
      'Battery temperature limits of the SJ 11237-2001 UPS standard for lead-acid batteries: warning outside 10-40 °C, alarm beyond -5/+55 °C, at most 10 K within a string.',
      'SJ 11237-2001 UPS 标准中铅酸电池的温度限值：超出 10-40 °C 警告，超出 -5/+55 °C 告警，同组温差不超过 10 K。',
    ),
    rules: sj11237TemperatureRules('bacs-sj11237'),
  },
];
