/**
 * Every key of a BACS reading: type, unit, physical range, PLC register mapping, label and description
 * (lib/schema.ts says what each field means and who reads it).
 *
 * Ranges (docs/design.md §3.2): Modbus/TCP has no checksum of its own above TCP, the module template's scales are
 * unverified (docs/bacs.md §3.5) and a controller can report whatever its 16-bit registers hold, so a value outside
 * what any BACS system can measure is dropped and named rather than sent as a measurement. Each bound sits well
 * past the hardware's limits: a real battery must never be flagged.
 */
import type { LocalizedText } from '../../lib/alarm-types';
import { flagKey, integerKey, numberKey, rangeTable, text, textKey, type DeviceSchema, type KeySchema, type RegisterSpec, type SchemaRange } from '../../lib/schema';

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

const WORD_REGISTER = { register: { scale: 1, format: 'uint16' } } as const;
const rawWord = (label: LocalizedText, description: LocalizedText): KeySchema => integerKey(label, description, { quantity: 'raw', ...WORD_REGISTER });
const setBits = (label: LocalizedText, description: LocalizedText): KeySchema => integerKey(label, description, { type: 'integer[]', quantity: 'raw' });
const numbered = (label: LocalizedText, description: LocalizedText): KeySchema => integerKey(label, description, { quantity: 'index' });
/** a string field: at most 16 strings are served, 4 by default */
const stringRegister = (scale: number, format: 'int16' | 'uint16'): RegisterSpec => ({ scale, format, count: 4, maxCount: 16 });
/** a module field: up to every module the controller has, 16 by default */
const moduleRegister = (scale: number, format: 'int16' | 'uint16'): RegisterSpec => ({ scale, format, count: 16, maxCount: MAX_MODULES });

