/**
 * The PLC bridge's register map: a pure function of the configuration, used by the runtime, the dialog's table
 * (through the admin endpoint) and the CSV export, so all three always agree.
 *
 * Stability rules (README "PLC bridge"):
 * - Registers (input registers FC04, mirrored as holding registers FC03, same addresses): block 0
 *   (0 .. blockSize-1) is the bridge header; device slot n (1-based) owns registers n*blockSize ..
 *   (n+1)*blockSize-1. Inside a device block, offsets 0-9 are the device header, values from offset 10.
 * - Bits (discrete inputs FC02, mirrored as coils FC01): block 0 (0-99) is the bridge summary; slot n owns
 *   bits n*100 .. n*100+99: bit 0 data not good, 1 any alarm active, 2 any alarm unacknowledged, alarms
 *   and bit-field keys (one bit per named bit of a status word) from bit 10.
 * - A device keeps its slot, a key its offset (bit-field keys: their first bit) and an alarm its bit once given
 *   (the dialog saves them); a new device takes the slot after the highest in use, a new key the offset after
 *   the highest end in use in its block, a new alarm the bit after the highest, a new bit-field key the run of
 *   bits after that. So adding at the end never moves anything, and removing leaves a hole instead of shifting
 *   the others.
 */
import { BitLabel, BitTest, BridgeKind, isBridgeKind, KeySpec, keySpec, NamedBit, REGISTER_FORMATS, RegisterFormat } from './keys';

export type WordOrder = 'high-first' | 'low-first';

export interface KeyConfig {
  key: string;
  offset?: number;
  scale?: number;
  format?: RegisterFormat;
  /** arrays: elements served */
  count?: number;
  /** bit-field keys: the first bit of their run in the device's bit block */
  bit?: number;
}

export interface AlarmConfig {
  /** alarm-rules rule id (`cellHigh`, any index), rule/index (`cellHigh/3`), or a device alarm id from msg.alarms */
  id: string;
  bit?: number;
}

export interface DeviceConfig {
  slot?: number;
  topic: string;
  kind: BridgeKind;
  name?: string;
  /** seconds without a message before the quality register says stale */
  staleTime?: number;
  keys: KeyConfig[];
  alarms: AlarmConfig[];
}

export interface BridgeConfig {
  blockSize: number;
  wordOrder: WordOrder;
  devices: DeviceConfig[];
}

export const BLOCK_SIZES = [100, 200, 500, 1000, 2000];
export const DEFAULT_BLOCK_SIZE = 200;
export const BITS_PER_SLOT = 100;
export const DEVICE_HEADER_REGISTERS = 10;
export const FIRST_ALARM_BIT = 10;
export const DEFAULT_STALE_TIME = 60;
export const LAYOUT_VERSION = 1;

/** quality register codes */
export const QUALITY_CODES = { good: 0, stale: 1, comm_error: 2, bad_data: 3, no_data: 4 } as const;
export type QualityCode = keyof typeof QUALITY_CODES;

/** What a register holds at runtime. */
export type RegisterSource =
  | { kind: 'header'; field: HeaderField }
  | { kind: 'device'; slot: number; field: DeviceField }
  | { kind: 'value'; slot: number; path: string; index?: number; indexBase?: number };

export type HeaderField = 'layout' | 'blockSize' | 'heartbeat' | 'devices' | 'devicesGood' | 'clients' | 'time' | 'wordOrder' | 'highestSlot';
export type DeviceField = 'quality' | 'age' | 'messages' | 'alarmsActive' | 'timestamp';

export interface RegisterEntry {
  /** 0-based protocol address (input register and holding register alike) */
  address: number;
  words: 1 | 2;
  format: RegisterFormat;
  scale: number;
  unit: string;
  /** 0 = bridge header */
  slot: number;
  device: string;
  key: string;
  index?: number;
  description: string;
  source: RegisterSource;
}

export type BitSource =
  | { kind: 'bridge'; field: 'anyNotGood' | 'anyActive' | 'anyUnacknowledged' }
  | { kind: 'device'; slot: number; field: 'notGood' | 'anyActive' | 'anyUnacknowledged' }
  | { kind: 'alarm'; slot: number; id: string }
  | { kind: 'flag'; slot: number; path: string; test: BitTest };

