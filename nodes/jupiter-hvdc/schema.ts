/**
 * Every key of a Jupiter unit's reading: type, unit, physical range, PLC register mapping, label and description
 * (lib/schema.ts says what each field means and who reads it). A user's SNMP profile may map more keys
 * (ENTITY-SENSOR rows, vendor rows of its own): those pass through without a schema entry.
 *
 * Ranges (docs/design.md §3.3): an agent can hand over any number its encoding allows (an ENTITY-SENSOR scale of
 * 10^303 turns 179 into 1.79e308 V), so a value no J540/J560 can have is dropped and named rather than sent, and
 * never moves an alarm threshold. Bounds sit well past the unit's figures (docs/jupiter-hvdc.md §1.1).
 */
import { rangeTable, text, type DeviceSchema, type KeySchema, type SchemaRange } from '../../lib/schema';

/**
 * DC bus, LOAD output and battery: 204–288 V output, a 230 V battery (docs/jupiter-hvdc.md §1.1). 400 V is above
 * any over-voltage the rectifiers would let through before shutting down, and well below a stray register.
 */
const DC_V: SchemaRange = { min: 0, max: 400 };
const TEMPERATURE: SchemaRange = { min: -55, max: 150 };
/** RFC 1628 NonNegativeInteger */
const COUNT: SchemaRange = { min: 0, max: 2_147_483_647 };
const CELL_V: SchemaRange = { min: 0, max: 5 };

const dcVoltage = (label: KeySchema['label'], description: KeySchema['description']): KeySchema => ({
  type: 'number',
  unit: 'V',
  quantity: 'voltage',
  category: 'measurement',
  precision: 1,
  range: DC_V,
  label,
  description,
  register: { scale: 10, format: 'uint16' },
});

const cellStat = (label: KeySchema['label'], description: KeySchema['description']): KeySchema => ({
  type: 'number',
  unit: 'V',
  quantity: 'voltage',
  category: 'measurement',
  precision: 3,
  range: CELL_V,
  label,
  description,
  register: { scale: 1000, format: 'uint16' },
});

