/**
 * Every key of a JK reading (jk-bms and jk-balancer messages): type, unit, physical range, PLC register mapping,
 * label and description (lib/schema.ts says what each field means and who reads it).
 *
 * The ranges are what no real pack can report at any operating point, so a value outside is a corrupted frame that
 * passed its checksum (JK02's 8-bit sum, NW's 16-bit sum), not a measurement (docs/design.md §3.1). They are
 * deliberately wide: a pack reporting its true state must never be flagged.
 */
import type { LocalizedText } from '../../lib/alarm-types';
import { JK_BATTERY_TYPES, JK_CHARGE_STATUSES } from './protocol/types';
import { flagKey, integerKey, numberKey, rangeTable, text, textKey, type DeviceSchema, type KeySchema, type SchemaRange } from '../../lib/schema';
import type { Unit } from '../../lib/wire/envelope';

/** every JK board has at most 32 cell slots (JK02 32S, the Modbus block); the DZ11 balancer 24 */
const MAX_CELLS = 32;
/** JK hardware measures cells up to 5 V (the JK-B2A4S manual: cell range 1–5 V, docs/jk-bms-protocols.md §9) */
const MAX_CELL_V = 5;
/**
 * −55 °C: the bottom of common NTC probes and below NW's lowest code (raw 140 reads −41 °C under the rule of
 * docs/jk-bms-protocols.md §3.6, one below the vendor's −40). 150 °C: above every protection limit, so a real
 * over-temperature still arrives as a number and raises its alarm.
 */
const TEMPERATURE: SchemaRange = { min: -55, max: 150 };
/**
 * ±2000 A: the largest JK boards are rated a few hundred A; the reading is an average over the BMS's sample, so a
 * surge never reads near this. NW protocol 1 cannot even encode more than ±327.67 A.
 */
const MAX_CURRENT = 2000;
/** 32 cells × 5 V */
const MAX_PACK_V = MAX_CELLS * MAX_CELL_V;
/** far above any pack one JK board manages (the largest LiFePO4 cells are around 1000 Ah) */
const MAX_CAPACITY_AH = 10_000;

const CELL_V: SchemaRange = { min: 0, max: MAX_CELL_V };
const FROM_CELLS = ['cellVoltages'] as const;

/** a cell statistic: computed from the cells, so it goes when they go */
const cellStat = (label: LocalizedText, description: LocalizedText): KeySchema =>
  numberKey('V', 3, label, description, { range: { ...CELL_V, derivedFrom: FROM_CELLS }, register: { scale: 1000, format: 'uint16' } });
const cellIndex = (label: LocalizedText, description: LocalizedText): KeySchema =>
  integerKey(label, description, { quantity: 'index', range: { min: 1, max: MAX_CELLS, derivedFrom: FROM_CELLS } });
const BOOL_REGISTER = { register: { scale: 1, format: 'bool' } } as const;

/**
 * One setting of `payload.settings`: [key, unit, decimals, range, label en, label zh, description en, description zh].
 * Values in SI units (hours are sent as seconds); ranges are what no JK firmware accepts beyond, so a value outside is
 * a corrupted frame. The decoded keys are those of protocol/blocks.ts SETTINGS_BLOCK / DEVICE_SETTINGS, nw.ts NW_RECORDS
 * and balancer.ts; the configured switches are not here but in `switches`.
 */
