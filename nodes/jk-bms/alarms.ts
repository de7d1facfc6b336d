/**
 * JK alarm catalogue (stable ids with en-US / zh-CN texts), the bit maps of each protocol's alarm words, and
 * the alarm-rules presets built from the JK manuals' protection semantics (docs/jk-bms-protocols.md §9).
 */
import type { AlarmPreset, AlarmRuleConfig, AlarmSeverity, LocalizedText } from '../../lib/alarm-types';

export interface JkAlarmDefinition {
  id: string;
  severity: AlarmSeverity;
  text: LocalizedText;
}

/** Every alarm id a JK decoder can report. Ids are stable: flows and dashboards match on them. */
export const JK_ALARMS: readonly JkAlarmDefinition[] = [
  { id: 'wire-resistance', severity: 'minor', text: { 'en-US': 'Balance-wire resistance too high', 'zh-CN': '均衡线电阻过大' } },
  { id: 'mos-over-temperature', severity: 'major', text: { 'en-US': 'MOSFET over-temperature', 'zh-CN': 'MOS管过温' } },
  { id: 'cell-count-mismatch', severity: 'major', text: { 'en-US': 'Cell count differs from the setting', 'zh-CN': '电池串数与设置不符' } },
  { id: 'current-sensor-error', severity: 'minor', text: { 'en-US': 'Current sensor error', 'zh-CN': '电流传感器异常' } },
  { id: 'cell-over-voltage', severity: 'major', text: { 'en-US': 'Cell over-voltage', 'zh-CN': '单体过压' } },
  { id: 'pack-over-voltage', severity: 'major', text: { 'en-US': 'Pack over-voltage', 'zh-CN': '总压过压' } },
  { id: 'charge-over-current', severity: 'major', text: { 'en-US': 'Charge over-current', 'zh-CN': '充电过流' } },
  { id: 'charge-short-circuit', severity: 'critical', text: { 'en-US': 'Charge short circuit', 'zh-CN': '充电短路' } },
  { id: 'charge-over-temperature', severity: 'major', text: { 'en-US': 'Charge over-temperature', 'zh-CN': '充电过温' } },
  { id: 'charge-under-temperature', severity: 'major', text: { 'en-US': 'Charge under-temperature', 'zh-CN': '充电低温' } },
  { id: 'coprocessor-comm-error', severity: 'minor', text: { 'en-US': 'Coprocessor communication error', 'zh-CN': '协处理器通信异常' } },
  { id: 'cell-under-voltage', severity: 'major', text: { 'en-US': 'Cell under-voltage', 'zh-CN': '单体欠压' } },
  { id: 'pack-under-voltage', severity: 'major', text: { 'en-US': 'Pack under-voltage', 'zh-CN': '总压欠压' } },
  { id: 'discharge-over-current', severity: 'major', text: { 'en-US': 'Discharge over-current', 'zh-CN': '放电过流' } },
  { id: 'discharge-short-circuit', severity: 'critical', text: { 'en-US': 'Discharge short circuit', 'zh-CN': '放电短路' } },
  { id: 'discharge-over-temperature', severity: 'major', text: { 'en-US': 'Discharge over-temperature', 'zh-CN': '放电过温' } },
  { id: 'charge-mos-fault', severity: 'critical', text: { 'en-US': 'Charge MOSFET fault', 'zh-CN': '充电MOS管故障' } },
  { id: 'discharge-mos-fault', severity: 'critical', text: { 'en-US': 'Discharge MOSFET fault', 'zh-CN': '放电MOS管故障' } },
  { id: 'gps-disconnected', severity: 'warning', text: { 'en-US': 'GPS module disconnected', 'zh-CN': 'GPS断开' } },
  { id: 'default-password', severity: 'warning', text: { 'en-US': 'Factory default password still set', 'zh-CN': '请及时修改出厂密码' } },
  { id: 'discharge-on-failed', severity: 'major', text: { 'en-US': 'Discharge switch-on failed', 'zh-CN': '放电开启失败' } },
  { id: 'battery-over-temperature', severity: 'major', text: { 'en-US': 'Battery over-temperature', 'zh-CN': '电池过温' } },
  { id: 'temperature-sensor-fault', severity: 'minor', text: { 'en-US': 'Temperature sensor fault', 'zh-CN': '温度传感器异常' } },
  { id: 'pcl-module-fault', severity: 'minor', text: { 'en-US': 'PCL module fault', 'zh-CN': '并联模块异常' } },
  { id: 'short-circuit-release-failed', severity: 'critical', text: { 'en-US': 'Short-circuit release failed', 'zh-CN': '短路保护解除失败' } },
  { id: 'discharge-over-current-2', severity: 'major', text: { 'en-US': 'Discharge over-current level II', 'zh-CN': '放电二级过流' } },
  { id: 'discharge-over-current-3', severity: 'critical', text: { 'en-US': 'Discharge over-current level III', 'zh-CN': '放电三级过流' } },
  { id: 'discharge-under-temperature', severity: 'major', text: { 'en-US': 'Discharge under-temperature', 'zh-CN': '放电低温' } },
  { id: 'gps-remote-lock', severity: 'warning', text: { 'en-US': 'Locked by GPS remote', 'zh-CN': 'GPS远程锁定' } },
  { id: 'low-capacity', severity: 'warning', text: { 'en-US': 'Low capacity', 'zh-CN': '容量过低' } },
  { id: 'cell-voltage-difference', severity: 'minor', text: { 'en-US': 'Cell voltage difference too large', 'zh-CN': '单体压差过大' } },
  { id: 'box-over-temperature', severity: 'major', text: { 'en-US': 'Battery-box over-temperature', 'zh-CN': '电池箱过温' } },
  { id: 'battery-under-temperature', severity: 'major', text: { 'en-US': 'Battery low temperature', 'zh-CN': '电池低温' } },
  { id: 'protection-309a', severity: 'major', text: { 'en-US': '309_A protection', 'zh-CN': '309_A保护' } },
  { id: 'protection-309b', severity: 'major', text: { 'en-US': '309_B protection', 'zh-CN': '309_B保护' } },
  { id: 'balancer-over-voltage', severity: 'major', text: { 'en-US': 'Balancer over-voltage', 'zh-CN': '均衡器过压' } },
];

