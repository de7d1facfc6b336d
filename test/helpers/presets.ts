/**
 * Every device's alarm presets, registered as Node-RED would when it loads the package, for tests that work on
 * presets without a runtime.
 */
import { alarmPresets, findAlarmPreset, registerAlarmPresets } from '../../lib/alarm-presets';
import type { AlarmPreset } from '../../lib/alarm-types';
import { jupiterPreset } from '../../nodes/jupiter-hvdc/alarms';
import { jkPresets } from '../../nodes/jk-bms/alarms';
import { bacsPresets } from '../../nodes/bacs/alarms';

registerAlarmPresets([jupiterPreset, ...jkPresets, ...bacsPresets]);

export const PRESETS: readonly AlarmPreset[] = alarmPresets();
export const findPreset = findAlarmPreset;