type SettingRow = [string, Unit, number, SchemaRange | undefined, string, string, string, string];
const CELL_SETTING: SchemaRange = { min: 0, max: MAX_CELL_V };
const PACK_SETTING: SchemaRange = { min: 0, max: MAX_PACK_V };
const SET_CURRENT: SchemaRange = { min: 0, max: MAX_CURRENT };
const SET_TEMPERATURE: SchemaRange = { min: -60, max: 200 };
const DELAY: SchemaRange = { min: 0, max: 1e6 };
const CODE: SchemaRange | undefined = undefined;
const SETTING_ROWS: readonly SettingRow[] = [
  ['smartSleepVoltage', 'V', 3, CELL_SETTING, 'Smart sleep voltage', '智能休眠电压', 'cell voltage below which the BMS goes to smart sleep', '单体电压低于此值时 BMS 进入智能休眠'],
  ['cellUvp', 'V', 3, CELL_SETTING, 'Cell UVP', '单体欠压保护', 'cell under-voltage protection', '单体欠压保护电压'],
  ['cellUvpRecovery', 'V', 3, CELL_SETTING, 'Cell UVP recovery', '单体欠压恢复', 'cell under-voltage recovery', '单体欠压恢复电压'],
  ['cellUvpDelay', 's', 0, DELAY, 'Cell UVP delay', '单体欠压延时', 'cell under-voltage protection delay (NW)', '单体欠压保护延时（NW）'],
  ['cellOvp', 'V', 3, CELL_SETTING, 'Cell OVP', '单体过压保护', 'cell over-voltage protection', '单体过压保护电压'],
  ['cellOvpRecovery', 'V', 3, CELL_SETTING, 'Cell OVP recovery', '单体过压恢复', 'cell over-voltage recovery', '单体过压恢复电压'],
  ['cellOvpDelay', 's', 0, DELAY, 'Cell OVP delay', '单体过压延时', 'cell over-voltage protection delay (NW)', '单体过压保护延时（NW）'],
  ['packOvp', 'V', 2, PACK_SETTING, 'Pack OVP', '总压过压保护', 'pack over-voltage protection (NW)', '电池包过压保护电压（NW）'],
  ['packUvp', 'V', 2, PACK_SETTING, 'Pack UVP', '总压欠压保护', 'pack under-voltage protection (NW)', '电池包欠压保护电压（NW）'],
  ['cellDeltaProtection', 'V', 3, CELL_SETTING, 'Cell diff. protect', '压差保护', 'cell voltage difference protection (NW)', '单体压差保护（NW）'],
  ['balanceTriggerDelta', 'V', 3, CELL_SETTING, 'Balance trigger', '均衡触发压差', 'cell difference at which balancing starts', '开始均衡的单体压差'],
  ['balanceStartVoltage', 'V', 3, CELL_SETTING, 'Balance start', '均衡启动电压', 'cell voltage above which balancing may run', '单体电压高于此值时允许均衡'],
  ['maxBalanceCurrent', 'A', 3, { min: 0, max: 20 }, 'Max balance current', '最大均衡电流', 'largest balancing current', '最大均衡电流'],
  ['socFullVoltage', 'V', 3, CELL_SETTING, 'SOC 100 % voltage', 'SOC 100% 电压', 'cell voltage taken as full (SOC 100 %)', '视为充满（SOC 100%）的单体电压'],
  ['socEmptyVoltage', 'V', 3, CELL_SETTING, 'SOC 0 % voltage', 'SOC 0% 电压', 'cell voltage taken as empty (SOC 0 %)', '视为放空（SOC 0%）的单体电压'],
  ['chargeRequestVoltage', 'V', 3, CELL_SETTING, 'Charge request V', '请求充电电压', 'cell voltage the BMS asks the charger for (bulk/absorption)', 'BMS 向充电器请求的单体电压（恒流/恒压）'],
  ['floatVoltage', 'V', 3, CELL_SETTING, 'Float voltage', '浮充电压', 'cell voltage the BMS asks for in float', '浮充阶段请求的单体电压'],
  ['powerOffVoltage', 'V', 3, CELL_SETTING, 'Power-off voltage', '关机电压', 'cell voltage at which the BMS switches itself off', 'BMS 自行关机的单体电压'],
  ['maxChargeCurrent', 'A', 1, SET_CURRENT, 'Max charge', '最大充电电流', 'charge over-current protection (the charge limit an inverter is given)', '充电过流保护（逆变器使用的充电限流）'],
  ['chargeOcpDelay', 's', 0, DELAY, 'Charge OCP delay', '充电过流延时', 'charge over-current protection delay', '充电过流保护延时'],
  ['chargeOcpRecovery', 's', 0, DELAY, 'Charge OCP rec.', '充电过流恢复', 'time before charging resumes after an over-current', '充电过流后恢复的时间'],
  ['maxDischargeCurrent', 'A', 1, SET_CURRENT, 'Max discharge', '最大放电电流', 'discharge over-current protection (the discharge limit an inverter is given)', '放电过流保护（逆变器使用的放电限流）'],
  ['dischargeOcpDelay', 's', 0, DELAY, 'Discharge OCP delay', '放电过流延时', 'discharge over-current protection delay', '放电过流保护延时'],
  ['dischargeOcpRecovery', 's', 0, DELAY, 'Discharge OCP rec.', '放电过流恢复', 'time before discharging resumes after an over-current', '放电过流后恢复的时间'],
  ['shortCircuitDelay', 's', 6, DELAY, 'Short-circuit delay', '短路保护延时', 'short-circuit protection delay', '短路保护延时'],
  ['shortCircuitRecovery', 's', 0, DELAY, 'Short-circuit rec.', '短路恢复', 'time before the output returns after a short circuit', '短路保护后恢复的时间'],
  ['prechargeTime', 's', 0, DELAY, 'Precharge time', '预充时间', 'discharge precharge time', '放电预充时间'],
  ['chargeOtp', '°C', 1, SET_TEMPERATURE, 'Charge OTP', '充电过温保护', 'charge over-temperature protection', '充电过温保护温度'],
  ['chargeOtpRecovery', '°C', 1, SET_TEMPERATURE, 'Charge OTP rec.', '充电过温恢复', 'charge over-temperature recovery', '充电过温恢复温度'],
  ['dischargeOtp', '°C', 1, SET_TEMPERATURE, 'Discharge OTP', '放电过温保护', 'discharge over-temperature protection', '放电过温保护温度'],
  ['dischargeOtpRecovery', '°C', 1, SET_TEMPERATURE, 'Discharge OTP rec.', '放电过温恢复', 'discharge over-temperature recovery', '放电过温恢复温度'],
  ['chargeUtp', '°C', 1, SET_TEMPERATURE, 'Charge UTP', '充电低温保护', 'charge under-temperature protection', '充电低温保护温度'],
  ['chargeUtpRecovery', '°C', 1, SET_TEMPERATURE, 'Charge UTP rec.', '充电低温恢复', 'charge under-temperature recovery', '充电低温恢复温度'],
  ['dischargeUtp', '°C', 1, SET_TEMPERATURE, 'Discharge UTP', '放电低温保护', 'discharge under-temperature protection', '放电低温保护温度'],
  ['dischargeUtpRecovery', '°C', 1, SET_TEMPERATURE, 'Discharge UTP rec.', '放电低温恢复', 'discharge under-temperature recovery', '放电低温恢复温度'],
  ['mosOtp', '°C', 1, SET_TEMPERATURE, 'MOS OTP', 'MOS 过温保护', 'MOSFET over-temperature protection', 'MOS 管过温保护温度'],
  ['mosOtpRecovery', '°C', 1, SET_TEMPERATURE, 'MOS OTP recovery', 'MOS 过温恢复', 'MOSFET over-temperature recovery', 'MOS 管过温恢复温度'],
  ['boxOtp', '°C', 1, SET_TEMPERATURE, 'Box OTP', '箱体过温保护', 'enclosure over-temperature protection (NW)', '箱体过温保护温度（NW）'],
  ['boxOtpRecovery', '°C', 1, SET_TEMPERATURE, 'Box OTP recovery', '箱体过温恢复', 'enclosure over-temperature recovery (NW)', '箱体过温恢复温度（NW）'],
  ['temperatureDifferenceProtection', '°C', 1, SET_TEMPERATURE, 'Temperature diff.', '温差保护', 'battery temperature difference protection (NW)', '电池温差保护（NW）'],
  ['heaterStartTemperature', '°C', 0, SET_TEMPERATURE, 'Heater start', '加热开启温度', 'temperature below which the heater starts (JK-PB)', '低于此温度时开启加热（JK-PB）'],
  ['heaterStopTemperature', '°C', 0, SET_TEMPERATURE, 'Heater stop', '加热停止温度', 'temperature above which the heater stops (JK-PB)', '高于此温度时停止加热（JK-PB）'],
  ['cellCount', '', 0, { min: 0, max: MAX_CELLS }, 'Cell count', '串数', 'number of cells the BMS is set to', 'BMS 设置的电池串数'],
  ['designCapacity', 'Ah', 1, { min: 0, max: MAX_CAPACITY_AH }, 'Battery capacity', '电池容量', 'battery capacity set in the BMS', 'BMS 中设置的电池容量'],
  ['actualCapacity', 'Ah', 1, { min: 0, max: MAX_CAPACITY_AH }, 'Actual capacity', '实际容量', 'actual capacity (NW)', '实际容量（NW）'],
  ['currentCalibration', 'A', 3, { min: 0, max: 100 }, 'Current calibration', '电流校准', 'current calibration value (NW)', '电流校准值（NW）'],
  ['startCurrentCalibration', '', 0, CODE, 'Start calibration', '启动电流校准', 'start-current-calibration flag (NW)', '启动电流校准标志（NW）'],
  ['sleepTime', 's', 0, DELAY, 'Sleep time', '休眠等待时间', 'idle time before sleep (NW)', '进入休眠前的空闲时间（NW）'],
  ['smartSleepTime', 's', 0, DELAY, 'Smart sleep delay', '智能休眠延时', 'time below the smart-sleep voltage before smart sleep (the BMS sets hours)', '低于智能休眠电压多久后进入智能休眠（BMS 以小时设置）'],
  ['lowCapacityAlarm', '%', 0, { min: 0, max: 100 }, 'Low capacity alarm', '低容量告警', 'SOC below which the BMS raises its low-capacity alarm (NW)', 'SOC 低于此值时告警（NW）'],
  ['gpsShutdownVoltage', 'V', 3, CELL_SETTING, 'GPS shutdown V', 'GPS 关断电压', 'GPS module shutdown voltage (NW)', 'GPS 模块关断电压（NW）'],
  ['gpsRecoveryVoltage', 'V', 3, CELL_SETTING, 'GPS recovery V', 'GPS 恢复电压', 'GPS module recovery voltage (NW)', 'GPS 模块恢复电压（NW）'],
  ['chargeRequestVoltageTime', 's', 0, DELAY, 'Absorption time', '恒压时间', 'time the charge request voltage is held (the BMS sets tenths of hours)', '请求充电电压保持的时间（BMS 以 0.1 小时设置）'],
  ['floatVoltageTime', 's', 0, DELAY, 'Float time', '浮充时间', 'time the float voltage is held (the BMS sets tenths of hours)', '浮充电压保持的时间（BMS 以 0.1 小时设置）'],
  ['emergencyDuration', 's', 0, DELAY, 'Emergency duration', '应急时长', 'how long emergency mode runs', '应急模式持续时间'],
  ['reBulkSoc', '%', 0, { min: 0, max: 100 }, 'Re-bulk SOC', '重新充电 SOC', 'SOC below which charging returns from float to bulk', 'SOC 低于此值时由浮充回到恒流充电'],
  ['uart1Protocol', '', 0, CODE, 'UART1 protocol', 'UART1 协议', 'protocol number of UART1 (as the JK app lists it)', 'UART1 协议编号（与 JK 应用一致）'],
  ['uart2Protocol', '', 0, CODE, 'UART2 protocol', 'UART2 协议', 'protocol number of UART2', 'UART2 协议编号'],
  ['uart3Protocol', '', 0, CODE, 'UART3 protocol', 'UART3 协议', 'protocol number of UART3', 'UART3 协议编号'],
  ['canProtocol', '', 0, CODE, 'CAN protocol', 'CAN 协议', 'protocol number of the CAN port', 'CAN 口协议编号'],
  ['uart1ProtocolsEnabled', '', 0, CODE, 'UART1 protocols', 'UART1 可用协议', 'bit mask of the protocols UART1 offers', 'UART1 可选协议位掩码'],
  ['uart2ProtocolsEnabled', '', 0, CODE, 'UART2 protocols', 'UART2 可用协议', 'bit mask of the protocols UART2 offers', 'UART2 可选协议位掩码'],
  ['uart3ProtocolsEnabled', '', 0, CODE, 'UART3 protocols', 'UART3 可用协议', 'bit mask of the protocols UART3 offers', 'UART3 可选协议位掩码'],
  ['canProtocolsEnabled', '', 0, CODE, 'CAN protocols', 'CAN 可用协议', 'bit mask of the protocols the CAN port offers', 'CAN 口可选协议位掩码'],
  ['lcdBuzzerTrigger', '', 0, CODE, 'Buzzer trigger', '蜂鸣器触发', 'what sounds the LCD buzzer (code)', 'LCD 蜂鸣器触发条件（代码）'],
  ['dryContact1Trigger', '', 0, CODE, 'Dry 1 trigger', '干接点 1 触发', 'what closes dry contact 1 (code)', '干接点 1 触发条件（代码）'],
  ['dryContact2Trigger', '', 0, CODE, 'Dry 2 trigger', '干接点 2 触发', 'what closes dry contact 2 (code)', '干接点 2 触发条件（代码）'],
];

