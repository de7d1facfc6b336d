/**
 * Every key of a Jupiter unit's reading: type, unit, physical range, PLC register mapping, label and description
 * (lib/schema.ts says what each field means and who reads it). A user's SNMP profile may map more keys
 * (ENTITY-SENSOR rows, vendor rows of its own): those pass through without a schema entry.
 *
 * Ranges (docs/design.md §3.3): an agent can hand over any number its encoding allows (an ENTITY-SENSOR scale of
 * 10^303 turns 179 into 1.79e308 V), so a value no J540/J560 can have is dropped and named rather than sent, and
 * never moves an alarm threshold. Bounds sit well past the unit's figures (docs/jupiter-hvdc.md §1.1).
 */
import type { LocalizedText } from '../../lib/alarm-types';
import { flagKey, integerKey, numberKey, rangeTable, text, textKey, type DeviceSchema, type KeySchema, type RegisterFormat, type SchemaRange } from '../../lib/schema';

/**
 * DC bus, LOAD output and battery: 204–288 V output, a 230 V battery (docs/jupiter-hvdc.md §1.1). 400 V is above
 * any over-voltage the rectifiers would let through before shutting down, and well below a stray register.
 */
const DC_V: SchemaRange = { min: 0, max: 400 };
const TEMPERATURE: SchemaRange = { min: -55, max: 150 };
/** RFC 1628 NonNegativeInteger */
const COUNT: SchemaRange = { min: 0, max: 2_147_483_647 };
const CELL_V: SchemaRange = { min: 0, max: 5 };

const served = (scale: number, format: RegisterFormat): Pick<KeySchema, 'register'> => ({ register: { scale, format } });
const dcVoltage = (label: LocalizedText, description: LocalizedText): KeySchema => numberKey('V', 1, label, description, { range: DC_V, ...served(10, 'uint16') });
const cellStat = (label: LocalizedText, description: LocalizedText): KeySchema => numberKey('V', 3, label, description, { range: CELL_V, ...served(1000, 'uint16') });

