/**
 * The preset catalogue the alarm-rules dialog offers (served at GET /dcpower/alarm-rules/presets). Each device
 * folder exports its manual's alarm table as an AlarmPreset; registering it here is one import line.
 */
import type { AlarmPreset } from './types';
import { jupiterPreset } from '../jupiter-hvdc/alarms';
import { bacsPresets } from '../bacs/alarms';
import { jkPresets } from '../jk-bms/alarms';

export const PRESETS: AlarmPreset[] = [jupiterPreset, ...jkPresets, ...bacsPresets];

export function findPreset(id: string): AlarmPreset | undefined {
  return PRESETS.find((p) => p.id === id);
}