/** settings the BMS sets in hours (or tenths): sent in seconds, since `msg.units` has no hour */
export const SETTING_SECONDS_PER_UNIT: { readonly [key: string]: number } = { smartSleepTime: 3600, chargeRequestVoltageTime: 3600, floatVoltageTime: 3600 };

const settingField = ([, unit, precision, range, le, lz, de, dz]: SettingRow): KeySchema =>
  unit === ''
    ? integerKey(text(le, lz), text(de, dz), { category: 'config', quantity: range ? 'count' : 'raw', ...(range ? { range } : {}) })
    : numberKey(unit, precision, text(le, lz), text(de, dz), { category: 'config', ...(range ? { range } : {}) });

/** `payload.settings`: when they were read, then every setting the pack reported */
export const SETTINGS_FIELDS: { readonly [field: string]: KeySchema } = {
  readAt: integerKey(text('Read at', '读取时间'), text('when the settings were read, ms since the epoch', '读取设置的时间，自纪元起的毫秒数'), { quantity: 'raw' }),
  ...Object.fromEntries(SETTING_ROWS.map((row) => [row[0], settingField(row)])),
};

/** `payload.switches`: the switches as configured (protocol/types.ts JkSwitchStates), not the live MOSFET states */
type SwitchRow = [string, string, string, string, string];
const SWITCH_ROWS: readonly SwitchRow[] = [
  ['charge', 'Charge switch', '充电开关', 'charging is allowed (the setting; chargeEnabled is the MOSFET now)', '允许充电（设置；chargeEnabled 为 MOS 当前状态）'],
  ['discharge', 'Discharge switch', '放电开关', 'discharging is allowed (the setting; dischargeEnabled is the MOSFET now)', '允许放电（设置；dischargeEnabled 为 MOS 当前状态）'],
  ['balancer', 'Balancer switch', '均衡开关', 'balancing is allowed', '允许均衡'],
  ['heater', 'Heater switch', '加热开关', 'the heater may run (JK-PB)', '允许加热（JK-PB）'],
  ['temperatureSensorsDisabled', 'Probes disabled', '温度探头禁用', 'the temperature probes are disabled', '温度探头已禁用'],
  ['gpsHeartbeat', 'GPS heartbeat', 'GPS 心跳', 'GPS heartbeat on', 'GPS 心跳已开启'],
  ['portRs485', 'Port RS485', '端口为 RS485', 'the shared port is RS485 (else CAN)', '共用端口为 RS485（否则为 CAN）'],
  ['displayAlwaysOn', 'Display always on', '屏幕常亮', 'the display stays on', '显示屏常亮'],
  ['specialCharger', 'Special charger', '专用充电器', 'special charger mode', '专用充电器模式'],
  ['smartSleep', 'Smart sleep', '智能休眠', 'smart sleep on', '智能休眠已开启'],
  ['pclModuleDisabled', 'PCL module off', 'PCL 模块禁用', 'the PCL module is disabled', 'PCL 模块已禁用'],
  ['timedStoredData', 'Timed stored data', '定时存储数据', 'timed data storage on', '定时存储数据已开启'],
  ['chargingFloatMode', 'Float mode', '浮充模式', 'charging float mode on', '充电浮充模式已开启'],
  ['emergencyButtonTrigger', 'Emergency button', '应急按钮触发', 'the emergency button triggers emergency mode', '应急按钮触发应急模式'],
  ['dryContactAlarmIntermittent', 'Dry contact pulsed', '干接点间歇告警', 'dry-contact alarms pulse', '干接点告警为间歇输出'],
  ['dischargeOcp2', 'Discharge OCP 2', '放电过流保护 2', 'second discharge over-current stage on', '第二级放电过流保护已开启'],
  ['dischargeOcp3', 'Discharge OCP 3', '放电过流保护 3', 'third discharge over-current stage on', '第三级放电过流保护已开启'],
  ['gpsLockedCharging', 'GPS-locked charge', 'GPS 锁定充电', 'charging locked by GPS', '充电由 GPS 锁定'],
  ['gpsLockedDischarging', 'GPS-locked discharge', 'GPS 锁定放电', 'discharging locked by GPS', '放电由 GPS 锁定'],
  ['dedicatedCharger', 'Dedicated charger', '专用充电器', 'dedicated charger switch (NW)', '专用充电器开关（NW）'],
];
export const SWITCH_FIELDS: { readonly [field: string]: KeySchema } = Object.fromEntries(
  SWITCH_ROWS.map(([key, le, lz, de, dz]) => [key, flagKey(text(le, lz), text(de, dz), { category: 'config' })]),
);

