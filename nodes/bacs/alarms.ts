/**
 * BACS presets for alarm-rules (contract nodes/alarm-rules/types.ts): per-block voltage, temperature and
 * internal-resistance limits for each BACS monitor type, and the battery temperature limits of the SJ 11237-2001
 * UPS safety standard. The rules read the bacs node's envelope (`payload.modules[*].<field>`); the per-string
 * temperature spread needs the node's "one message per string" output (topic `<prefix>/<device>/string/<n>`).
 *
 * Where the figures come from (docs/bacs.md, docs/alarm-management.md §4):
 * - measuring ranges per monitor type: the BACS product sheet (docs/bacs.md §1.1) → thresholdSource 'manual';
 * - SJ 11237-2001: normal 10-40 °C, lead-acid extremes -5/+55 °C, at most 10 K between batteries → 'manual';
 * - block voltage and resistance levels: the Checkmk bacs_battery defaults for 12 V blocks (docs/bacs.md §4.3:
 *   14/15 V high, 10/9 V low, 15/18 mΩ), scaled per cell for 6 V blocks and 2 V cells; LiFePO4 cell levels for the
 *   C41.
 *   No vendor document states these, so they are 'preset' choices, each with a note.
 */
import type { AlarmPreset, AlarmRuleConfig, AlarmSeverity, LocalizedText } from '../alarm-rules/types';

export type MonitorType = 'C20' | 'C23' | 'C30' | 'C40' | 'C41';

interface Level {
  alarmValue: number;
  clearValue: number;
  severity: AlarmSeverity;
}

export interface MonitorLimits {
  type: MonitorType;
  /** what the monitor sits on (inferred from its range, docs/bacs.md §1.1) */
  block: LocalizedText;
  /** measuring ranges from the product sheet */
  voltageRange: [number, number];
  resistanceRange: [number, number];
  leadAcid: boolean;
  voltage: { highAlarm: Level; highWarning: Level; lowWarning: Level; lowAlarm: Level; note: LocalizedText };
  /** absolute resistance levels where a public source gives them; otherwise only the range check */
  resistance?: { warning: Level; alarm: Level; note: LocalizedText };
}

const lvl = (alarmValue: number, clearValue: number, severity: AlarmSeverity): Level => ({ alarmValue, clearValue, severity });

/** the Checkmk bacs_battery defaults for 12 V blocks (C20 and C23 both sit on them) */
const CHECKMK_12V_VOLTAGE: MonitorLimits['voltage'] = {
  highAlarm: lvl(15, 14.8, 'critical'),
  highWarning: lvl(14, 13.9, 'warning'),
  lowWarning: lvl(10, 10.2, 'warning'),
  lowAlarm: lvl(9, 9.3, 'major'),
  note: {
    'en-US': 'Checkmk bacs_battery default levels for 12 V blocks (14/15 V high, 10/9 V low); no vendor document states block limits.',
    'zh-CN': 'Checkmk bacs_battery 插件对 12 V 电池块的默认值（高 14/15 V，低 10/9 V）；厂商文档未给出电池块限值。',
  },
};

const CHECKMK_12V_RESISTANCE: NonNullable<MonitorLimits['resistance']> = {
  warning: lvl(15, 14.5, 'warning'),
  alarm: lvl(18, 17.5, 'major'),
  note: {
    'en-US': 'Checkmk bacs_battery default levels for 12 V blocks (15/18 mΩ); better: 1.2× / 1.5× your commissioning baseline.',
    'zh-CN': 'Checkmk bacs_battery 插件对 12 V 电池块的默认值（15/18 mΩ）；更好的做法是设为投运时基准值的 1.2 / 1.5 倍。',
  },
};

