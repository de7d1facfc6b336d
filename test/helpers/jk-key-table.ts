/**
 * The README's table of every JK key (`<!-- jk-keys -->` in the JK section), generated: the keys, units and
 * descriptions from the schema (nodes/jk-bms/schema.ts), and which protocol carries each one from what the node makes
 * of the simulator's frames (one pack, every request kind the node sends, through the node's own noteFrame and
 * withSettings). `node dist/test/helpers/jk-key-table.js` prints it; test/unit/jk-readme-keys.test.ts holds the README to it.
 */
import { decodePoll, JK_PROTOCOLS, type JkProtocolId, type JkRequestKind } from '../../nodes/jk-bms/protocol';
import { JkSimulator } from '../../nodes/jk-bms/simulator';
import { newPack, noteFrame } from '../../nodes/jk-bms/adapter';
import { withSettings } from '../../nodes/jk-bms/readings';
import { identity } from '../../nodes/jk-bms/messages';
import { JK_SCHEMA } from '../../nodes/jk-bms/schema';

export const PROTOCOL_COLUMNS: ReadonlyArray<[JkProtocolId, string]> = [
  ['jk-nw', 'NW'],
  ['jk02', 'JK02'],
  ['jk-modbus', 'JK Modbus'],
  ['jk-balancer', 'DZ11'],
];

/** the request kinds the node sends per protocol, in its order (adapter.ts pollOnePack) */
const KINDS: { readonly [K in JkProtocolId]: readonly JkRequestKind[] } = {
  'jk-nw': ['status'],
  jk02: ['device', 'settings', 'status'],
  'jk-modbus': ['device', 'settings', 'status'],
  'jk-balancer': ['status'],
};

/** msg.device keys beyond the envelope's kind/name/address, with their meaning */
const DEVICE_KEYS: ReadonlyArray<[string, string]> = [
  ['model', 'model string'],
  ['firmware', 'firmware version'],
  ['hardware', 'hardware version'],
  ['serial', 'serial number'],
  ['deviceName', 'name set in the JK app'],
  ['manufacturingDate', 'manufacturing date as the BMS stores it'],
  ['uptime', 'time the BMS has been running (s)'],
  ['powerOnCount', 'times the BMS was powered on'],
  ['protocolVersion', 'NW protocol version (how the current is encoded)'],
];

/** Every path a pack message of this protocol has: `voltage`, `settings.cellOvp`, `switches.charge`, `device.model`. */
export function carriedPaths(protocol: JkProtocolId): Set<string> {
  const sim = new JkSimulator({ packs: [1], pacing: false, tickMs: 0, probes: 4 });
  sim.setPack(1, { alarms: ['cell-over-voltage'] });
  const codec = JK_PROTOCOLS[protocol];
  const pack = newPack(1);
  pack.protocol = protocol;
  const out = new Set<string>();
  for (const kind of KINDS[protocol]) {
    const exchanges = codec.buildRequests(1, kind).map((request) => ({ request, reply: sim.respond(request)?.frames[0] ?? Buffer.alloc(0) }));
    const decoded = decodePoll(protocol, exchanges);
    if (!decoded.ok) throw new Error(`${protocol} ${kind}: ${decoded.error.message}`);
    noteFrame(pack, decoded.value, 0);
    if (kind !== 'status') continue;
    const payload = withSettings(decoded.value.reading ?? {}, pack);
    for (const [key, value] of Object.entries(payload)) {
      if (value === undefined) continue;
      const entry = JK_SCHEMA.keys[key];
      if (entry?.type === 'object' && typeof value === 'object') for (const field of Object.keys(value)) out.add(`${key}.${field}`);
      else out.add(key);
    }
    const device = identity('jk-bms', 'pack1', 1, pack.device) as unknown as { [k: string]: unknown };
    for (const [key] of DEVICE_KEYS) if (device[key] !== undefined) out.add(`device.${key}`);
  }
  return out;
}

/** The markdown table: key, unit, one column per protocol (✓ where it carries the key), meaning. */
export function jkKeyTable(): string {
  const carried = PROTOCOL_COLUMNS.map(([id]) => carriedPaths(id));
  const rows: Array<[string, string, string]> = [];
  for (const [key, entry] of Object.entries(JK_SCHEMA.keys)) {
    if (entry.type === 'object') for (const [field, sub] of Object.entries(entry.fields ?? {})) rows.push([`${key}.${field}`, sub.unit, sub.description['en-US']]);
    else rows.push([key, entry.unit, entry.description['en-US']]);
  }
  for (const [key, meaning] of DEVICE_KEYS) rows.push([`device.${key}`, key === 'uptime' ? 's' : '', meaning]);
  const head = `| key | unit | ${PROTOCOL_COLUMNS.map(([, name]) => name).join(' | ')} | meaning |`;
  const rule = `|---|---|${PROTOCOL_COLUMNS.map(() => ':-:').join('|')}|---|`;
  const lines = rows.map(([path, unit, meaning]) => {
    const marks = carried.map((set) => (set.has(path) ? '✓' : '')).join(' | ');
    return `| \`${path}\` | ${unit} | ${marks} | ${meaning.replace(/\|/g, '\\|')} |`;
  });
  return [head, rule, ...lines].join('\n');
}

if (require.main === module) process.stdout.write(`${jkKeyTable()}\n`);
