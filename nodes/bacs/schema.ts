/**
 * Every key of a BACS reading: type, unit, physical range, PLC register mapping, label and description
 * (lib/schema.ts says what each field means and who reads it).
 *
 * Ranges (docs/design.md §3.2): Modbus/TCP has no checksum of its own above TCP, the module template's scales are
 * unverified (docs/bacs.md §3.5) and a controller can report whatever its 16-bit registers hold, so a value outside
 * what any BACS system can measure is dropped and named rather than sent as a measurement. Each bound sits well
 * past the hardware's limits: a real battery must never be flagged.
 */
import { rangeTable, text, type DeviceSchema, type KeySchema, type SchemaRange } from '../../lib/schema';

/**
 * Block voltage: the widest monitor range is 21 V (C23, the ex3 housings; docs/bacs.md §1.1); 30 V leaves room for
 * a block read just past its monitor's range, and is far below the 6553.5 V or 655.34 V of a stray 0xFFFF/0xFFFE.
 */
const BLOCK_V: SchemaRange = { min: 0, max: 30 };
/** the monitor's own sensor reads −35 to +85 °C (docs/bacs.md §1.1); the bounds are those of every device here */
const TEMPERATURE: SchemaRange = { min: -55, max: 150 };
/** no UPS or battery plant string carries more; its DC current sensors are rated far lower */
const MAX_STRING_CURRENT = 10_000;
/** the controller handles up to 512 monitors (docs/bacs.md §1.2), and a string has at least one */
const MAX_MODULES = 512;

const rawWord = (label: KeySchema['label'], description: KeySchema['description']): KeySchema => ({
  type: 'integer',
  unit: '',
  quantity: 'raw',
  category: 'diagnostic',
  label,
  description,
  register: { scale: 1, format: 'uint16' },
});

const setBits = (label: KeySchema['label'], description: KeySchema['description']): KeySchema => ({
  type: 'integer[]',
  unit: '',
  quantity: 'raw',
  category: 'diagnostic',
  label,
  description,
});

const number = (label: KeySchema['label'], description: KeySchema['description']): KeySchema => ({
  type: 'integer',
  unit: '',
  quantity: 'index',
  category: 'diagnostic',
  label,
  description,
});

