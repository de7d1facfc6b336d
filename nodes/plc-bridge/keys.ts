/**
 * The keys the PLC bridge can serve, per device kind (docs/design.md §3). The values come from each device's schema
 * (nodes/<device>/schema.ts: where the value sits in the payload, its unit, the default scale — register =
 * round(value x scale) — and the register format, signed where the value can be negative, 32-bit where the range at
 * that scale needs it), in the schema's register order; this file adds the bit fields, whose bits are named from the
 * devices' alarm and status tables. Serving a new reading key is a `register` entry in its schema.
 */

import type { LocalizedText } from '../../lib/alarm-types';
import { servedKeys, type DeviceSchema, type RegisterFormat } from '../../lib/schema';
import { DEVICE_SCHEMAS } from '../device-schemas';
import { COMMUNICATION_LOST, STATUS_FLAGS } from '../bacs/registers';
import * as BACS_EN from '../bacs/locales/en-US/bacs.json';
import { JK_ALARMS } from '../jk-bms/alarms';

export type { RegisterFormat };
export const REGISTER_FORMATS: readonly RegisterFormat[] = ['int16', 'uint16', 'int32', 'uint32', 'bool'];

export interface KeySpec {
  key: string;
  /** where in payload: `voltage`, `cellVoltages[*]`, `strings[*].voltage`; `[*]` = one register run per element */
  path: string;
  unit: string;
  scale: number;
  format: RegisterFormat;
  /** arrays: elements served by default and at most */
  count?: number;
  maxCount?: number;
  /** arrays held as objects keyed by number (Jupiter `contacts`): the key of element 0 */
  indexBase?: number;
  /**
   * A bit field: served as one discrete input (coil mirror) per entry, a run of bits in the device's bit block,
   * and no register (serve the raw word as its own key). `path` names the word, or the list of ids.
   */
  bits?: readonly NamedBit[];
}

/** How the dialog names a bit: a key of a node's message catalogue (shared with that node), or the device table's own texts. */
export type BitLabel = { i18n: string; subs?: { [name: string]: string | number } } | { text: LocalizedText };

/** When a bit is on: a bit of a word is set, the whole word is 0, or a list of ids holds the id. */
export type BitTest = { mask: number } | { zero: true } | { id: string };

export interface NamedBit {
  name: string;
  test: BitTest;
  /** the vendor's name of the flag, for the CSV */
  vendorName?: string;
  /** meaning in English (CSV, map descriptions) */
  english: string;
  label: BitLabel;
}

/** Readings that make a device's data not good whatever msg.quality says. */
export interface QualityRule {
  path: string;
  equals: number;
  quality: 'comm_error' | 'bad_data';
}

const PACKAGE = '@dcpower/node-red-nodes';

export type BridgeKind = 'jk-bms' | 'jk-balancer' | 'bacs' | 'jupiter-hvdc' | 'custom';
export const BRIDGE_KINDS: readonly BridgeKind[] = ['jk-bms', 'jk-balancer', 'bacs', 'jupiter-hvdc', 'custom'];

/** The schema's served keys as the map builder and the dialog take them (the property order is the dialog's JSON). */
function schemaKeys(schema: DeviceSchema): KeySpec[] {
  return servedKeys(schema).map(({ key, path, unit, register: r }) => ({
    key,
    path,
    unit,
    scale: r.scale,
    format: r.format,
    ...(r.count !== undefined ? { count: r.count } : {}),
    ...(r.maxCount !== undefined ? { maxCount: r.maxCount } : {}),
    ...(r.indexBase !== undefined ? { indexBase: r.indexBase } : {}),
  }));
}

/** a bit field key: no register of its own, one bit per entry */
const bitField = (key: string, path: string, bits: readonly NamedBit[]): KeySpec => ({ key, path, unit: '', scale: 1, format: 'bool', bits });