export const MONITOR_LIMITS: readonly MonitorLimits[] = [
  {
    type: 'C20',
    block: { 'en-US': '12 V lead-acid blocks', 'zh-CN': '12 V 铅酸电池块' },
    voltageRange: [9.7, 17],
    resistanceRange: [0.5, 60],
    leadAcid: true,
    voltage: CHECKMK_12V_VOLTAGE,
    resistance: CHECKMK_12V_RESISTANCE,
  },
  {
    type: 'C23',
    block: { 'en-US': '12 V lead-acid blocks (monitor range up to 21 V)', 'zh-CN': '12 V 铅酸电池块（监测范围至 21 V）' },
    voltageRange: [9.7, 21],
    resistanceRange: [0.5, 60],
    leadAcid: true,
    voltage: CHECKMK_12V_VOLTAGE,
    resistance: CHECKMK_12V_RESISTANCE,
  },
  {
    type: 'C30',
    block: { 'en-US': '6 V lead-acid blocks', 'zh-CN': '6 V 铅酸电池块' },
    voltageRange: [4.8, 8.0],
    resistanceRange: [0.5, 60],
    leadAcid: true,
    voltage: {
      highAlarm: lvl(7.5, 7.4, 'critical'),
      highWarning: lvl(7, 6.95, 'warning'),
      lowWarning: lvl(5, 5.1, 'warning'),
      lowAlarm: lvl(4.5, 4.65, 'major'),
      note: { 'en-US': 'The Checkmk 12 V levels scaled to 3 cells (7/7.5 V high, 5/4.5 V low); preset choice.', 'zh-CN': '将 Checkmk 12 V 限值按 3 节电池折算（高 7/7.5 V，低 5/4.5 V）；预设选择。' },
    },
  },
  {
    type: 'C40',
    block: { 'en-US': 'single 2 V lead-acid cells (also NiCd/LTO: change the levels)', 'zh-CN': '单体 2 V 铅酸电池（也用于镍镉/钛酸锂：请修改限值）' },
    voltageRange: [1.0, 3.2],
    resistanceRange: [0.02, 6],
    leadAcid: true,
    voltage: {
      highAlarm: lvl(2.5, 2.47, 'critical'),
      highWarning: lvl(2.33, 2.32, 'warning'),
      lowWarning: lvl(1.67, 1.7, 'warning'),
      lowAlarm: lvl(1.5, 1.55, 'major'),
      note: { 'en-US': 'The Checkmk 12 V levels scaled to one lead-acid cell (2.33/2.5 V high, 1.67/1.5 V low); preset choice.', 'zh-CN': '将 Checkmk 12 V 限值按单节铅酸电池折算（高 2.33/2.5 V，低 1.67/1.5 V）；预设选择。' },
    },
  },
  {
    type: 'C41',
    block: { 'en-US': 'single lithium cells (levels for LiFePO4)', 'zh-CN': '单体锂电池（限值按磷酸铁锂）' },
    voltageRange: [2.4, 5.0],
    resistanceRange: [0.5, 30],
    leadAcid: false,
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
  const t = m.type.toLowerCase();
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

function resistanceRules(m: MonitorLimits): AlarmRuleConfig[] {
  const t = m.type.toLowerCase();
  const rules: AlarmRuleConfig[] = [];
  if (m.resistance) {
    const base = { path: `${MODULES}.resistance`, unit: 'mΩ', onDelay: 60, thresholdSource: 'preset' as const, note: m.resistance.note['en-US'] };
    rules.push({ ...base, id: `bacs-${t}-resistance-high`, name: 'Internal resistance high', type: 'high', ...m.resistance.warning, text: text('Internal resistance high', '内阻偏高') });
    rules.push({ ...base, id: `bacs-${t}-resistance-alarm`, name: 'Internal resistance very high', type: 'high', ...m.resistance.alarm, requireAck: true, text: text('Internal resistance very high', '内阻过高告警') });
  }
  rules.push({
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
    note: `BACS product sheet: ${m.type} measures ${m.resistanceRange[0]}–${m.resistanceRange[1]} mΩ.${m.resistance ? '' : ' No public source gives absolute levels for this monitor: add rules at 1.2× and 1.5× your commissioning baseline.'}`,
  });
  return rules;
}

/**
 * SJ 11237-2001 battery temperature limits: warning outside the normal 10-40 °C band, alarm beyond the
 * lead-acid extremes -5/+55 °C, and at most 10 K between two batteries of a string. `prefix` names the rules.
 */
export function sj11237TemperatureRules(prefix: string, leadAcid = true): AlarmRuleConfig[] {
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
      name: leadAcid ? 'Battery temperature above the lead-acid limit' : 'Battery temperature above the limit',
      severity: 'major',
      type: 'high',
      alarmValue: 55,
      clearValue: 53,
      requireAck: true,
      thresholdSource: leadAcid ? 'manual' : 'preset',
      text: text('Battery temperature above the limit (55 °C)', '电池温度超过极限（55 °C）'),
      note: leadAcid
        ? 'SJ 11237-2001: lead-acid batteries -5 to +55 °C.'
        : 'SJ 11237-2001 gives -5/+55 °C for lead-acid and otherwise the battery maker\'s limits: set them here.',
    },
    {
      ...base,
      id: `${prefix}-temperature-low-alarm`,
      name: leadAcid ? 'Battery temperature below the lead-acid limit' : 'Battery temperature below the limit',
      severity: 'major',
      type: 'low',
      alarmValue: leadAcid ? -5 : 0,
      clearValue: leadAcid ? -3 : 2,
      requireAck: true,
      thresholdSource: leadAcid ? 'manual' : 'preset',
      text: leadAcid ? text('Battery temperature below the limit (-5 °C)', '电池温度低于极限（-5 °C）') : text('Battery temperature below the limit (0 °C)', '电池温度低于极限（0 °C）'),
      note: leadAcid
        ? 'SJ 11237-2001: lead-acid batteries -5 to +55 °C.'
        : 'Lithium cells must not be charged below 0 °C (typical maker limit); SJ 11237-2001 defers to the battery maker.',
    },
    {
      ...base,
      id: `${prefix}-temperature-spread`,
      name: 'Temperature difference within a string above 10 K',
      severity: 'minor',
      type: 'high',
      topic: '*/*/string/*',
      aggregate: 'spread',
      alarmValue: 10.1,
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
      alarmValue: 10.1,
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

function presetFor(m: MonitorLimits): AlarmPreset {
  const t = m.type.toLowerCase();
  return {
    id: `bacs-${t}`,
    label: text(`BACS ${m.type} (${m.block['en-US']})`, `BACS ${m.type}（${m.block['zh-CN']}）`),
    description: text(
      `Per-block limits for BACS ${m.type} monitors on ${m.block['en-US']}: voltage, internal resistance and the SJ 11237-2001 battery temperature limits, for the bacs node's payload.modules[*].`,
      `BACS ${m.type} 监测模块（${m.block['zh-CN']}）的单块限值：电压、内阻以及 SJ 11237-2001 电池温度限值，用于 bacs 节点的 payload.modules[*]。`,
    ),
    rules: [...voltageRules(m), ...resistanceRules(m), ...sj11237TemperatureRules(`bacs-${t}`, m.leadAcid)],
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
