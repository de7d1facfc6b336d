/**
 * Physical ranges of the BACS reading keys (docs/design.md §3.2), walked by lib/plausibility.ts. Modbus/TCP has
 * no checksum of its own above TCP, the module template's scales are unverified (docs/bacs.md §3.5) and a
 * controller can report whatever its 16-bit registers hold, so a value outside what any BACS system can measure
 * is dropped and named rather than sent as a measurement. Each bound sits well past the hardware's limits: a
 * real battery must never be flagged.
 */
import type { RangeTable } from '../../lib/plausibility';

/**
 * Block voltage: the widest monitor range is 21 V (C23, the ex3 housings; docs/bacs.md §1.1); 30 V leaves room for
 * a block read just past its monitor's range, and is far below the 6553.5 V or 655.34 V of a stray 0xFFFF/0xFFFE.
 */
const BLOCK_V = { min: 0, max: 30, unit: 'V' } as const;
/** the monitor's own sensor reads −35 to +85 °C (docs/bacs.md §1.1); the bounds are those of every device here */
const TEMPERATURE = { min: -55, max: 150, unit: '°C' } as const;
/** no UPS or battery plant string carries more; its DC current sensors are rated far lower */
const MAX_STRING_CURRENT = 10_000;

export const BACS_RANGES: RangeTable = {
  // the controller handles up to 512 monitors (docs/bacs.md §1.2), and a string has at least one
  stringCount: { min: 0, max: 512, unit: '' },
  moduleCount: { min: 0, max: 512, unit: '' },
  // a value here often means the string register's scale setting is wrong (docs/bacs.md §3.4: the implied decimals
  // are unverified); the help says so
  'strings[*].current': { min: -MAX_STRING_CURRENT, max: MAX_STRING_CURRENT, unit: 'A' },
  // 1500 V DC: the low-voltage limit, and the top of battery-storage string voltages
  'strings[*].voltage': { min: 0, max: 1500, unit: 'V' },
  'strings[*].averageVoltage': BLOCK_V,
  'strings[*].rippleCurrent': { min: 0, max: MAX_STRING_CURRENT, unit: 'A' },
  'modules[*].voltage': BLOCK_V,
  'modules[*].temperature': TEMPERATURE,
  // monitors measure up to 60 mΩ (C20–C41, docs/bacs.md §1.1); 500 mΩ is a block long dead, still a number
  'modules[*].resistance': { min: 0, max: 500, unit: 'mΩ' },
  'modules[*].equalizing': { min: 0, max: 100, unit: '%' },
  'modules[*].soc': { min: 0, max: 100, unit: '%' },
};