export const JUPITER_SCHEMA: DeviceSchema = {
  node: 'jupiter-hvdc',
  keys: {
    dcOutputVoltage: dcVoltage(text('DC output voltage', '直流输出电压'), text('DC bus (output) voltage', '直流母线（输出）电压')),
    loadVoltage: dcVoltage(text('Load voltage', '负载输出电压'), text('LOAD output voltage', '负载输出电压')),
    batteryVoltage: dcVoltage(text('Battery voltage', '电池电压'), text('battery voltage', '电池电压')),
    // 12 kW from a battery near its cut-off draws about 60 A; the charger gives 2 A
    batteryCurrent: numberKey(
      'A',
      1,
      text('Battery current', '电池电流'),
      text('battery current, + = charging (unverified: tick "invert current" if charging reads negative)', '电池电流，充电为正（未经验证：充电时为负请勾选“电流取反”）'),
      { range: { min: -500, max: 500 }, ...served(10, 'int32') },
    ),
    soc: numberKey('%', 0, text('SOC', '剩余电量'), text('battery state of charge', '电池荷电状态'), { quantity: 'battery', range: { min: 0, max: 100 }, ...served(1, 'uint16') }),
    batteryTemperature: numberKey('°C', 1, text('Battery temperature', '电池温度'), text('battery temperature', '电池温度'), { range: TEMPERATURE, ...served(10, 'int16') }),
    // 176–300 V in operation; the manual's AC-interruption record ends at 398.90 (docs/jupiter-hvdc.md §2.3), so
    // readings near 400 V occur
    acInputVoltage: numberKey('V', 1, text('AC input voltage', '交流输入电压'), text('AC input voltage', '交流输入电压'), { range: { min: 0, max: 600 }, ...served(10, 'uint16') }),
    acInputFrequency: numberKey('Hz', 2, text('AC frequency', '交流频率'), text('AC input frequency', '交流输入频率'), { range: { min: 0, max: 100 }, ...served(100, 'uint16') }),
    cellVoltages: numberKey('V', 3, text('Cells', '单体电压'), text('battery cell voltages, where the profile maps them', '电池单体电压（配置中有映射时）'), {
      type: 'number[]',
      range: CELL_V,
      register: { scale: 1000, format: 'uint16', count: 20, maxCount: 120 },
    }),
    cellMin: cellStat(text('Lowest cell', '最低单体'), text('lowest cell voltage', '最低单体电压')),
    cellMax: cellStat(text('Highest cell', '最高单体'), text('highest cell voltage', '最高单体电压')),
    cellDelta: cellStat(text('Cell difference', '单体压差'), text('highest minus lowest cell voltage', '最高与最低单体电压之差')),
    // four rectifier slots per chassis (docs/jupiter-hvdc.md §1); agents may count every module
    rectifierCount: integerKey(text('Rectifiers', '整流模块数'), text('number of rectifier modules', '整流模块数量'), { range: { min: 0, max: 16 }, ...served(1, 'uint16') }),
    rectifiers: textKey(text('Rectifiers', '整流模块'), text('one entry per rectifier module', '每个整流模块一项'), {
      type: 'object[]',
      category: 'measurement',
      fields: {
        index: integerKey(text('Rectifier', '整流模块'), text("the agent's row index of the rectifier", '代理中该整流模块的行号'), { quantity: 'index' }),
        ok: flagKey(text('Rectifier OK', '整流模块正常'), text("the rectifier's state counts as ok", '整流模块状态正常'), {
          register: { scale: 1, format: 'bool', count: 4, maxCount: 32 },
        }),
        state: textKey(text('Rectifier state', '整流模块状态'), text("the rectifier's state as the profile's enumeration names it", '按配置枚举命名的整流模块状态')),
        // no rectifier carries more than the whole system's ~60 A; the sign is not checked, idle offsets read below 0
        current: numberKey('A', 1, text('Rectifier current', '整流模块电流'), text('output current of the rectifier', '整流模块输出电流'), {
          range: { min: -100, max: 100 },
          register: { scale: 10, format: 'int16', count: 4, maxCount: 32, servedAs: 'rectifierCurrents' },
        }),
      },
    }),
    secondsOnBattery: numberKey('s', 0, text('Time on battery', '电池供电时长'), text('time on battery (RFC 1628 upsSecondsOnBattery)', '电池供电持续时间（RFC 1628 upsSecondsOnBattery）'), {
      type: 'integer',
      range: COUNT,
      ...served(1, 'uint32'),
    }),
    estimatedMinutesRemaining: numberKey('min', 0, text('Runtime left', '剩余时间'), text('estimated minutes of battery time left (RFC 1628)', '估计剩余电池供电分钟数（RFC 1628）'), {
      type: 'integer',
      range: COUNT,
      ...served(1, 'uint16'),
    }),
    // RFC 1628 upsOutputPercentLoad: 0..200
    outputLoad: numberKey('%', 0, text('Load', '负载率'), text('output load in % of rating', '输出负载占额定值的百分比'), { range: { min: 0, max: 200 }, ...served(1, 'uint16') }),
    alarmsPresent: integerKey(text('Agent alarms', '代理告警数'), text("number of rows in the agent's UPS-MIB alarm table", '代理 UPS-MIB 告警表中的行数'), {
      range: { min: 0, max: 0xffffffff },
    }),
    batteryStatus: textKey(text('Battery status', '电池状态'), text('RFC 1628 upsBatteryStatus by name', 'RFC 1628 upsBatteryStatus 名称'), {
      values: ['unknown', 'normal', 'low', 'depleted'],
    }),
    outputSource: textKey(text('Output source', '输出来源'), text('RFC 1628 upsOutputSource by name', 'RFC 1628 upsOutputSource 名称'), {
      values: ['other', 'none', 'normal', 'bypass', 'battery', 'booster', 'reducer'],
    }),
    acInputOk: flagKey(
      text('AC input OK', '交流输入正常'),
      text('AC input present and its breaker closed, from the merged alarms or the output source', '交流输入正常且空开闭合，依据合并后的告警或输出来源'),
      served(1, 'bool'),
    ),
    onBattery: flagKey(text('On battery', '电池供电'), text('the load runs from the battery', '负载由电池供电'), served(1, 'bool')),
    contacts: flagKey(text('Contacts', '干接点'), text('dry contacts by number: true = closed', '按编号的干接点：true 表示闭合'), {
      type: 'record',
      of: 'boolean',
      register: { scale: 1, format: 'bool', count: 8, maxCount: 32, indexBase: 1 },
    }),
    contactStates: textKey(text('Contact states', '干接点状态'), text('dry contacts by number: closed, open, comm_error or unknown', '按编号的干接点状态：closed、open、comm_error 或 unknown'), {
      type: 'record',
      of: 'string',
      category: 'diagnostic',
      values: ['closed', 'open', 'comm_error', 'unknown'],
    }),
    flags: flagKey(text('Alarm flags', '告警标志'), text("each alarm flag by alarm id, 0/1 in the manual's polarity", '按告警 id 的各告警标志，0/1 按手册极性'), { type: 'record', of: 'number' }),
    sensors: integerKey(text('Sensors', '传感器'), text('ENTITY-SENSOR-MIB values by sensor name', '按传感器名称的 ENTITY-SENSOR-MIB 数值'), { type: 'record', of: 'number', quantity: 'raw' }),
    alarms: textKey(text('Alarms', '告警'), text("ids of the unit's active alarms (nodes/jupiter-hvdc/alarms.ts)", '设备当前告警的 id（nodes/jupiter-hvdc/alarms.ts）'), { type: 'string[]' }),
  },
  registerOrder: [
    'dcOutputVoltage',
    'loadVoltage',
    'batteryVoltage',
    'batteryCurrent',
    'soc',
    'batteryTemperature',
    'acInputVoltage',
    'acInputFrequency',
    'outputLoad',
    'estimatedMinutesRemaining',
    'secondsOnBattery',
    'acInputOk',
    'onBattery',
    'rectifierCount',
    'cellMin',
    'cellMax',
    'cellDelta',
    'cellVoltages',
    'rectifierCurrents',
    'rectifiers.ok',
    'contacts',
  ],
};

/** the physical ranges as lib/plausibility.ts walks them */
export const JUPITER_RANGES = rangeTable(JUPITER_SCHEMA);
