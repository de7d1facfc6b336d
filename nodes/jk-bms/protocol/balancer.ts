/**
 * JK-DZ11-B2A24S active balancer, RS485 protocol V1.3 (docs/jk-bms-protocols.md §7): 9600 baud, 7-byte `55 AA`
 * requests and 74-byte `EB 90` replies, 8-bit sums, big-endian. Documented for the DZ11-B2A24S only. The JK-B2A4S has
 * RS485 pins but no published protocol: whether it speaks this one is UNVERIFIED (docs/jk-bms-protocols.md §7.1, §11
 * question 14). Open in this protocol: temperature unit (1 vs 0.1 °C, a decode option, default 0.1),
 * max-balance-current limit (1000 mA in V1.3, 2000 mA per esphome notes) and the numbering base of the highest/lowest
 * cell bytes.
 */
import { fail, guarded, ok, Result } from '../../../lib/wire/result';
import { alarmIds, alarmWord, BALANCER_ALARM_BITS } from './alarm-bits';
import { cellStats } from './blocks';
import { arr, FieldSpec, FieldValues, num, readFields, tidy, writeFields } from './fields';
import { sum8 } from './shapes';
import type { FrameDescription } from '../../../lib/wire/framer';
import type { JkDecodeContext, JkDecoded, JkProtocol, JkReading, JkReplyRead, JkRequestKind } from './types';

const BALANCER_REQUEST_LENGTH = 7;
const BALANCER_REPLY_LENGTH = 74;

export const BALANCER_COMMANDS = { status: 0xff, cellCount: 0xf0, triggerDelta: 0xf2, maxBalanceCurrent: 0xf4, balancer: 0xf6 } as const;
export type BalancerSetting = Exclude<keyof typeof BALANCER_COMMANDS, 'status'>;

/** Status reply fields (reply offsets). */
const BALANCER_STATUS: readonly FieldSpec[] = [
  { key: 'voltage', offset: 4, type: 'u16', scale: 0.01 },
  { key: 'cellAverage', offset: 6, type: 'u16', scale: 0.001 },
  { key: 'detectedCells', offset: 8, type: 'u8' },
  { key: 'highestCell', offset: 9, type: 'u8' },
  { key: 'lowestCell', offset: 10, type: 'u8' },
  { key: 'balanceState', offset: 11, type: 'u8' },
  { key: 'alarmBits', offset: 12, type: 'u8' },
  { key: 'cellDelta', offset: 13, type: 'u16', scale: 0.001 },
  // u16 magnitude (esphome, vendor V1.3); the direction is byte 11 (docs/jk-bms-protocols.md §7, settled)
  { key: 'balanceCurrent', offset: 15, type: 'u16', scale: 0.001 },
  { key: 'triggerDelta', offset: 17, type: 'u16', scale: 0.001 },
  { key: 'maxBalanceCurrent', offset: 19, type: 'u16', scale: 0.001 },
  { key: 'balancerSwitch', offset: 21, type: 'u8' },
  { key: 'cellCount', offset: 22, type: 'u8' },
  { key: 'cells', offset: 23, type: 'u16', count: 24, scale: 0.001 },
  { key: 'temperatureRaw', offset: 71, type: 'i16' },
];

/** Documented limits of the writable settings, in SI units (V, A). */
export const BALANCER_LIMITS: { [K in BalancerSetting]: { min: number; max: number; scale: number } } = {
  cellCount: { min: 2, max: 24, scale: 1 },
  triggerDelta: { min: 0.002, max: 1.0, scale: 1000 },
  // V1.3 says 30-1000 mA; esphome's notes say up to 2000 mA (open): pass maxBalanceCurrentLimit to allow more
  maxBalanceCurrent: { min: 0.03, max: 1.0, scale: 1000 },
  balancer: { min: 0, max: 1, scale: 1 },
};

export const BALANCER_REQUEST_SHAPE: FrameDescription = {
  protocol: 'balancer-request',
  header: [0x55, 0xaa],
  maxLength: BALANCER_REQUEST_LENGTH,
  length: () => BALANCER_REQUEST_LENGTH,
  check: (f) => f.length === BALANCER_REQUEST_LENGTH && sum8(f, 0, 6) === f[6],
};