export const BACS_SCHEMA: DeviceSchema = {
  node: 'bacs',
  keys: {
    status: {
      type: 'string[]',
      unit: '',
      quantity: 'text',
      category: 'state',
      label: text('Status', '状态'),
      description: text('named flags of the general status word (register 1000)', '通用状态字（寄存器 1000）的命名标志'),
    },
    statusWord: rawWord(text('Status word', '状态字'), text('register 1000 as read; 0x0000 means the web manager lost its internal communication', '寄存器 1000 原始值；0x0000 表示网络管理器内部通信中断')),
    statusUnknownBits: setBits(text('Unknown status bits', '未知状态位'), text('set bits of register 1000 with no documented meaning', '寄存器 1000 中置位但无文档说明的位')),
    batteryStatusWord: rawWord(text('Battery status word', '电池状态字'), text('register 1001 as read (no public bit table)', '寄存器 1001 原始值（位表未公开）')),
    batteryStatusBits: setBits(text('Battery status bits', '电池状态位'), text('set bit numbers of register 1001', '寄存器 1001 中置位的位号')),
    alarmFlagsWord: rawWord(text('Alarm flags word', '告警标志字'), text('register 1002 as read (no public bit table)', '寄存器 1002 原始值（位表未公开）')),
    alarmFlagBits: setBits(text('Alarm flag bits', '告警标志位'), text('set bit numbers of register 1002', '寄存器 1002 中置位的位号')),
    stringCount: {
      type: 'integer',
      unit: '',
      quantity: 'count',
      category: 'diagnostic',
      range: { min: 0, max: MAX_MODULES },
      label: text('Strings', '组串数'),
      description: text('number of battery strings (register 1003, or the fixed count)', '电池组串数（寄存器 1003 或固定值）'),
      register: { scale: 1, format: 'uint16' },
    },
    moduleCount: {
      type: 'integer',
      unit: '',
      quantity: 'count',
      category: 'diagnostic',
      range: { min: 0, max: MAX_MODULES },
      label: text('Modules', '模块数'),
      description: text('number of battery monitors (register 1004, or the fixed count)', '电池监测模块数（寄存器 1004 或固定值）'),
      register: { scale: 1, format: 'uint16' },
    },
    strings: {
      type: 'object[]',
      unit: '',
      quantity: 'text',
      category: 'measurement',
      label: text('Strings', '组串'),
      description: text('one entry per battery string', '每个电池组串一项'),
      fields: {
        index: number(text('String', '组串'), text('string number, from 1', '组串编号，从 1 开始')),
        // a value out of range here often means the string register's scale setting is wrong (docs/bacs.md §3.4: the
        // implied decimals are unverified); the help says so
        current: {
          type: 'number',
          unit: 'A',
          quantity: 'current',
          category: 'measurement',
          precision: 1,
          range: { min: -MAX_STRING_CURRENT, max: MAX_STRING_CURRENT },
          label: text('String current', '组串电流'),
          description: text('string current (register 1010 + 5 × (s − 1))', '组串电流（寄存器 1010 + 5 × (s − 1)）'),
          register: { scale: 10, format: 'int16', count: 4, maxCount: 16 },
        },
        // 1500 V DC: the low-voltage limit, and the top of battery-storage string voltages
        voltage: {
          type: 'number',
          unit: 'V',
          quantity: 'voltage',
          category: 'measurement',
          precision: 1,
          range: { min: 0, max: 1500 },
          label: text('String voltage', '组串电压'),
          description: text('total voltage of the string', '组串总电压'),
          register: { scale: 10, format: 'uint16', count: 4, maxCount: 16 },
        },
        averageVoltage: {
          type: 'number',
          unit: 'V',
          quantity: 'voltage',
          category: 'measurement',
          precision: 3,
          range: BLOCK_V,
          label: text('Average block', '平均块电压'),
          description: text('average block voltage of the string', '组串平均电池块电压'),
          register: { scale: 1000, format: 'uint16', count: 4, maxCount: 16 },
        },
        rippleCurrent: {
          type: 'number',
          unit: 'A',
          quantity: 'current',
          category: 'measurement',
          precision: 1,
          range: { min: 0, max: MAX_STRING_CURRENT },
          label: text('Ripple current', '纹波电流'),
          description: text('AC ripple current of the string (RMS)', '组串交流纹波电流（有效值）'),
          register: { scale: 10, format: 'int16', count: 4, maxCount: 16 },
        },
      },
    },
    modules: {
      type: 'object[]',
      unit: '',
      quantity: 'text',
      category: 'measurement',
      label: text('Modules', '模块'),
      description: text('one entry per battery monitor, by BACS id', '每个电池监测模块一项，按 BACS 编号'),
      fields: {
        id: number(text('Module', '模块'), text('BACS module id, from 1', 'BACS 模块编号，从 1 开始')),
        string: number(text('String', '组串'), text('string the module sits in, from 1', '模块所在组串，从 1 开始')),
        position: number(text('Position', '位置'), text('position in its string, from 1', '在组串中的位置，从 1 开始')),
        voltage: {
          type: 'number',
          unit: 'V',
          quantity: 'voltage',
          category: 'measurement',
          precision: 3,
          range: BLOCK_V,
          label: text('Block voltage', '电池块电压'),
          description: text('block voltage', '电池块电压'),
          register: { scale: 1000, format: 'uint16', count: 16, maxCount: MAX_MODULES },
        },
        temperature: {
          type: 'number',
          unit: '°C',
          quantity: 'temperature',
          category: 'measurement',
          precision: 1,
          range: TEMPERATURE,
          label: text('Block temp.', '电池块温度'),
          description: text('block temperature', '电池块温度'),
          register: { scale: 10, format: 'int16', count: 16, maxCount: MAX_MODULES },
        },
        // monitors measure up to 60 mΩ (C20–C41, docs/bacs.md §1.1); 500 mΩ is a block long dead, still a number
        resistance: {
          type: 'number',
          unit: 'mΩ',
          quantity: 'resistance',
          category: 'measurement',
          precision: 2,
          range: { min: 0, max: 500 },
          label: text('Resistance', '内阻'),
          description: text('internal resistance of the block', '电池块内阻'),
          register: { scale: 100, format: 'uint16', count: 16, maxCount: MAX_MODULES },
        },
        equalizing: {
          type: 'number',
          unit: '%',
          quantity: 'percentage',
          category: 'measurement',
          precision: 0,
          range: { min: 0, max: 100 },
          label: text('Equalizing', '均衡'),
          description: text('equalizing level', '均衡程度'),
        },
        equalizingLevel: {
          type: 'string',
          unit: '',
          quantity: 'text',
          category: 'state',
          values: ['off', 'ecoPlus', 'eco', 'normal', 'power', 'boost'],
          label: text('Equalizing level', '均衡档位'),
          description: text('equalizing level by name: off, ECO+ (1–20 %), ECO, normal, power, boost (> 80 %)', '均衡档位名称：关、ECO+（1–20 %）、ECO、普通、强力、提升（> 80 %）'),
        },
        soc: {
          type: 'number',
          unit: '%',
          quantity: 'battery',
          category: 'measurement',
          precision: 0,
          range: { min: 0, max: 100 },
          label: text('SOC', '剩余电量'),
          description: text('state of charge of the block, where the monitor reports one', '电池块荷电状态（监测模块提供时）'),
          register: { scale: 1, format: 'uint16', count: 16, maxCount: MAX_MODULES },
        },
        state: {
          type: 'string',
          unit: '',
          quantity: 'text',
          category: 'state',
          label: text('State', '状态'),
          description: text('module state by name (ok, voltage warning, …; the codes are unverified)', '模块状态名称（ok、电压警告等；状态码未经验证）'),
        },
        stateCode: {
          type: 'integer',
          unit: '',
          quantity: 'raw',
          category: 'diagnostic',
          label: text('State code', '状态码'),
          description: text('module state code as read', '模块状态码原始值'),
        },
        available: {
          type: 'boolean',
          unit: '',
          quantity: 'flag',
          category: 'diagnostic',
          label: text('Available', '可用'),
          description: text('false when the controller reports "module data not available"', '控制器报告“模块数据不可用”时为 false'),
        },
      },
    },
    moduleSource: {
      type: 'string',
      unit: '',
      quantity: 'text',
      category: 'diagnostic',
      values: ['modbus', 'snmp'],
      label: text('Module data from', '模块数据来源'),
      description: text('where the module data came from', '模块数据的来源'),
    },
    moduleTemplateVerified: {
      type: 'boolean',
      unit: '',
      quantity: 'flag',
      category: 'diagnostic',
      label: text('Template verified', '模板已验证'),
      description: text('false while the module template (Modbus) or state-code map (SNMP) is the unverified default', '模块模板（Modbus）或状态码映射（SNMP）仍为未验证的默认值时为 false'),
    },
  },
  registerOrder: [
    'statusWord',
    'stringCount',
    'moduleCount',
    'strings.current',
    'strings.voltage',
    'strings.averageVoltage',
    'strings.rippleCurrent',
    'modules.voltage',
    'modules.temperature',
    'modules.resistance',
    'modules.soc',
    'batteryStatusWord',
    'alarmFlagsWord',
  ],
};

/** the physical ranges as lib/plausibility.ts walks them */
export const BACS_RANGES = rangeTable(BACS_SCHEMA);