export interface BitEntry {
  address: number;
  slot: number;
  device: string;
  key: string;
  description: string;
  /** bit-field bits: how the dialog names the bit in the user's language */
  label?: BitLabel;
  source: BitSource;
}

export interface MappedDevice {
  slot: number;
  topic: string;
  kind: BridgeKind;
  name: string;
  staleTime: number;
  registerBase: number;
  bitBase: number;
}

export interface RegisterMap {
  layout: number;
  blockSize: number;
  wordOrder: WordOrder;
  devices: MappedDevice[];
  registers: RegisterEntry[];
  bits: BitEntry[];
  /** registers 0 .. registerCount-1 and bits 0 .. bitCount-1 answer; beyond is illegal data address */
  registerCount: number;
  bitCount: number;
  /** the configuration with every slot, offset and bit filled in: what the dialog saves */
  resolved: BridgeConfig;
  /** entries left out, with the reason */
  problems: string[];
}

const HEADER: ReadonlyArray<{ offset: number; field: HeaderField; words: 1 | 2; text: string }> = [
  { offset: 0, field: 'layout', words: 1, text: 'map layout version' },
  { offset: 1, field: 'blockSize', words: 1, text: 'registers per device slot' },
  { offset: 2, field: 'heartbeat', words: 1, text: 'heartbeat: +1 every second, wraps at 65535' },
  { offset: 3, field: 'devices', words: 1, text: 'configured devices' },
  { offset: 4, field: 'devicesGood', words: 1, text: 'devices with quality good' },
  { offset: 5, field: 'clients', words: 1, text: 'Modbus clients connected' },
  { offset: 6, field: 'time', words: 2, text: 'bridge clock, Unix seconds' },
  { offset: 8, field: 'wordOrder', words: 1, text: '32-bit word order: 0 high word first, 1 low word first' },
  { offset: 9, field: 'highestSlot', words: 1, text: 'highest device slot in use' },
];

const DEVICE_HEADER: ReadonlyArray<{ offset: number; field: DeviceField; words: 1 | 2; format: RegisterFormat; text: string }> = [
  { offset: 0, field: 'quality', words: 1, format: 'uint16', text: 'quality: 0 good, 1 stale, 2 comm_error, 3 bad_data, 4 no data yet' },
  { offset: 1, field: 'age', words: 1, format: 'uint16', text: 'seconds since the last message (65535 = none or longer)' },
  { offset: 2, field: 'messages', words: 1, format: 'uint16', text: 'messages received, wraps at 65535' },
  { offset: 3, field: 'alarmsActive', words: 1, format: 'uint16', text: 'configured alarms active' },
  { offset: 4, field: 'timestamp', words: 2, format: 'uint32', text: 'timestamp of the reading, Unix seconds' },
];

export function formatWords(format: RegisterFormat): 1 | 2 {
  return format === 'int32' || format === 'uint32' ? 2 : 1;
}