export const JUPITER_SCHEMA: DeviceSchema = {
  node: 'jupiter-hvdc',
  keys: {
    dcOutputVoltage: dcVoltage(text('DC output', '直流输出'), text('DC bus (output) voltage', '直流母线（输出）电压')),
    loadVoltage: dcVoltage(text('LOAD output', '负载输出'), text('LOAD output voltage', '负载输出电压')),
    batteryVoltage: dcVoltage(text('Battery', '电池电压'), text('battery voltage', '电池电压')),
    // 12 kW from a battery near its cut-off draws about 60 A; the charger gives 2 A
    batteryCurrent: {
      type: 'number',
      unit: 'A',
      quantity: 'current',
      category: 'measurement',
      precision: 1,
      range: { min: -500, max: 500 },
      label: text('Battery current', '电池电流'),
      description: text('battery current, + = charging (unverified: tick "invert current" if charging reads negative)', '电池电流，充电为正（未经验证：充电时为负请勾选“电流取反”）'),
      register: { scale: 10, format: 'int32' },
    },
    soc: {
      type: 'number',
      unit: '%',
      quantity: 'battery',
      category: 'measurement',
      precision: 0,
      range: { min: 0, max: 100 },
      label: text('SOC', '剩余电量'),
      description: text('battery state of charge', '电池荷电状态'),
      register: { scale: 1, format: 'uint16' },
    },
    batteryTemperature: {
      type: 'number',
      unit: '°C',
      quantity: 'temperature',
      category: 'measurement',
      precision: 1,
      range: TEMPERATURE,
      label: text('Battery temp.', '电池温度'),
      description: text('battery temperature', '电池温度'),
      register: { scale: 10, format: 'int16' },
    },
    // 176–300 V in operation; the manual's AC-interruption record ends at 398.90 (docs/jupiter-hvdc.md §2.3), so
    // readings near 400 V occur
    acInputVoltage: {
      type: 'number',
      unit: 'V',
      quantity: 'voltage',
      category: 'measurement',
      precision: 1,
      range: { min: 0, max: 600 },
      label: text('AC input', '交流输入'),
      description: text('AC input voltage', '交流输入电压'),
      register: { scale: 10, format: 'uint16' },
    },
    acInputFrequency: {
      type: 'number',
      unit: 'Hz',
      quantity: 'frequency',
      category: 'measurement',
      precision: 2,
      range: { min: 0, max: 100 },
      label: text('AC frequency', '交流频率'),
      description: text('AC input frequency', '交流输入频率'),
      register: { scale: 100, format: 'uint16' },
    },
    cellVoltages: {
      type: 'number[]',
      unit: 'V',
      quantity: 'voltage',
      category: 'measurement',
      precision: 3,
      range: CELL_V,
      label: text('Cells', '单体电压'),
      description: text('battery cell voltages, where the profile maps them', '电池单体电压（配置中有映射时）'),
      register: { scale: 1000, format: 'uint16', count: 20, maxCount: 120 },
    },
    cellMin: cellStat(text('Lowest cell', '最低单体'), text('lowest cell voltage', '最低单体电压')),
    cellMax: cellStat(text('Highest cell', '最高单体'), text('highest cell voltage', '最高单体电压')),
    cellDelta: cellStat(text('Cell difference', '单体压差'), text('highest minus lowest cell voltage', '最高与最低单体电压之差')),
    // four rectifier slots per chassis (docs/jupiter-hvdc.md §1); agents may count every module
    rectifierCount: {
      type: 'integer',
      unit: '',
      quantity: 'count',
      category: 'diagnostic',
      range: { min: 0, max: 16 },
      label: text('Rectifiers', '整流模块数'),
      description: text('number of rectifier modules', '整流模块数量'),
      register: { scale: 1, format: 'uint16' },
    },
    rectifiers: {
      type: 'object[]',
      unit: '',
      quantity: 'text',
      category: 'measurement',
      label: text('Rectifiers', '整流模块'),
      description: text('one entry per rectifier module', '每个整流模块一项'),
      fields: {
        index: {
          type: 'integer',
          unit: '',
          quantity: 'index',
          category: 'diagnostic',
          label: text('Rectifier', '整流模块'),
          description: text('the agent\'s row index of the rectifier', '代理中该整流模块的行号'),
        },
        ok: {
          type: 'boolean',
          unit: '',
          quantity: 'flag',
          category: 'state',
          label: text('Rectifier ok', '整流模块正常'),
          description: text('the rectifier\'s state counts as ok', '整流模块状态正常'),
          register: { scale: 1, format: 'bool', count: 4, maxCount: 32 },
        },
        state: {
          type: 'string',
          unit: '',
          quantity: 'text',
          category: 'state',
          label: text('Rectifier state', '整流模块状态'),
          description: text('the rectifier\'s state as the profile\'s enumeration names it', '按配置枚举命名的整流模块状态'),
        },
        // no rectifier carries more than the whole system's ~60 A; the sign is not checked, idle offsets read below 0
        current: {
          type: 'number',
          unit: 'A',
          quantity: 'current',
          category: 'measurement',
          precision: 1,
          range: { min: -100, max: 100 },
          label: text('Rectifier current', '整流模块电流'),
          description: text('output current of the rectifier', '整流模块输出电流'),
          register: { scale: 10, format: 'int16', count: 4, maxCount: 32, servedAs: 'rectifierCurrents' },
        },
      },
    },
    secondsOnBattery: {
      type: 'integer',
      unit: 's',
      quantity: 'duration',
      category: 'measurement',
      precision: 0,
      range: COUNT,
      label: text('On battery', '电池供电时长'),
      description: text('time on battery (RFC 1628 upsSecondsOnBattery)', '电池供电持续时间（RFC 1628 upsSecondsOnBattery）'),
      register: { scale: 1, format: 'uint32' },
    },
    estimatedMinutesRemaining: {
      type: 'integer',
      unit: 'min',
      quantity: 'duration',
      category: 'measurement',
      precision: 0,
      range: COUNT,
      label: text('Runtime left', '剩余时间'),
      description: text('estimated minutes of battery time left (RFC 1628)', '估计剩余电池供电分钟数（RFC 1628）'),
      register: { scale: 1, format: 'uint16' },
    },
    // RFC 1628 upsOutputPercentLoad: 0..200
    outputLoad: {
      type: 'number',
      unit: '%',
      quantity: 'percentage',
      category: 'measurement',
      precision: 0,
      range: { min: 0, max: 200 },
      label: text('Load', '负载率'),
      description: text('output load in % of rating', '输出负载占额定值的百分比'),
      register: { scale: 1, format: 'uint16' },
    },
    alarmsPresent: {
      type: 'integer',
      unit: '',
      quantity: 'count',
      category: 'diagnostic',
      range: { min: 0, max: 0xffffffff },
      label: text('Agent alarms', '代理告警数'),
      description: text('number of rows in the agent\'s UPS-MIB alarm table', '代理 UPS-MIB 告警表中的行数'),
    },
    batteryStatus: {
      type: 'string',
      unit: '',
      quantity: 'text',
      category: 'state',
      values: ['unknown', 'normal', 'low', 'depleted'],
      label: text('Battery status', '电池状态'),
      description: text('RFC 1628 upsBatteryStatus by name', 'RFC 1628 upsBatteryStatus 名称'),
    },
    outputSource: {
      type: 'string',
      unit: '',
      quantity: 'text',
      category: 'state',
      values: ['other', 'none', 'normal', 'bypass', 'battery', 'booster', 'reducer'],
      label: text('Output source', '输出来源'),
      description: text('RFC 1628 upsOutputSource by name', 'RFC 1628 upsOutputSource 名称'),
    },
    acInputOk: {
      type: 'boolean',
      unit: '',
      quantity: 'flag',
      category: 'state',
      label: text('AC input ok', '交流输入正常'),
      description: text('AC input present and its breaker closed, from the merged alarms or the output source', '交流输入正常且空开闭合，依据合并后的告警或输出来源'),
      register: { scale: 1, format: 'bool' },
    },
    onBattery: {
      type: 'boolean',
      unit: '',
      quantity: 'flag',
      category: 'state',
      label: text('On battery', '电池供电'),
      description: text('the load runs from the battery', '负载由电池供电'),
      register: { scale: 1, format: 'bool' },
    },
    contacts: {
      type: 'record',
      of: 'boolean',
      unit: '',
      quantity: 'flag',
      category: 'state',
      label: text('Contacts', '干接点'),
      description: text('dry contacts by number: true = closed', '按编号的干接点：true 表示闭合'),
      register: { scale: 1, format: 'bool', count: 8, maxCount: 32, indexBase: 1 },
    },
    contactStates: {
      type: 'record',
      of: 'string',
      unit: '',
      quantity: 'text',
      category: 'diagnostic',
      values: ['closed', 'open', 'comm_error', 'unknown'],
      label: text('Contact states', '干接点状态'),
      description: text('dry contacts by number: closed, open, comm_error or unknown', '按编号的干接点状态：closed、open、comm_error 或 unknown'),
    },
    flags: {
      type: 'record',
      of: 'number',
      unit: '',
      quantity: 'flag',
      category: 'state',
      label: text('Alarm flags', '告警标志'),
      description: text('each alarm flag by alarm id, 0/1 in the manual\'s polarity', '按告警 id 的各告警标志，0/1 按手册极性'),
    },
    sensors: {
      type: 'record',
      of: 'number',
      unit: '',
      quantity: 'raw',
      category: 'diagnostic',
      label: text('Sensors', '传感器'),
      description: text('ENTITY-SENSOR-MIB values by sensor name', '按传感器名称的 ENTITY-SENSOR-MIB 数值'),
    },
    alarms: {
      type: 'string[]',
      unit: '',
      quantity: 'text',
      category: 'state',
      label: text('Alarms', '告警'),
      description: text('ids of the unit\'s active alarms (nodes/jupiter-hvdc/alarms.ts)', '设备当前告警的 id（nodes/jupiter-hvdc/alarms.ts）'),
    },
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