const BALANCER_REPLY_SHAPE: FrameDescription = {
  protocol: 'balancer-reply',
  header: [0xeb, 0x90],
  maxLength: BALANCER_REPLY_LENGTH,
  length: () => BALANCER_REPLY_LENGTH,
  check: (f) => f.length === BALANCER_REPLY_LENGTH && sum8(f, 0, 73) === f[73],
};

/** A 7-byte request frame (command and 16-bit value); throws RangeError for an address outside 0-255. */
export function encodeBalancerRequest(address: number, command: number, value: number): Buffer {
  if (!Number.isInteger(address) || address < 0 || address > 255) throw new RangeError(`balancer address ${address} is outside 0-255`);
  const f = Buffer.from([0x55, 0xaa, address, command, (value >> 8) & 0xff, value & 0xff, 0]);
  f[6] = sum8(f, 0, 6);
  return f;
}

export function buildBalancerStatusRequest(address: number): Buffer {
  return encodeBalancerRequest(address, BALANCER_COMMANDS.status, 0);
}

/**
 * A set command, range-checked against the documented limits (value in V for triggerDelta, A for
 * maxBalanceCurrent, a count for cellCount, 0/1 or boolean for balancer). Throws RangeError when out of range.
 */
export function buildBalancerWrite(address: number, setting: BalancerSetting, value: number | boolean, maxBalanceCurrentLimit = 1.0): Buffer {
  const limits = BALANCER_LIMITS[setting];
  if (!limits) throw new RangeError(`unknown balancer setting ${String(setting)}`);
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  const max = setting === 'maxBalanceCurrent' ? Math.min(2.0, maxBalanceCurrentLimit) : limits.max;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < limits.min - 1e-9 || v > max + 1e-9) {
    throw new RangeError(`${setting} ${String(value)} is outside ${limits.min}-${max}`);
  }
  const raw = Math.round(v * limits.scale);
  if (setting === 'cellCount' && !Number.isInteger(v)) throw new RangeError('cellCount must be an integer');
  return encodeBalancerRequest(address, BALANCER_COMMANDS[setting], raw);
}

function decodeBalancer(frame: Uint8Array, context: JkDecodeContext = {}): Result<JkDecoded> {
  return guarded<JkDecoded>(() => {
    if (frame.length >= 2 && frame[0] === 0x55 && frame[1] === 0xaa) {
      if (frame.length !== BALANCER_REQUEST_LENGTH) return fail('bad_length', `balancer request of ${frame.length} bytes`);
      if (sum8(frame, 0, 6) !== frame[6]) return fail('bad_checksum', 'balancer request checksum mismatch');
      return ok({ protocol: 'jk-balancer', frameType: 'request', address: frame[2], register: frame[3], raw: { value: (frame[4] << 8) | frame[5] } });
    }
    if (frame.length < BALANCER_REPLY_LENGTH) return fail('short_frame', `balancer reply of ${frame.length} bytes, expected 74`);
    if (frame[0] !== 0xeb || frame[1] !== 0x90) return fail('bad_header', 'not an EB 90 reply');
    if (frame.length !== BALANCER_REPLY_LENGTH) return fail('bad_length', `balancer reply of ${frame.length} bytes, expected 74`);
    const expected = sum8(frame, 0, 73);
    if (expected !== frame[73]) return fail('bad_checksum', `checksum ${frame[73].toString(16)} != ${expected.toString(16)}`);
    const address = frame[2];
    const command = frame[3];
    if (command !== BALANCER_COMMANDS.status) {
      // a set command's reply echoes the command and the value now in force
      return ok({ protocol: 'jk-balancer', frameType: 'write-ack', address, register: command, raw: { value: (frame[4] << 8) | frame[5] } });
    }
    const v = readFields(BALANCER_STATUS, frame, 0, 'BE');
    const reading: JkReading = {};
    const cells = arr(v, 'cells') ?? [];
    const detected = num(v, 'detectedCells') ?? 0;
    const configured = num(v, 'cellCount') ?? 0;
    const count = Math.min(24, detected > 0 ? detected : configured);
    reading.cellVoltages = cells.slice(0, count);
    reading.cellCount = count;
    Object.assign(reading, cellStats(reading.cellVoltages));
    reading.voltage = num(v, 'voltage');
    const state = num(v, 'balanceState') ?? 0;
    reading.balancing = state !== 0;
    reading.balancerEnabled = num(v, 'balancerSwitch') === 1;
    reading.balanceCurrent = num(v, 'balanceCurrent');
    const scale = context.balancerTemperatureScale ?? 0.1;
    reading.temperatures = [tidy((num(v, 'temperatureRaw') ?? 0) * scale)];
    reading.alarms = alarmIds(num(v, 'alarmBits') ?? 0, BALANCER_ALARM_BITS);
    const settings = {
      cellCount: configured,
      balanceTriggerDelta: num(v, 'triggerDelta') ?? 0,
      maxBalanceCurrent: num(v, 'maxBalanceCurrent') ?? 0,
      balancerSwitch: num(v, 'balancerSwitch') ?? 0,
    };
    const raw: { [key: string]: number } = {
      reportedCellAverage: num(v, 'cellAverage') ?? 0,
      reportedCellDelta: num(v, 'cellDelta') ?? 0,
      highestCell: num(v, 'highestCell') ?? 0,
      lowestCell: num(v, 'lowestCell') ?? 0,
      balanceState: state,
      temperatureRaw: num(v, 'temperatureRaw') ?? 0,
      alarmBits: num(v, 'alarmBits') ?? 0,
    };
    return ok({ protocol: 'jk-balancer', frameType: 'status', address, reading, settings, raw, switches: { balancer: reading.balancerEnabled } });
  });
}

