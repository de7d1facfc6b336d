/** The JK alarm words, bit by bit, as each protocol carries them; pure data for the codecs and the simulator. */
/**
 * JK02 alarm word (32S u32 at 166, 24S bits 0-15 at 136) and JK Modbus 0x12A0: bit -> id
 * (docs/jk-bms-protocols.md §4.4).
 */
export const JK02_ALARM_BITS: readonly string[] = [
  'wire-resistance',
  'mos-over-temperature',
  'cell-count-mismatch',
  'current-sensor-error',
  'cell-over-voltage',
  'pack-over-voltage',
  'charge-over-current',
  'charge-short-circuit',
  'charge-over-temperature',
  'charge-under-temperature',
  'coprocessor-comm-error',
  'cell-under-voltage',
  'pack-under-voltage',
  'discharge-over-current',
  'discharge-short-circuit',
  'discharge-over-temperature',
  'charge-mos-fault',
  'discharge-mos-fault',
  'gps-disconnected',
  'default-password',
  'discharge-on-failed',
  'battery-over-temperature',
  'temperature-sensor-fault',
  'pcl-module-fault',
  'short-circuit-release-failed',
  'discharge-over-current-2',
  'discharge-over-current-3',
  'discharge-under-temperature',
  'gps-remote-lock',
];

/** NW warning word, ID 0x8B (docs/jk-bms-protocols.md §3.4). */
export const NW_ALARM_BITS: readonly string[] = [
  'low-capacity',
  'mos-over-temperature',
  'pack-over-voltage',
  'pack-under-voltage',
  'battery-over-temperature',
  'charge-over-current',
  'discharge-over-current',
  'cell-voltage-difference',
  'box-over-temperature',
  'battery-under-temperature',
  'cell-over-voltage',
  'cell-under-voltage',
  'protection-309a',
  'protection-309b',
];

/** DZ11 balancer alarm byte (docs/jk-bms-protocols.md §7). */
export const BALANCER_ALARM_BITS: readonly string[] = ['cell-count-mismatch', 'wire-resistance', 'balancer-over-voltage'];

/** Alarm ids of the set bits of `word` under a bit map; unknown bits are ignored (future firmware). */
export function alarmIds(word: number, bits: readonly string[]): string[] {
  const ids: string[] = [];
  const w = word >>> 0;
  if (w === 0) return ids;
  for (let bit = 0; bit < bits.length && bit < 32; bit++) if ((w >>> bit) & 1) ids.push(bits[bit]);
  return ids;
}

/** The bit word of a set of ids under a bit map (simulator encode direction). */
export function alarmWord(ids: readonly string[], bits: readonly string[]): number {
  let word = 0;
  for (const id of ids) {
    const bit = bits.indexOf(id);
    if (bit >= 0) word += 2 ** bit;
  }
  return word;
}
