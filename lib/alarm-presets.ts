/**
 * The alarm presets every device offers, registered by the device's node module when Node-RED loads it, so the
 * alarm-rules node (and its dialog, through GET /dcpower/alarm-rules/presets) lists them without importing any
 * device folder. A device that is not loaded offers no preset.
 */
import type { AlarmPreset } from './alarm-types';

const registry = new Map<string, AlarmPreset>();

/** Registering the same id again replaces it: a test or a reloaded module never duplicates a preset. */
export function registerAlarmPresets(presets: readonly AlarmPreset[]): void {
  for (const preset of presets) registry.set(preset.id, preset);
}

/** in registration order */
export function alarmPresets(): AlarmPreset[] {
  return [...registry.values()];
}

export function findAlarmPreset(id: string): AlarmPreset | undefined {
  return registry.get(id);
}