export const JK_ALARM_BY_ID: ReadonlyMap<string, JkAlarmDefinition> = new Map(JK_ALARMS.map((a) => [a.id, a]));


export function alarmText(id: string, lang: 'en-US' | 'zh-CN' = 'en-US'): string {
  return JK_ALARM_BY_ID.get(id)?.text[lang] ?? id;
}

// ---------------------------------------------------------------------------------------------------------------
// alarm-rules presets

interface ChemistryLimits {
  id: string;
  label: LocalizedText;
  /** V: over-voltage protection and its recovery, under-voltage protection and its recovery */
  ovp: number;
  ovpr: number;
  uvp: number;
  uvpr: number;
  /** V spread across cells */
  delta: number;
  deltaClear: number;
}

/**
 * Cell limits per chemistry. The manuals state the semantics (OVP/OVPR, UVP/UVPR, act on the charge /
 * discharge MOSFET) but no numbers, so every voltage here is a preset choice: LiFePO4 OVP/UVP as on a JK-PB
 * (vector jk02-settings-01: 3.65/3.444, 2.70/2.901), Li-ion and LTO the common cell-maker limits. OVP sits above
 * the chemistry's normal end-of-charge voltage (Li-ion 4.20 V, LiFePO4 3.45 V) so a full charge raises nothing.
 */
const CHEMISTRIES: readonly ChemistryLimits[] = [
  { id: 'jk-lifepo4', label: { 'en-US': 'JK BMS, LiFePO4 pack', 'zh-CN': 'JK BMS 磷酸铁锂电池组' }, ovp: 3.65, ovpr: 3.45, uvp: 2.7, uvpr: 2.9, delta: 0.1, deltaClear: 0.05 },
  { id: 'jk-li-ion', label: { 'en-US': 'JK BMS, Li-ion (NMC) pack', 'zh-CN': 'JK BMS 三元锂电池组' }, ovp: 4.25, ovpr: 4.15, uvp: 3.0, uvpr: 3.2, delta: 0.1, deltaClear: 0.05 },
  { id: 'jk-lto', label: { 'en-US': 'JK BMS, LTO pack', 'zh-CN': 'JK BMS 钛酸锂电池组' }, ovp: 2.8, ovpr: 2.7, uvp: 1.8, uvpr: 2.0, delta: 0.1, deltaClear: 0.05 },
];

