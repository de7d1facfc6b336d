/**
 * Which alarm-rules node of which example flow carries which preset. The examples hold the presets' own rule
 * objects, written by scripts/sync-examples.js (after `npm run build`); a test fails when an example's rules differ
 * from its preset, so an example cannot drift into other semantics (a missing `strict`, an old level).
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { findPreset } from '../helpers/presets';
import { describe as describeKey, type DeviceSchema } from '../../lib/schema';
import { BACS_SCHEMA } from '../../nodes/bacs/schema';
import { JK_SCHEMA } from '../../nodes/jk-bms/schema';
import { JUPITER_SCHEMA } from '../../nodes/jupiter-hvdc/schema';

export const EXAMPLE_PRESETS: ReadonlyArray<{ file: string; node: string; preset: string }> = [
  { file: 'jupiter-hvdc-three-units.json', node: 'jupiter-ex-alarms', preset: 'jupiter-hvdc' },
  { file: 'jk-bms-two-packs.json', node: 'jk-ex-alarms', preset: 'jk-lifepo4' },
  { file: 'bacs-two-strings.json', node: 'bacs-ex-alarm-rules', preset: 'bacs-c20' },
  { file: 'battery-room-dashboard.json', node: 'room-ex-jk-alarms', preset: 'jk-lifepo4' },
  { file: 'battery-room-dashboard.json', node: 'room-ex-bacs-alarms', preset: 'bacs-c20' },
  { file: 'battery-room-dashboard.json', node: 'room-ex-jupiter-alarms', preset: 'jupiter-hvdc' },
];

/**
 * The dashboard labels an example's label table holds (an inject node's JSON payload: device kind -> the name the
 * flow's templates look up -> label), each taken from the device schema's en-US label of a schema path, so the
 * dashboard and the schema cannot drift apart.
 */
export const EXAMPLE_LABELS: ReadonlyArray<{ file: string; node: string; kinds: ReadonlyArray<{ kind: string; schema: DeviceSchema; keys: { [name: string]: string } }> }> = [
  {
    file: 'battery-room-dashboard.json',
    node: 'room-ex-labels-inject',
    kinds: [
      {
        kind: 'jk-bms',
        schema: JK_SCHEMA,
        keys: { voltage: 'voltage', soc: 'soc', cellCount: 'cellCount', cellMin: 'cellMin', cellMax: 'cellMax', cellDelta: 'cellDelta', cellVoltages: 'cellVoltages' },
      },
      {
        kind: 'bacs',
        schema: BACS_SCHEMA,
        keys: { string: 'modules.string', module: 'modules.id', voltage: 'modules.voltage', temperature: 'modules.temperature', resistance: 'modules.resistance', state: 'modules.state' },
      },
      {
        kind: 'jupiter-hvdc',
        schema: JUPITER_SCHEMA,
        keys: Object.fromEntries(
          ['dcOutputVoltage', 'loadVoltage', 'batteryVoltage', 'batteryCurrent', 'soc', 'batteryTemperature', 'acInputVoltage', 'acInputFrequency', 'cellMin', 'cellMax', 'cellDelta', 'secondsOnBattery', 'outputLoad', 'rectifierCount', 'onBattery', 'estimatedMinutesRemaining', 'batteryStatus', 'outputSource', 'alarmsPresent', 'acInputOk'].map((k) => [k, k]),
        ),
      },
    ],
  },
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
  for (const entry of EXAMPLE_LABELS.filter((e) => e.file === file)) {
    const node = flow.find((n) => n.id === entry.node);
    if (!node) throw new Error(`${file}: no node ${entry.node}`);
    const labels = Object.fromEntries(entry.kinds.map(({ kind, schema, keys }) => [kind, Object.fromEntries(Object.entries(keys).map(([name, schemaPath]) => [name, describeKey(schema, schemaPath, 'en-US', 'label')]))]));
    node.payload = JSON.stringify(labels);
  }
  return JSON.stringify(flow, null, 2) + '\n';
}
