/**
 * Declarative field tables and the one walker that reads (decode) or writes (simulator encode) them.
 * A table row says where a value sits, how it is stored and how to scale it to the unit of the reading;
 * adding a field is one row. Reads past the end of the bytes yield nothing, never a throw.
 */
export type NumericType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32';
export type Endian = 'LE' | 'BE';

export interface NumericField {
  key: string;
  offset: number;
  type: NumericType;
  /** raw × scale = value in the reading's unit; default 1 */
  scale?: number;
  /** an array of `count` values, `stride` bytes apart (default: the type's size) */
  count?: number;
  stride?: number;
}

export interface TextField {
  key: string;
  offset: number;
  type: 'ascii';
  length: number;
}

export type FieldSpec = NumericField | TextField;
export type FieldValue = number | number[] | string;
export type FieldValues = { [key: string]: FieldValue };

const TYPE_SIZE: { [T in NumericType]: number } = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4 };

/** Rounds away binary noise (3284 × 0.001 = 3.2840000000000003) without losing the device's resolution. */
export function tidy(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export function readNumber(bytes: Uint8Array, offset: number, type: NumericType, endian: Endian): number | undefined {
  const size = TYPE_SIZE[type];
  if (offset < 0 || offset + size > bytes.length) return undefined;
  const be = endian === 'BE';
  let raw: number;
  if (size === 1) raw = bytes[offset];
  else if (size === 2) raw = be ? (bytes[offset] << 8) | bytes[offset + 1] : bytes[offset] | (bytes[offset + 1] << 8);
  else if (be) raw = bytes[offset] * 0x1000000 + ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]);
  else raw = bytes[offset + 3] * 0x1000000 + ((bytes[offset + 2] << 16) | (bytes[offset + 1] << 8) | bytes[offset]);
  if (type === 'i8' && raw >= 0x80) raw -= 0x100;
  else if (type === 'i16' && raw >= 0x8000) raw -= 0x10000;
  else if (type === 'i32' && raw >= 0x80000000) raw -= 0x100000000;
  return raw;
}

export function writeNumber(bytes: Uint8Array, offset: number, type: NumericType, endian: Endian, value: number): void {
  const size = TYPE_SIZE[type];
  if (offset < 0 || offset + size > bytes.length) return;
  const modulus = 2 ** (size * 8);
  let raw = Math.round(value);
  raw = ((raw % modulus) + modulus) % modulus;
  for (let i = 0; i < size; i++) {
    bytes[endian === 'BE' ? offset + size - 1 - i : offset + i] = raw % 256;
    raw = Math.floor(raw / 256);
  }
}

function readText(bytes: Uint8Array, offset: number, length: number): string | undefined {
  if (offset < 0 || offset >= bytes.length) return undefined;
  let text = '';
  for (let i = offset; i < Math.min(offset + length, bytes.length); i++) {
    const b = bytes[i];
    if (b === 0) break;
    // printable ASCII only: the strings are user-editable and may hold anything
    text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '';
  }
  return text.trim();
}

/**
 * Reads every field of a table from `bytes`, where table offset 0 sits at `base`. Fields not (fully) inside
 * the bytes are left out, which is how a Modbus reply of a partial register range decodes to partial values.
 */
export function readFields(table: readonly FieldSpec[], bytes: Uint8Array, base: number, endian: Endian, partialArrays = false): FieldValues {
  const out: FieldValues = {};
  for (const field of table) {
    const at = base + field.offset;
    if (field.type === 'ascii') {
      if (at < 0 || at + field.length > bytes.length) continue;
      const text = readText(bytes, at, field.length);
      if (text !== undefined) out[field.key] = text;
      continue;
    }
    const scale = field.scale ?? 1;
    if (field.count === undefined) {
      const raw = readNumber(bytes, at, field.type, endian);
      if (raw !== undefined) out[field.key] = tidy(raw * scale);
      continue;
    }
    const stride = field.stride ?? TYPE_SIZE[field.type];
    if (at < 0) continue;
    // a partial register read may hold only the first elements of an array (partialArrays)
    const fits = Math.floor((bytes.length - at - TYPE_SIZE[field.type]) / stride) + 1;
    if (fits < (partialArrays ? 1 : field.count)) continue;
    const values: number[] = [];
    for (let i = 0; i < Math.min(fits, field.count); i++) values.push(tidy((readNumber(bytes, at + i * stride, field.type, endian) ?? 0) * scale));
    out[field.key] = values;
  }
  return out;
}

/** The encode direction of readFields (simulator): writes the given values, leaves other bytes alone. */
export function writeFields(table: readonly FieldSpec[], values: FieldValues, bytes: Uint8Array, base: number, endian: Endian): void {
  for (const field of table) {
    const value = values[field.key];
    if (value === undefined) continue;
    const at = base + field.offset;
    if (field.type === 'ascii') {
      const text = String(value);
      for (let i = 0; i < field.length; i++) bytes[at + i] = i < text.length ? text.charCodeAt(i) & 0x7f : 0;
      continue;
    }
    const scale = field.scale ?? 1;
    if (field.count === undefined) {
      if (typeof value === 'number') writeNumber(bytes, at, field.type, endian, value / scale);
      continue;
    }
    if (!Array.isArray(value)) continue;
    const stride = field.stride ?? TYPE_SIZE[field.type];
    for (let i = 0; i < field.count; i++) writeNumber(bytes, at + i * stride, field.type, endian, (value[i] ?? 0) / scale);
  }
}

export function num(values: FieldValues, key: string): number | undefined {
  const v = values[key];
  return typeof v === 'number' ? v : undefined;
}

export function arr(values: FieldValues, key: string): number[] | undefined {
  const v = values[key];
  return Array.isArray(v) ? v : undefined;
}

export function str(values: FieldValues, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}