export const JK_SCHEMA: DeviceSchema = {
  node: 'jk-bms',
  keys: {
    // the cells are what the node is for: a frame with an impossible cell is rejected whole
    cellVoltages: numberKey(
      'V',
      3,
      text('Cells', '单体电压'),
      text('voltage of each cell, in cell order; a cell that reads 0 mV is present and reads 0', '各单体电压，按单体顺序；读数为 0 mV 的单体仍存在，值为 0'),
      { type: 'number[]', range: { ...CELL_V, critical: true }, register: { scale: 1000, format: 'uint16', count: 16, maxCount: 32 } },
    ),
    cellMin: cellStat(text('Lowest cell', '最低单体'), text('voltage of the lowest cell', '最低单体电压')),
    cellMax: cellStat(text('Highest cell', '最高单体'), text('voltage of the highest cell', '最高单体电压')),
    cellAverage: cellStat(text('Cell average', '单体平均'), text('average cell voltage', '单体平均电压')),
    cellDelta: cellStat(text('Cell difference', '单体压差'), text('highest minus lowest cell voltage', '最高与最低单体电压之差')),
    cellMinIndex: cellIndex(text('Lowest cell', '最低单体号'), text('number of the lowest cell, from 1', '最低单体的编号，从 1 开始')),
    cellMaxIndex: cellIndex(text('Highest cell', '最高单体号'), text('number of the highest cell, from 1', '最高单体的编号，从 1 开始')),
    cellCount: integerKey(text('Cells', '单体数'), text('number of cells the device reports or has present', '设备上报或检测到的单体数'), {
      range: { min: 0, max: MAX_CELLS },
      register: { scale: 1, format: 'uint16' },
    }),
    // balance-wire resistances are around 50–160 mΩ in every capture; 10 Ω is an open lead, which the BMS reports
    // through its wire-resistance alarm rather than as a number
    cellResistances: numberKey('mΩ', 1, text('Wire resistances', '均衡线电阻'), text('balance-wire resistance of each cell', '各单体均衡线电阻'), {
      type: 'number[]',
      category: 'diagnostic',
      range: { min: 0, max: 10_000 },
      register: { scale: 100, format: 'uint16', count: 16, maxCount: 32 },
    }),
    voltage: numberKey('V', 2, text('Pack voltage', '总电压'), text('pack voltage', '电池包总电压'), {
      range: { min: 0, max: MAX_PACK_V },
      register: { scale: 100, format: 'uint16' },
    }),
    current: numberKey(
      'A',
      2,
      text('Current', '电流'),
      text('pack current, + charging, − discharging (after "invert current")', '电池包电流，充电为正、放电为负（已按“电流取反”处理）'),
      { range: { min: -MAX_CURRENT, max: MAX_CURRENT }, register: { scale: 100, format: 'int32' } },
    ),
    // NW computes power from voltage and current; JK02 and Modbus take the sign from the current
    power: numberKey('W', 0, text('Power', '功率'), text('pack power, signed like the current', '电池包功率，符号与电流相同'), {
      range: { min: -MAX_PACK_V * MAX_CURRENT, max: MAX_PACK_V * MAX_CURRENT, derivedFrom: ['voltage', 'current'] },
      register: { scale: 1, format: 'int32' },
    }),
    soc: numberKey('%', 0, text('SOC', '剩余电量'), text('state of charge', '荷电状态（SOC）'), {
      quantity: 'battery',
      range: { min: 0, max: 100 },
      register: { scale: 1, format: 'uint16' },
    }),
    soh: numberKey('%', 0, text('SOH', '健康度'), text('state of health', '健康状态（SOH）'), {
      range: { min: 0, max: 100 },
      register: { scale: 1, format: 'uint16' },
    }),
    // signed on the JK-PB (i32): a coulomb counter may run below zero near empty, so only the magnitude is bounded
    remainingCapacity: numberKey('Ah', 2, text('Remaining', '剩余容量'), text('remaining capacity', '剩余容量'), {
      range: { min: -MAX_CAPACITY_AH, max: MAX_CAPACITY_AH },
      register: { scale: 100, format: 'uint32' },
    }),
    nominalCapacity: numberKey('Ah', 2, text('Capacity', '标称容量'), text('nominal capacity set in the BMS', 'BMS 中设置的标称容量'), {
      category: 'diagnostic',
      range: { min: 0, max: MAX_CAPACITY_AH },
      register: { scale: 100, format: 'uint32' },
    }),
    // lifetime total: 10,000 full cycles of the largest pack
    cycleCapacity: numberKey('Ah', 1, text('Cycled charge', '累计循环容量'), text("charge cycled over the pack's life", '电池包寿命内累计循环的容量'), {
      category: 'diagnostic',
      accumulation: 'totalIncreasing',
      range: { min: 0, max: 10_000 * MAX_CAPACITY_AH },
      register: { scale: 10, format: 'uint32' },
    }),
    // LiFePO4 is rated for 6,000–10,000 cycles; the counter also counts partial charges
    cycles: integerKey(text('Cycles', '循环次数'), text('charge cycles counted by the BMS', 'BMS 统计的充放电循环次数'), {
      accumulation: 'totalIncreasing',
      range: { min: 0, max: 100_000 },
      register: { scale: 1, format: 'uint16' },
    }),
    mosTemperature: numberKey('°C', 1, text('MOS temperature', 'MOS 温度'), text('temperature of the power MOSFETs', '功率 MOS 管温度'), {
      range: TEMPERATURE,
      register: { scale: 10, format: 'int16' },
    }),
    temperatures: numberKey(
      '°C',
      1,
      text('Battery temperatures', '电池温度'),
      text("battery probes in the device's order; absent probes are left out", '电池温度探头，按设备顺序；未接的探头不列出'),
      { type: 'number[]', range: TEMPERATURE, register: { scale: 10, format: 'int16', count: 4, maxCount: 8 } },
    ),
    // JK active balancers move up to 2 A (JK-PB, DZ11 at most 2000 mA); 20 A leaves room for any model
    balanceCurrent: numberKey('A', 3, text('Balance current', '均衡电流'), text('balancing current, + while a cell is being charged', '均衡电流，对单体充电时为正'), {
      range: { min: -20, max: 20 },
      register: { scale: 1000, format: 'int16' },
    }),
    // 31 years of uptime
    runtime: numberKey('s', 0, text('Run time', '运行时间'), text('time the BMS has been running', 'BMS 累计运行时间'), {
      category: 'diagnostic',
      accumulation: 'totalIncreasing',
      range: { min: 0, max: 1e9 },
    }),
    chargeEnabled: flagKey(text('Charging on', '充电开关'), text('charge MOSFET switched on', '充电 MOS 已开启'), BOOL_REGISTER),
    dischargeEnabled: flagKey(text('Discharging on', '放电开关'), text('discharge MOSFET switched on', '放电 MOS 已开启'), BOOL_REGISTER),
    balancerEnabled: flagKey(text('Balancer on', '均衡开关'), text('balancer switched on', '均衡功能已开启'), BOOL_REGISTER),
    balancing: flagKey(text('Balancing', '均衡中'), text('the balancer is moving charge now', '均衡器正在均衡'), BOOL_REGISTER),
    heating: flagKey(text('Heating', '加热中'), text('the pack heater is on', '电池加热已开启')),
    precharging: flagKey(text('Precharging', '预充中'), text('the precharge circuit is on', '预充电路已开启')),
    temperatureProbes: textKey(
      text('Probe names', '探头名称'),
      text('names of the probes in `temperatures`, same order (T1, T2, T4, T5)', '`temperatures` 中各探头的名称，顺序相同（T1、T2、T4、T5）'),
      { type: 'string[]', category: 'diagnostic', values: ['T1', 'T2', 'T3', 'T4', 'T5'] },
    ),
    temperatureSensorCount: integerKey(text('Probe count', '温度探头数'), text('number of battery temperature probes the BMS reports', 'BMS 上报的电池温度探头数'), {
      category: 'diagnostic',
      range: { min: 0, max: 8 },
    }),
    // the JK-PB heater pad draws a few amperes; 50 A is no heater's
    heaterCurrent: numberKey('A', 2, text('Heater current', '加热电流'), text('current drawn by the pack heater', '电池加热器电流'), { range: { min: 0, max: 50 } }),
    emergency: flagKey(text('Emergency mode', '应急模式'), text('emergency mode is running (protections bypassed for a while)', '应急模式运行中（暂时旁路保护）')),
    emergencyCountdown: numberKey('s', 0, text('Emergency left', '应急剩余时间'), text('time left of emergency mode', '应急模式剩余时间'), {
      range: { min: 0, max: 86_400 },
    }),
    smartSleepCountdown: numberKey('s', 0, text('Sleep in', '休眠倒计时'), text('time until the BMS enters smart sleep', 'BMS 进入智能休眠前的剩余时间'), {
      range: { min: 0, max: 1e7 },
    }),
    chargeStatus: textKey(text('Charge stage', '充电阶段'), text('charge stage the BMS asks for: bulk, absorption or float', 'BMS 请求的充电阶段：bulk（恒流）、absorption（恒压）或 float（浮充）'), {
      values: JK_CHARGE_STATUSES,
    }),
    chargeStatusTime: numberKey('s', 0, text('Time in stage', '阶段时长'), text('time spent in the present charge stage', '当前充电阶段已持续的时间'), {
      range: { min: 0, max: 1e8 },
    }),
    dryContact1: flagKey(text('Dry contact 1', '干接点 1'), text('dry-contact output 1 is closed', '干接点输出 1 闭合')),
    dryContact2: flagKey(text('Dry contact 2', '干接点 2'), text('dry-contact output 2 is closed', '干接点输出 2 闭合')),
    batteryType: textKey(text('Battery type', '电池类型'), text('cell chemistry the BMS is set to: lfp, li-ion or lto', 'BMS 设置的电芯类型：lfp、li-ion 或 lto'), {
      category: 'config',
      values: JK_BATTERY_TYPES,
    }),
    logEntryCount: integerKey(text('Log entries', '日志条数'), text("entries in the BMS's event log", 'BMS 事件日志条数'), {
      category: 'diagnostic',
      accumulation: 'totalIncreasing',
      range: { min: 0, max: 1e6 },
    }),
    settings: {
      ...textKey(text('Settings', '参数设置'), text('the settings last read from the pack, with readAt', '最近一次从电池包读取的参数设置，含 readAt')),
      type: 'object',
      quantity: 'text',
      category: 'config',
      fields: SETTINGS_FIELDS,
    },
    switches: {
      ...flagKey(text('Switches', '开关设置'), text('the switches as configured in the pack', '电池包中配置的开关')),
      type: 'object',
      category: 'config',
      fields: SWITCH_FIELDS,
    },
    alarms: textKey(text('Alarms', '告警'), text("ids of the device's active alarms (nodes/jk-bms/alarms.ts)", '设备当前告警的 id（nodes/jk-bms/alarms.ts）'), { type: 'string[]' }),
  },
  registerOrder: [
    'voltage',
    'current',
    'power',
    'soc',
    'soh',
    'cellMin',
    'cellMax',
    'cellDelta',
    'cellAverage',
    'remainingCapacity',
    'nominalCapacity',
    'cycleCapacity',
    'cycles',
    'mosTemperature',
    'balanceCurrent',
    'chargeEnabled',
    'dischargeEnabled',
    'balancerEnabled',
    'balancing',
    'cellCount',
    'cellVoltages',
    'cellResistances',
    'temperatures',
  ],
};

/** the physical ranges as lib/plausibility.ts walks them */
export const JK_RANGES = rangeTable(JK_SCHEMA);