/** Encode direction (simulator): a status reply from field values (keys of BALANCER_STATUS). */
export function encodeBalancerStatus(address: number, values: FieldValues): Buffer {
  const f = Buffer.alloc(BALANCER_REPLY_LENGTH);
  f[0] = 0xeb;
  f[1] = 0x90;
  f[2] = address & 0xff;
  f[3] = BALANCER_COMMANDS.status;
  writeFields(BALANCER_STATUS, values, f, 0, 'BE');
  f[73] = sum8(f, 0, 73);
  return f;
}

/** Encode direction: the reply to a set command (command and value echoed, the rest zero). */
export function encodeBalancerSetReply(address: number, command: number, value: number): Buffer {
  const f = Buffer.alloc(BALANCER_REPLY_LENGTH);
  f[0] = 0xeb;
  f[1] = 0x90;
  f[2] = address & 0xff;
  f[3] = command & 0xff;
  f[4] = (value >> 8) & 0xff;
  f[5] = value & 0xff;
  f[73] = sum8(f, 0, 73);
  return f;
}

export function balancerAlarmBits(ids: readonly string[]): number {
  return alarmWord(ids, BALANCER_ALARM_BITS);
}

export const balancer: JkProtocol = {
  id: 'jk-balancer',
  title: 'JK-DZ11 active balancer RS485 V1.3 (55 AA / EB 90, 9600); JK-B2A4S unverified',
  framing: { shapes: [BALANCER_REQUEST_SHAPE, BALANCER_REPLY_SHAPE], maxLength: BALANCER_REPLY_LENGTH, interByteTimeoutMs: 100, defaultBaud: 9600 },
  buildRequests(address: number, what: JkRequestKind): Buffer[] {
    // settings travel inside the status reply; there is no device-info or activate command
    if (what === 'device' || what === 'activate') throw new RangeError(`the balancer has no ${what} request`);
    return [buildBalancerStatusRequest(address)];
  },
  decode: decodeBalancer,
  // a reply names its balancer at byte 2, as the request does
  readReply(request: Uint8Array, frame: Uint8Array, context?: JkDecodeContext): JkReplyRead {
    const decoded = decodeBalancer(frame, context);
    const answers = decoded.ok && decoded.value.frameType !== 'request' && request.length === BALANCER_REQUEST_LENGTH && decoded.value.address === request[2];
    return { role: answers ? 'answer' : 'other', decoded };
  },
};
