/**
 * Which alarm-rules node of which example flow carries which preset. The examples hold the presets' own rule
 * objects, written by scripts/sync-examples.js (after `npm run build`); a test fails when an example's rules differ
 * from its preset, so an example cannot drift into other semantics (a missing `strict`, an old level).
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { findPreset } from '../helpers/presets';

export const EXAMPLE_PRESETS: ReadonlyArray<{ file: string; node: string; preset: string }> = [
  { file: 'jupiter-hvdc-three-units.json', node: 'jupiter-ex-alarms', preset: 'jupiter-hvdc' },
  { file: 'jk-bms-two-packs.json', node: 'jk-ex-alarms', preset: 'jk-lifepo4' },
  { file: 'bacs-two-strings.json', node: 'bacs-ex-alarm-rules', preset: 'bacs-c20' },
  { file: 'battery-room-dashboard.json', node: 'room-ex-jk-alarms', preset: 'jk-lifepo4' },
  { file: 'battery-room-dashboard.json', node: 'room-ex-bacs-alarms', preset: 'bacs-c20' },
  { file: 'battery-room-dashboard.json', node: 'room-ex-jupiter-alarms', preset: 'jupiter-hvdc' },
];

export const EXAMPLES_DIR = path.join(__dirname, '..', '..', '..', 'examples');

/** The example file's text with every mapped alarm-rules node carrying its preset's rules. */
export function syncedExample(file: string): string {
  const flow = JSON.parse(readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as Array<Record<string, unknown>>;
  for (const entry of EXAMPLE_PRESETS.filter((e) => e.file === file)) {
    const node = flow.find((n) => n.id === entry.node);
    const preset = findPreset(entry.preset);
    if (!node || !preset) throw new Error(`${file}: no node ${entry.node} or preset ${entry.preset}`);
    node.rules = JSON.parse(JSON.stringify(preset.rules)) as unknown;
  }
  return JSON.stringify(flow, null, 2) + '\n';
}