export const BACS_SCHEMA: DeviceSchema = {
  node: 'bacs',
  keys: {
    status: textKey(text('Status', '状态'), text('named flags of the general status word (register 1000)', '通用状态字（寄存器 1000）的命名标志'), { type: 'string[]' }),
    statusWord: rawWord(text('Status word', '状态字'), text('register 1000 as read; 0x0000 means the web manager lost its internal communication', '寄存器 1000 原始值；0x0000 表示网络管理器内部通信中断')),
    statusUnknownBits: setBits(text('Unknown status bits', '未知状态位'), text('set bits of register 1000 with no documented meaning', '寄存器 1000 中置位但无文档说明的位')),
    batteryStatusWord: rawWord(text('Battery status word', '电池状态字'), text('register 1001 as read (no public bit table)', '寄存器 1001 原始值（位表未公开）')),
    batteryStatusBits: setBits(text('Battery status bits', '电池状态位'), text('set bit numbers of register 1001', '寄存器 1001 中置位的位号')),
    alarmFlagsWord: rawWord(text('Alarm flags word', '告警标志字'), text('register 1002 as read (no public bit table)', '寄存器 1002 原始值（位表未公开）')),
    alarmFlagBits: setBits(text('Alarm flag bits', '告警标志位'), text('set bit numbers of register 1002', '寄存器 1002 中置位的位号')),
    stringCount: integerKey(text('Strings', '组串数'), text('number of battery strings (register 1003, or the fixed count)', '电池组串数（寄存器 1003 或固定值）'), {
      range: { min: 0, max: MAX_MODULES },
      ...WORD_REGISTER,
    }),
    moduleCount: integerKey(text('Modules', '模块数'), text('number of battery monitors (register 1004, or the fixed count)', '电池监测模块数（寄存器 1004 或固定值）'), {
      range: { min: 0, max: MAX_MODULES },
      ...WORD_REGISTER,
    }),
    strings: textKey(text('Strings', '组串'), text('one entry per battery string', '每个电池组串一项'), {
      type: 'object[]',
      category: 'measurement',
      fields: {
        index: numbered(text('String', '组串'), text('string number, from 1', '组串编号，从 1 开始')),
        // a value out of range here often means the string register's scale setting is wrong (docs/bacs.md §3.4: the
        // implied decimals are unverified); the help says so
        current: numberKey('A', 1, text('String current', '组串电流'), text('string current (register 1010 + 5 × (s − 1))', '组串电流（寄存器 1010 + 5 × (s − 1)）'), {
          range: { min: -MAX_STRING_CURRENT, max: MAX_STRING_CURRENT },
          register: stringRegister(10, 'int16'),
        }),
        // 1500 V DC: the low-voltage limit, and the top of battery-storage string voltages
        voltage: numberKey('V', 1, text('String voltage', '组串电压'), text('total voltage of the string', '组串总电压'), {
          range: { min: 0, max: 1500 },
          register: stringRegister(10, 'uint16'),
        }),
        averageVoltage: numberKey('V', 3, text('Average block', '平均块电压'), text('average block voltage of the string', '组串平均电池块电压'), {
          range: BLOCK_V,
          register: stringRegister(1000, 'uint16'),
        }),
        rippleCurrent: numberKey('A', 1, text('Ripple current', '纹波电流'), text('AC ripple current of the string (RMS)', '组串交流纹波电流（有效值）'), {
          range: { min: 0, max: MAX_STRING_CURRENT },
          register: stringRegister(10, 'int16'),
        }),
      },
    }),
    modules: textKey(text('Modules', '模块'), text('one entry per battery monitor, by BACS id', '每个电池监测模块一项，按 BACS 编号'), {
      type: 'object[]',
      category: 'measurement',
      fields: {
        id: numbered(text('Module', '模块'), text('BACS module id, from 1', 'BACS 模块编号，从 1 开始')),
        string: numbered(text('String', '组串'), text('string the module sits in, from 1', '模块所在组串，从 1 开始')),
        position: numbered(text('Position', '位置'), text('position in its string, from 1', '在组串中的位置，从 1 开始')),
        voltage: numberKey('V', 3, text('Block voltage', '电池块电压'), text('block voltage', '电池块电压'), { range: BLOCK_V, register: moduleRegister(1000, 'uint16') }),
        temperature: numberKey('°C', 1, text('Block temperature', '电池块温度'), text('block temperature', '电池块温度'), { range: TEMPERATURE, register: moduleRegister(10, 'int16') }),
        // monitors measure up to 60 mΩ (C20–C41, docs/bacs.md §1.1); 500 mΩ is a block long dead, still a number
        resistance: numberKey('mΩ', 2, text('Resistance', '内阻'), text('internal resistance of the block', '电池块内阻'), {
          range: { min: 0, max: 500 },
          register: moduleRegister(100, 'uint16'),
        }),
        equalizing: numberKey('%', 0, text('Equalizing', '均衡'), text('equalizing level', '均衡程度'), { range: { min: 0, max: 100 } }),
        equalizingLevel: textKey(
          text('Equalizing level', '均衡档位'),
          text('equalizing level by name: off, ECO+ (1–20 %), ECO, normal, power, boost (> 80 %)', '均衡档位名称：关、ECO+（1–20 %）、ECO、普通、强力、提升（> 80 %）'),
          { values: ['off', 'ecoPlus', 'eco', 'normal', 'power', 'boost'] },
        ),
        soc: numberKey('%', 0, text('SOC', '剩余电量'), text('state of charge of the block, where the monitor reports one', '电池块荷电状态（监测模块提供时）'), {
          quantity: 'battery',
          range: { min: 0, max: 100 },
          register: moduleRegister(1, 'uint16'),
        }),
        state: textKey(text('State', '状态'), text('module state by name (ok, voltage warning, …; the codes are unverified)', '模块状态名称（ok、电压警告等；状态码未经验证）')),
        stateCode: integerKey(text('State code', '状态码'), text('module state code as read', '模块状态码原始值'), { quantity: 'raw' }),
        available: flagKey(text('Available', '可用'), text('false when the controller reports "module data not available"', '控制器报告“模块数据不可用”时为 false'), {
          category: 'diagnostic',
        }),
      },
    }),
    moduleSource: textKey(text('Module data from', '模块数据来源'), text('where the module data came from', '模块数据的来源'), {
      category: 'diagnostic',
      values: ['modbus', 'snmp'],
    }),
    moduleTemplateVerified: flagKey(
      text('Template verified', '模板已验证'),
      text('false while the module template (Modbus) or state-code map (SNMP) is the unverified default', '模块模板（Modbus）或状态码映射（SNMP）仍为未验证的默认值时为 false'),
      { category: 'diagnostic' },
    ),
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