function chemistryRules(c: ChemistryLimits): AlarmRuleConfig[] {
  const p = c.id;
  return [
    {
      id: `${p}-cell-ovp`, name: 'Cell over-voltage', severity: 'major', path: 'payload.cellVoltages[*]', aggregate: 'max', type: 'high',
      alarmValue: c.ovp, clearValue: c.ovpr, strict: true, unit: 'V', thresholdSource: 'preset',
      text: { 'en-US': 'Cell above OVP (the BMS stops charging at its own OVP)', 'zh-CN': '单体电压超过OVP（BMS在其OVP处停止充电）' },
      note: 'Manual: any cell above OVP turns charging off until all cells are below OVPR. The alarm follows the BMS only when both are set to the values in your JK app.',
    },
    {
      id: `${p}-cell-uvp`, name: 'Cell under-voltage', severity: 'major', path: 'payload.cellVoltages[*]', aggregate: 'min', type: 'low',
      alarmValue: c.uvp, clearValue: c.uvpr, strict: true, unit: 'V', thresholdSource: 'preset',
      text: { 'en-US': 'Cell below UVP (the BMS stops discharging at its own UVP)', 'zh-CN': '单体电压低于UVP（BMS在其UVP处停止放电）' },
      note: 'Manual: any cell below UVP turns discharging off until all cells are above UVPR. The alarm follows the BMS only when both are set to the values in your JK app.',
    },
    {
      id: `${p}-cell-delta`, name: 'Cell voltage difference', severity: 'minor', path: 'payload.cellDelta', type: 'high',
      alarmValue: c.delta, clearValue: c.deltaClear, unit: 'V', onDelay: 60, thresholdSource: 'preset',
      text: { 'en-US': 'Cell voltage difference too large', 'zh-CN': '单体压差过大' },
      note: 'The manuals give no limit; balancing should keep the spread well below this.',
    },
    {
      id: `${p}-charge-otp`, name: 'Battery over-temperature', severity: 'major', path: 'payload.temperatures[*]', aggregate: 'max', type: 'high',
      alarmValue: 45, clearValue: 40, unit: '°C', thresholdSource: 'preset',
      text: { 'en-US': 'Battery over-temperature (charging stops)', 'zh-CN': '电池过温（停止充电）' },
      note: 'Manual: above charge OTP the charge MOSFET opens; below OTPR it closes again. Set to your pack settings.',
    },
    {
      id: `${p}-charge-utp`, name: 'Battery under-temperature', severity: 'major', path: 'payload.temperatures[*]', aggregate: 'min', type: 'low',
      alarmValue: c.id === 'jk-lto' ? -20 : 0, clearValue: c.id === 'jk-lto' ? -15 : 5, unit: '°C', thresholdSource: 'preset',
      text: { 'en-US': 'Battery under-temperature (charging stops)', 'zh-CN': '电池低温（停止充电）' },
      note: 'Manual: below charge UTP the charge MOSFET opens; above UTPR it closes again. LTO tolerates colder charging.',
    },
    {
      id: `${p}-discharge-otp`, name: 'Discharge over-temperature', severity: 'major', path: 'payload.temperatures[*]', aggregate: 'max', type: 'high',
      alarmValue: 60, clearValue: 55, unit: '°C', thresholdSource: 'preset',
      text: { 'en-US': 'Discharge over-temperature', 'zh-CN': '放电过温' },
      note: 'Discharge OTP/OTPR are settings of the BMS; these are conservative defaults.',
    },
    {
      id: `${p}-mos-otp`, name: 'MOSFET over-temperature', severity: 'critical', path: 'payload.mosTemperature', type: 'high',
      alarmValue: 75, clearValue: 65, unit: '°C', thresholdSource: 'manual',
      text: { 'en-US': 'MOSFET over-temperature (both MOSFETs open)', 'zh-CN': 'MOS管过温（充放电MOS均关闭）' },
      note: 'Manual: 75 °C / 65 °C fixed at the factory. A JK-PB may report other values (80/70 seen); follow the device.',
    },
  ];
}

export const jkPresets: AlarmPreset[] = CHEMISTRIES.map((c) => ({
  id: c.id,
  label: c.label,
  description: {
    'en-US': 'Cell over/under-voltage with recovery, cell spread, charge/discharge temperature and MOSFET temperature, as the JK manuals describe the protections.',
    'zh-CN': '按JK说明书的保护逻辑：单体过压/欠压及恢复、压差、充放电温度与MOS管温度。',
  },
  rules: chemistryRules(c),
}));