function int(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

function positive(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Reads an untrusted configuration (flow JSON, the dialog, a test) into a BridgeConfig, dropping what is not one. */
export function parseConfig(raw: { blockSize?: unknown; wordOrder?: unknown; devices?: unknown }): { config: BridgeConfig; problems: string[] } {
  const problems: string[] = [];
  const blockSizeIn = int(raw.blockSize);
  const blockSize = blockSizeIn !== undefined && BLOCK_SIZES.includes(blockSizeIn) ? blockSizeIn : DEFAULT_BLOCK_SIZE;
  if (raw.blockSize !== undefined && raw.blockSize !== '' && blockSizeIn !== blockSize) problems.push(`block size ${String(raw.blockSize)} is not one of ${BLOCK_SIZES.join(', ')}: using ${blockSize}`);
  const wordOrder: WordOrder = raw.wordOrder === 'low-first' ? 'low-first' : 'high-first';
  let list: unknown = raw.devices;
  if (typeof list === 'string') {
    try {
      list = list.trim() === '' ? [] : (JSON.parse(list) as unknown);
    } catch {
      problems.push('devices: not valid JSON');
      list = [];
    }
  }
  const devices: DeviceConfig[] = [];
  if (list !== undefined && !Array.isArray(list)) problems.push('devices: not a list');
  for (const [i, d] of (Array.isArray(list) ? list : []).entries()) {
    if (!d || typeof d !== 'object') {
      problems.push(`device ${i + 1}: not an object`);
      continue;
    }
    const o = d as Record<string, unknown>;
    const topic = typeof o.topic === 'string' ? o.topic.trim() : '';
    if (topic === '') {
      problems.push(`device ${i + 1}: no topic`);
      continue;
    }
    const kind: BridgeKind = isBridgeKind(o.kind) ? o.kind : 'custom';
    const keys: KeyConfig[] = [];
    for (const kc of Array.isArray(o.keys) ? o.keys : []) {
      const ko = (kc && typeof kc === 'object' ? kc : typeof kc === 'string' ? { key: kc } : {}) as Record<string, unknown>;
      const key = typeof ko.key === 'string' ? ko.key.trim() : '';
      if (key === '') continue;
      const entry: KeyConfig = { key };
      const offset = int(ko.offset);
      if (offset !== undefined) entry.offset = offset;
      const scale = positive(ko.scale);
      if (scale !== undefined) entry.scale = scale;
      if (typeof ko.format === 'string' && (REGISTER_FORMATS as readonly string[]).includes(ko.format)) entry.format = ko.format as RegisterFormat;
      const count = int(ko.count);
      if (count !== undefined && count > 0) entry.count = count;
      const bit = int(ko.bit);
      if (bit !== undefined) entry.bit = bit;
      keys.push(entry);
    }
    const alarms: AlarmConfig[] = [];
    for (const ac of Array.isArray(o.alarms) ? o.alarms : []) {
      const ao = (ac && typeof ac === 'object' ? ac : typeof ac === 'string' ? { id: ac } : {}) as Record<string, unknown>;
      const id = typeof ao.id === 'string' ? ao.id.trim() : '';
      if (id === '') continue;
      const entry: AlarmConfig = { id };
      const bit = int(ao.bit);
      if (bit !== undefined) entry.bit = bit;
      alarms.push(entry);
    }
    const device: DeviceConfig = { topic, kind, keys, alarms };
    const slot = int(o.slot);
    if (slot !== undefined) device.slot = slot;
    if (typeof o.name === 'string' && o.name.trim() !== '') device.name = o.name.trim();
    const stale = positive(o.staleTime);
    if (stale !== undefined) device.staleTime = stale;
    devices.push(device);
  }
  return { config: { blockSize, wordOrder, devices }, problems };
}

/** How a key is served: its table entry, or for custom keys what the user gave. */
function resolveKey(kind: BridgeKind, kc: KeyConfig): KeySpec | string {
  const spec = keySpec(kind, kc.key);
  if (spec) {
    return {
      ...spec,
      scale: kc.scale ?? spec.scale,
      format: kc.format ?? spec.format,
      count: spec.path.includes('[*]') ? Math.min(kc.count ?? spec.count ?? 1, spec.maxCount ?? 512) : undefined,
    };
  }
  if (kind !== 'custom') return `key "${kc.key}" is not one of the ${kind} keys (use kind custom for other keys)`;
  if (!/^[A-Za-z_$][\w$]*(\[\*\])?(\.[A-Za-z_$][\w$]*(\[\*\])?)*$/.test(kc.key)) return `custom key "${kc.key}" is not a path like voltage, cells[*] or strings[*].voltage`;
  if ((kc.key.match(/\[\*\]/g) ?? []).length > 1) return `custom key "${kc.key}": at most one [*]`;
  const isArray = kc.key.includes('[*]');
  return { key: kc.key, path: kc.key, unit: '', scale: kc.scale ?? 1, format: kc.format ?? 'int32', count: isArray ? Math.min(kc.count ?? 1, 512) : undefined };
}

function hex4(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The CSV's meaning of a flag bit: which word or list, which bit, the vendor's name and the meaning. */
function flagDescription(path: string, nb: NamedBit): string {
  const t = nb.test;
  const where =
    'mask' in t ? `${path} bit ${Math.log2(t.mask & -t.mask)} (${hex4(t.mask)})`
    : 'zero' in t ? `${path} = 0x0000`
    : `${path} holds ${t.id}`;
  return `${where}${nb.vendorName ? ` ${nb.vendorName}` : ''}: ${nb.english}`;
}

function deviceLabel(d: DeviceConfig): string {
  return d.name ?? d.topic;
}

/** Builds the map. Never throws: what cannot be placed is left out and named in `problems`. */
export function buildMap(input: BridgeConfig, inputProblems: string[] = []): RegisterMap {
  const problems = [...inputProblems];
  const blockSize = BLOCK_SIZES.includes(input.blockSize) ? input.blockSize : DEFAULT_BLOCK_SIZE;
  const maxSlot = Math.min(Math.floor(65536 / blockSize) - 1, Math.floor(65536 / BITS_PER_SLOT) - 1);
  const registers: RegisterEntry[] = [];
  const bits: BitEntry[] = [];
  const devices: MappedDevice[] = [];
  const resolvedDevices: DeviceConfig[] = [];

  // slots: explicit ones first, then new devices after the highest in use
  const used = new Set<number>();
  const slots = new Map<DeviceConfig, number>();
  const topics = new Set<string>();
  for (const d of input.devices) {
    if (topics.has(d.topic)) continue;
    if (d.slot === undefined) continue;
    if (d.slot < 1 || d.slot > maxSlot) problems.push(`${deviceLabel(d)}: slot ${d.slot} outside 1-${maxSlot}, given a new slot`);
    else if (used.has(d.slot)) problems.push(`${deviceLabel(d)}: slot ${d.slot} already taken, given a new slot`);
    else {
      used.add(d.slot);
      slots.set(d, d.slot);
      topics.add(d.topic);
    }
  }
  for (const d of input.devices) {
    if (slots.has(d)) continue;
    if (topics.has(d.topic)) {
      problems.push(`${deviceLabel(d)}: topic ${d.topic} listed twice, the second left out`);
      continue;
    }
    const next = (used.size > 0 ? Math.max(...used) : 0) + 1;
    if (next > maxSlot) {
      problems.push(`${deviceLabel(d)}: no slot left (at most ${maxSlot} with block size ${blockSize})`);
      continue;
    }
    used.add(next);
    slots.set(d, next);
    topics.add(d.topic);
  }

  for (const hdr of HEADER) {
    registers.push({
      address: hdr.offset,
      words: hdr.words,
      format: hdr.words === 2 ? 'uint32' : 'uint16',
      scale: 1,
      unit: hdr.field === 'time' ? 's' : '',
      slot: 0,
      device: 'bridge',
      key: hdr.field,
      description: hdr.text,
      source: { kind: 'header', field: hdr.field },
    });
  }
  const bridgeBits: Array<[BitSource & { kind: 'bridge' }, string]> = [
    [{ kind: 'bridge', field: 'anyNotGood' }, 'any device not good (stale, comm_error, bad_data or no data)'],
    [{ kind: 'bridge', field: 'anyActive' }, 'any configured alarm active'],
    [{ kind: 'bridge', field: 'anyUnacknowledged' }, 'any configured alarm unacknowledged'],
  ];
  bridgeBits.forEach(([source, text], i) => bits.push({ address: i, slot: 0, device: 'bridge', key: source.field, description: text, source }));

  for (const d of input.devices) {
    const slot = slots.get(d);
    if (slot === undefined) continue;
    const label = deviceLabel(d);
    const registerBase = slot * blockSize;
    const bitBase = slot * BITS_PER_SLOT;
    const staleTime = d.staleTime ?? DEFAULT_STALE_TIME;
    devices.push({ slot, topic: d.topic, kind: d.kind, name: label, staleTime, registerBase, bitBase });
    for (const hdr of DEVICE_HEADER) {
      registers.push({
        address: registerBase + hdr.offset,
        words: hdr.words,
        format: hdr.format,
        scale: 1,
        unit: hdr.field === 'age' || hdr.field === 'timestamp' ? 's' : '',
        slot,
        device: label,
        key: hdr.field,
        description: hdr.text,
        source: { kind: 'device', slot, field: hdr.field },
      });
    }

    // key offsets: explicit ones claim their range, new ones go after the highest end in use
    const taken: Array<[number, number]> = [];
    const overlaps = (from: number, to: number): boolean => taken.some(([a, b]) => from < b && a < to);
    const resolvedKeys: KeyConfig[] = [];
    const placed: Array<{ kc: KeyConfig; spec: KeySpec; offset: number; length: number }> = [];
    const pending: Array<{ kc: KeyConfig; spec: KeySpec; length: number }> = [];
    const bitFields: Array<{ kc: KeyConfig; spec: KeySpec & { bits: readonly NamedBit[] } }> = [];
    const keyNames = new Set<string>();
    for (const kc of d.keys) {
      const spec = resolveKey(d.kind, kc);
      if (typeof spec === 'string') {
        problems.push(`${label}: ${spec}`);
        continue;
      }
      if (spec.bits) {
        // bits, not registers: placed with the alarms below
        if (keyNames.has(spec.key)) problems.push(`${label}: ${spec.key} listed twice, the second left out`);
        else bitFields.push({ kc, spec: { ...spec, bits: spec.bits } });
        keyNames.add(spec.key);
        continue;
      }
      const length = formatWords(spec.format) * (spec.count ?? 1);
      if (kc.offset !== undefined) {
        const end = kc.offset + length;
        if (kc.offset < DEVICE_HEADER_REGISTERS || end > blockSize) problems.push(`${label}: ${kc.key} at offset ${kc.offset} does not fit ${DEVICE_HEADER_REGISTERS}-${blockSize - 1}, given a new offset`);
        else if (overlaps(kc.offset, end)) problems.push(`${label}: ${kc.key} at offset ${kc.offset} overlaps another key, given a new offset`);
        else {
          taken.push([kc.offset, end]);
          placed.push({ kc, spec, offset: kc.offset, length });
          continue;
        }
      }
      pending.push({ kc, spec, length });
    }
    for (const p of pending) {
      const offset = Math.max(DEVICE_HEADER_REGISTERS, ...taken.map(([, b]) => b));
      if (offset + p.length > blockSize) {
        problems.push(`${label}: ${p.kc.key} needs ${p.length} registers, only ${Math.max(0, blockSize - offset)} left in the block (raise the block size)`);
        continue;
      }
      taken.push([offset, offset + p.length]);
      placed.push({ kc: p.kc, spec: p.spec, offset, length: p.length });
    }
    // bits from FIRST_ALARM_BIT: alarms take one each, bit-field keys a run; explicit ones first (alarms, then
    // bit fields), then new alarms after the highest in use, then new bit fields after those
    const takenBits = new Set<number>();
    const bitOf = new Map<AlarmConfig, number>();
    const ids = new Set<string>();
    const firsts = new Set<AlarmConfig>();
    for (const a of d.alarms) {
      if (ids.has(a.id)) {
        problems.push(`${label}: alarm ${a.id} listed twice`);
        continue;
      }
      ids.add(a.id);
      firsts.add(a);
      if (a.bit === undefined) continue;
      if (a.bit < FIRST_ALARM_BIT || a.bit >= BITS_PER_SLOT) problems.push(`${label}: alarm ${a.id} bit ${a.bit} outside ${FIRST_ALARM_BIT}-${BITS_PER_SLOT - 1}, given a new bit`);
      else if (takenBits.has(a.bit)) problems.push(`${label}: alarm ${a.id} bit ${a.bit} already taken, given a new bit`);
      else {
        takenBits.add(a.bit);
        bitOf.set(a, a.bit);
      }
    }
    const runOf = new Map<KeyConfig, number>();
    const claimRun = (from: number, n: number): void => {
      for (let b = from; b < from + n; b++) takenBits.add(b);
    };
    const runFree = (from: number, n: number): boolean => {
      for (let b = from; b < from + n; b++) if (takenBits.has(b)) return false;
      return true;
    };
    for (const f of bitFields) {
      const first = f.kc.bit;
      if (first === undefined) continue;
      const n = f.spec.bits.length;
      if (first < FIRST_ALARM_BIT || first + n > BITS_PER_SLOT) problems.push(`${label}: ${f.spec.key} bits ${first}-${first + n - 1} outside ${FIRST_ALARM_BIT}-${BITS_PER_SLOT - 1}, given new bits`);
      else if (!runFree(first, n)) problems.push(`${label}: ${f.spec.key} bits ${first}-${first + n - 1} overlap other bits, given new bits`);
      else {
        claimRun(first, n);
        runOf.set(f.kc, first);
      }
    }
    const nextBit = (): number => Math.max(FIRST_ALARM_BIT - 1, ...takenBits) + 1;
    for (const a of d.alarms) {
      if (bitOf.has(a) || !firsts.has(a)) continue;
      const next = nextBit();
      if (next >= BITS_PER_SLOT) {
        problems.push(`${label}: alarm ${a.id}: no bit left (at most ${BITS_PER_SLOT - FIRST_ALARM_BIT} alarms and flag bits per device)`);
        continue;
      }
      takenBits.add(next);
      bitOf.set(a, next);
    }
    for (const f of bitFields) {
      if (runOf.has(f.kc)) continue;
      const next = nextBit();
      const n = f.spec.bits.length;
      if (next + n > BITS_PER_SLOT) {
        problems.push(`${label}: ${f.spec.key} needs ${n} bits, only ${Math.max(0, BITS_PER_SLOT - next)} left in the slot's bits`);
        continue;
      }
      claimRun(next, n);
      runOf.set(f.kc, next);
    }

    // keep the user's order in the saved configuration
    for (const kc of d.keys) {
      const run = runOf.get(kc);
      const field = bitFields.find((x) => x.kc === kc);
      if (run !== undefined && field) {
        const { offset: _o, count: _c, scale: _s, format: _f, ...rest } = kc;
        resolvedKeys.push({ ...rest, bit: run });
        field.spec.bits.forEach((nb, i) =>
          bits.push({
            address: bitBase + run + i,
            slot,
            device: label,
            key: `${field.spec.key}.${nb.name}`,
            description: flagDescription(field.spec.path, nb),
            label: nb.label,
            source: { kind: 'flag', slot, path: field.spec.path, test: nb.test },
          }),
        );
        continue;
      }
      const p = placed.find((x) => x.kc === kc);
      if (!p) continue;
      const { bit: _bit, ...registerKey } = kc;
      const rk: KeyConfig = { ...registerKey, offset: p.offset };
      resolvedKeys.push(rk);
      const words = formatWords(p.spec.format);
      const n = p.spec.count ?? 1;
      const isArray = p.spec.count !== undefined;
      for (let i = 0; i < n; i++) {
        registers.push({
          address: registerBase + p.offset + i * words,
          words,
          format: p.spec.format,
          scale: p.spec.format === 'bool' ? 1 : p.spec.scale,
          unit: p.spec.unit,
          slot,
          device: label,
          key: p.spec.key,
          ...(isArray ? { index: i + (p.spec.indexBase ?? 0) } : {}),
          description: isArray ? `${p.spec.key} [${i + (p.spec.indexBase ?? 0)}]` : p.spec.key,
          source: { kind: 'value', slot, path: p.spec.path, ...(isArray ? { index: i, indexBase: p.spec.indexBase ?? 0 } : {}) },
        });
      }
    }

    const deviceBits: Array<[('notGood' | 'anyActive' | 'anyUnacknowledged'), string]> = [
      ['notGood', 'data not good (stale, comm_error, bad_data or no data)'],
      ['anyActive', 'any of its configured alarms active'],
      ['anyUnacknowledged', 'any of its configured alarms unacknowledged'],
    ];
    deviceBits.forEach(([field, text], i) => bits.push({ address: bitBase + i, slot, device: label, key: field, description: text, source: { kind: 'device', slot, field } }));

    const resolvedAlarms: AlarmConfig[] = [];
    for (const a of d.alarms) {
      const bit = bitOf.get(a);
      if (bit === undefined) continue;
      resolvedAlarms.push({ id: a.id, bit });
      bits.push({ address: bitBase + bit, slot, device: label, key: a.id, description: `alarm ${a.id} active`, source: { kind: 'alarm', slot, id: a.id } });
    }
    resolvedDevices.push({ ...d, slot, keys: resolvedKeys, alarms: resolvedAlarms });
  }

  registers.sort((a, b) => a.address - b.address);
  bits.sort((a, b) => a.address - b.address);
  const highest = devices.reduce((m, d) => Math.max(m, d.slot), 0);
  return {
    layout: LAYOUT_VERSION,
    blockSize,
    wordOrder: input.wordOrder,
    devices,
    registers,
    bits,
    registerCount: (highest + 1) * blockSize,
    bitCount: (highest + 1) * BITS_PER_SLOT,
    resolved: { blockSize, wordOrder: input.wordOrder, devices: resolvedDevices },
    problems,
  };
}

const SENTINEL: { [f in RegisterFormat]: number } = { int16: -0x8000, uint16: 0xffff, int32: -0x80000000, uint32: 0xffffffff, bool: 0xffff };
const RANGE: { [f in RegisterFormat]: [number, number] } = {
  int16: [-0x7fff, 0x7fff],
  uint16: [0, 0xfffe],
  int32: [-0x7fffffff, 0x7fffffff],
  uint32: [0, 0xfffffffe],
  bool: [0, 1],
};

/** The value a register pair holds when the device did not report the key. */
export function sentinel(format: RegisterFormat): number {
  return SENTINEL[format];
}

/** encodeValue written straight into a register array (no allocation per value); returns the words written */
export function encodeInto(target: Uint16Array, address: number, value: unknown, format: RegisterFormat, scale: number, wordOrder: WordOrder): number {
  let n: number;
  if (typeof value === 'boolean') n = value ? 1 : 0;
  else if (typeof value === 'number' && Number.isFinite(value)) {
    if (format === 'bool') n = value !== 0 ? 1 : 0;
    else {
      const [lo, hi] = RANGE[format];
      n = Math.min(hi, Math.max(lo, Math.round(value * scale)));
    }
  } else n = SENTINEL[format];
  if (format !== 'int32' && format !== 'uint32') {
    if (address >= target.length) return 0;
    target[address] = n & 0xffff;
    return 1;
  }
  if (address + 1 >= target.length) return 0;
  const u = n >>> 0;
  const high = (u >>> 16) & 0xffff;
  const low = u & 0xffff;
  target[address] = wordOrder === 'high-first' ? high : low;
  target[address + 1] = wordOrder === 'high-first' ? low : high;
  return 2;
}

/**
 * A reading value as register words: round(value x scale), clamped to the format's range (the extreme value of
 * each format is kept free to mean "not available"). Booleans are 0/1. Anything else is "not available".
 */
export function encodeValue(value: unknown, format: RegisterFormat, scale: number, wordOrder: WordOrder): number[] {
  const words = new Uint16Array(2);
  return Array.from(words.subarray(0, encodeInto(words, 0, value, format, scale, wordOrder)));
}

interface PathPart {
  name: string;
  star: boolean;
}
const parsedPaths = new Map<string, PathPart[]>();

/** `a.b[*].c` split once and kept: the image walks the same few paths for every message */
function pathParts(path: string): PathPart[] {
  let parts = parsedPaths.get(path);
  if (!parts) {
    parts = path.split('.').map((part) => (part.endsWith('[*]') ? { name: part.slice(0, -3), star: true } : { name: part, star: false }));
    if (parsedPaths.size < 10_000) parsedPaths.set(path, parts);
  }
  return parts;
}

/** Walks `a.b[*].c` in a payload; element `index` of the `[*]` (objects keyed by number use index + indexBase). */
export function valueAt(payload: unknown, path: string, index = 0, indexBase = 0): unknown {
  let cur: unknown = payload;
  for (const part of pathParts(path)) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part.name];
    if (part.star) {
      if (Array.isArray(cur)) cur = cur[index];
      else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[String(index + indexBase)];
      else return undefined;
    }
  }
  return cur;
}

function csvCell(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['table', 'address', 'modicon', 'words', 'format', 'word_order', 'scale', 'unit', 'slot', 'device', 'key', 'index', 'description'];

/**
 * The map as CSV for the PLC programmer: one row per register (input register FC04 with its holding register
 * mirror FC03) and per bit (discrete input FC02 with its coil mirror FC01). `address` is the 0-based protocol
 * address, `modicon` the 1-based 3xxxxx/4xxxxx or 1xxxxx/0xxxxx reference; value = register / scale.
 */
export function mapCsv(map: RegisterMap): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of map.registers) {
    lines.push(
      [
        'IR/HR',
        r.address,
        `3${String(r.address + 1).padStart(5, '0')}/4${String(r.address + 1).padStart(5, '0')}`,
        r.words,
        r.format,
        r.words === 2 ? map.wordOrder : '',
        r.scale,
        r.unit,
        r.slot,
        r.device,
        r.key,
        r.index,
        r.description,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  for (const b of map.bits) {
    lines.push(
      ['DI/coil', b.address, `1${String(b.address + 1).padStart(5, '0')}/0${String(b.address + 1).padStart(5, '0')}`, 1, 'bit', '', '', '', b.slot, b.device, b.key, '', b.description]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** What the dialog's table shows (no runtime sources). */
export function mapView(map: RegisterMap): object {
  return {
    layout: map.layout,
    blockSize: map.blockSize,
    wordOrder: map.wordOrder,
    devices: map.devices,
    registers: map.registers.map(({ source: _s, ...r }) => r),
    bits: map.bits.map(({ source: _s, ...b }) => b),
    resolved: map.resolved,
    problems: map.problems,
    csv: mapCsv(map),
  };
}
