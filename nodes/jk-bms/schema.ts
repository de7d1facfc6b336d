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