/** bit 0..15 of a word with no public bit table: served, but named by number and labelled unnamed */
function unnamedBits(word: string): NamedBit[] {
  return Array.from({ length: 16 }, (_, bit) => ({
    name: `bit${bit}`,
    test: { mask: 1 << bit },
    english: 'unnamed (no public bit table)',
    label: { i18n: `${PACKAGE}/plc-bridge:plc-bridge.bits.unnamed`, subs: { bit, word } },
  }));
}

const BACS_FLAG_TEXT = BACS_EN.bacs.flags as { [id: string]: string };

/**
 * BACS register 1000 (docs/bacs.md §3.2), from the bacs node's own table: a word of 0x0000 is
 * BACS_STATE_NONE, "internal communication lost", never "all clear", so it gets a bit of its own (first in the
 * run; bit k of the word is run bit k + 1). The texts are the bacs node's `flags.<id>` messages.
 */
const BACS_STATUS_BITS: readonly NamedBit[] = [
  {
    name: 'communicationLost',
    test: { zero: true },
    vendorName: COMMUNICATION_LOST.vendorName,
    english: BACS_FLAG_TEXT[COMMUNICATION_LOST.id] ?? COMMUNICATION_LOST.id,
    label: { i18n: `${PACKAGE}/bacs:bacs.flags.${COMMUNICATION_LOST.id}` },
  },
  ...STATUS_FLAGS.map((f) => ({
    name: f.id,
    test: { mask: f.mask },
    vendorName: f.vendorName,
    english: BACS_FLAG_TEXT[f.id] ?? f.id,
    label: { i18n: `${PACKAGE}/bacs:bacs.flags.${f.id}` },
  })),
];

/** JK alarms as bits, one per catalogue id, from the reading's `alarms` id list: the same on every JK protocol. */
const JK_ALARM_BITS: readonly NamedBit[] = JK_ALARMS.map((a) => ({ name: a.id, test: { id: a.id }, english: a.text['en-US'], label: { text: a.text } }));

const JK_KEYS: readonly KeySpec[] = [...schemaKeys(DEVICE_SCHEMAS['jk-bms']), bitField('alarmFlags', 'alarms', JK_ALARM_BITS)];

const BACS_KEYS: readonly KeySpec[] = [
  ...schemaKeys(DEVICE_SCHEMAS.bacs),
  bitField('statusFlags', 'statusWord', BACS_STATUS_BITS),
  // registers 1001 and 1002: no public bit table (docs/bacs.md §3.3), so the bits carry numbers, not names
  bitField('batteryStatusBits', 'batteryStatusWord', unnamedBits('batteryStatusWord')),
  bitField('alarmFlagBits', 'alarmFlagsWord', unnamedBits('alarmFlagsWord')),
];

const JUPITER_KEYS: readonly KeySpec[] = schemaKeys(DEVICE_SCHEMAS['jupiter-hvdc']);

export const KIND_KEYS: { readonly [kind in BridgeKind]: readonly KeySpec[] } = {
  'jk-bms': JK_KEYS,
  'jk-balancer': JK_KEYS,
  bacs: BACS_KEYS,
  'jupiter-hvdc': JUPITER_KEYS,
  // any envelope: the user names the path, format and scale
  custom: [],
};

/** BACS status word 0x0000: the web manager's values are not current (as the bacs node's own comm_error). */
export const KIND_QUALITY_RULES: { readonly [kind in BridgeKind]: readonly QualityRule[] } = {
  'jk-bms': [],
  'jk-balancer': [],
  bacs: [{ path: 'statusWord', equals: 0, quality: 'comm_error' }],
  'jupiter-hvdc': [],
  custom: [],
};

export function isBridgeKind(v: unknown): v is BridgeKind {
  return typeof v === 'string' && (BRIDGE_KINDS as readonly string[]).includes(v);
}

export function keySpec(kind: BridgeKind, key: string): KeySpec | undefined {
  return KIND_KEYS[kind].find((s) => s.key === key);
}
