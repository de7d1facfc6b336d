/**
 * The JK02 logbook frame (type 0x05, sent after the BLE command 0xA1; docs/jk-bms-protocols.md §4.7): a u32 LE entry
 * count at 6, one byte at 10, then up to 50 entries of `u32 LE time, u8 event code` from 11. Event codes after
 * esphome-jk-bms `LOGBOOK_CODES`, as stable ids.
 */
import { readNumber } from './fields';
import type { JkLogbookEntry } from './types';

export const JK_LOGBOOK_MAX_ENTRIES = 50;
const FIRST_ENTRY = 11;
const ENTRY_SIZE = 5;

/** Event code -> id; index = code. An empty string is a code without a known meaning. */
export const JK_LOGBOOK_EVENTS: readonly string[] = [
  '',
  'boot',
  'shutdown',
  'app-charge-off',
  'app-charge-on',
  'app-discharge-off',
  'app-discharge-on',
  'remote-charge-off',
  'remote-charge-on',
  'remote-discharge-off',
  'remote-discharge-on',
  'mos-over-temperature',
  'mos-over-temperature-released',
  'current-sensor-error',
  'current-sensor-error-released',
  'coprocessor-comm-error',
  'coprocessor-comm-error-released',
  'cell-over-voltage',
  'cell-over-voltage-released',
  'pack-over-voltage',
  'pack-over-voltage-released',
  'charge-over-current',
  'charge-over-current-released',
  'charge-short-circuit',
  'charge-short-circuit-released',
  'charge-over-temperature',
  'charge-over-temperature-released',
  'charge-under-temperature',
  'charge-under-temperature-released',
  'cell-under-voltage',
  'cell-under-voltage-released',
  'pack-under-voltage',
  'pack-under-voltage-released',
  'discharge-over-current',
  'discharge-over-current-released',
  'discharge-short-circuit',
  'discharge-short-circuit-released',
  'discharge-over-temperature',
  'discharge-over-temperature-released',
  'watchdog-reset',
  'discharge-short-circuit-2',
  'emergency-on-manual',
  'emergency-off-manual',
  'emergency-off-auto',
  'app-power-off',
  'button-power-off',
  'discharge-on-failed',
  'rs485-power-off',
  'can-charge-off',
  'can-charge-on',
  'can-discharge-off',
  'can-discharge-on',
  'rs485-charge-off',
  'rs485-charge-on',
  'rs485-discharge-off',
  'rs485-discharge-on',
  'sleep',
  'charge-mos-fault',
  'discharge-mos-fault',
  'time-calibration',
  'cell-count-mismatch',
  'button-emergency-on',
  'button-emergency-off',
  'button-forced-heating',
  'discharge-over-current-2',
  'discharge-over-current-3',
  'short-circuit-release-failed',
  'factory-setting-li-ion',
  'factory-setting-lfp',
  'factory-setting-lto',
  'remote-emergency-on',
  'remote-emergency-off',
  'discharge-under-temperature',
  'discharge-under-temperature-released',
];

/** Entries of a CRC-checked 300-byte logbook frame; the count is capped at the 50 slots the frame holds. */
export function decodeLogbookEntries(frame: Uint8Array): { count: number; entries: JkLogbookEntry[] } {
  const count = readNumber(frame, 6, 'u32', 'LE') ?? 0;
  const entries: JkLogbookEntry[] = [];
  for (let i = 0; i < Math.min(count, JK_LOGBOOK_MAX_ENTRIES); i++) {
    const at = FIRST_ENTRY + i * ENTRY_SIZE;
    const time = readNumber(frame, at, 'u32', 'LE');
    if (time === undefined || at + 4 >= frame.length) break;
    const code = frame[at + 4];
    const entry: JkLogbookEntry = { time, code };
    const event = JK_LOGBOOK_EVENTS[code];
    if (event) entry.event = event;
    entries.push(entry);
  }
  return { count, entries };
}
