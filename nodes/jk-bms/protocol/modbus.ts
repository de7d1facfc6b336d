/**
 * JK Modbus RTU ("JK BMS RS485 Modbus V1.0 / V1.1", UART1 protocol 001 at 115200 or 013 at 9600). Not ordinary
 * Modbus: the register address on the wire is block + byte offset, while the quantity counts 16-bit
 * registers (docs/jk-bms-protocols.md §6.2). The blocks are the same tables as the JK02 frames (blocks.ts), walked BE.
 */
import { decodeRequest, encodeReadRequest, encodeWriteMultipleRegisters, EXCEPTION_NAMES } from '../../../lib/wire/modbus-pdu';
import { encodeRtu } from '../../../lib/wire/modbus-rtu';
import { fail, guarded, ok, Result } from '../../../lib/wire/result';
import { DEVICE_BLOCK, DEVICE_SETTINGS, deviceFromValues, LIVE_BLOCK_32S, liveReading, SETTINGS_FIELDS, settingsFromValues, switchesFromSettings } from './blocks';
import { FieldSpec, FieldValues, readFields, writeFields } from './fields';
import { crcValid } from '../../../lib/wire/crc16';
import { MODBUS_RTU_SHAPE } from './shapes';
import type { JkDecodeContext, JkDecoded, JkFrameType, JkProtocol, JkReplyRead, JkRequestKind } from './types';

export const BLOCKS = { settings: 0x1000, live: 0x1200, device: 0x1400, command: 0x1600 } as const;
/** Bytes of each readable block the tables cover (the simulator's register image). */
const BLOCK_SIZE = 0x200;

/** Reads per poll, each <= 40 registers (docs/jk-bms-protocols.md §6.4), cut so no field straddles two reads. The device
 * block skips the passcode ranges, so secrets never cross the wire at all. */
export const READ_PLAN: { [K in 'status' | 'settings' | 'device']: Array<{ address: number; count: number }> } = {
  status: [
    { address: 0x1200, count: 32 }, // cells
    { address: 0x1240, count: 37 }, // mask, average, delta, min/max index, wire resistances
    { address: 0x128a, count: 36 }, // MOS temperature .. heater
    // emergency countdown, heater current, T3-T5 words, log count, smart-sleep countdown, battery type: the V1.1
    // map ends at 0x130D (charge status 0x1310-0x1313 is JK02-only, docs/jk-bms-protocols.md §6.4)
    { address: 0x12d2, count: 30 },
  ],
  settings: [
    { address: 0x1000, count: 40 },
    { address: 0x1050, count: 28 },
    { address: 0x1108, count: 14 }, // address, pre-charge, control bits, heater, smart sleep, discharge UTP
  ],
  device: [
    { address: 0x1400, count: 20 }, // model, hardware, software, uptime, power-on count
    { address: 0x1428, count: 8 }, // name
    { address: 0x1448, count: 10 }, // manufacturing date, serial
  ],
};

/** Switches a write may touch (docs/jk-bms-protocols.md §6.6, §10 allow-list): U32, 1 on / 0 off. */
export const MODBUS_SWITCHES = { charge: 0x1070, discharge: 0x1074, balancer: 0x1078 } as const;
export type JkSwitch = keyof typeof MODBUS_SWITCHES;

function checkAddress(address: number): void {
  if (!Number.isInteger(address) || address < 0 || address > 247) throw new RangeError(`Modbus address ${address} is outside 0-247`);
}

export function buildModbusRead(address: number, register: number, count: number): Buffer {
  checkAddress(address);
  if (!Number.isInteger(count) || count < 1 || count > 125) throw new RangeError(`register count ${count} is outside 1-125`);
  return encodeRtu(address, encodeReadRequest({ functionCode: 3, address: register, count }));
}

/** FC10 write of a charge / discharge / balancer switch (U32 high word first over two registers). */
export function buildSwitchWrite(address: number, which: JkSwitch, on: boolean): Buffer {
  checkAddress(address);
  if (!(which in MODBUS_SWITCHES)) throw new RangeError(`unknown switch ${String(which)}`);
  if (typeof on !== 'boolean') throw new RangeError('switch value must be true or false');
  return encodeRtu(address, encodeWriteMultipleRegisters(MODBUS_SWITCHES[which], [0, on ? 1 : 0]));
}

/** The block a register address lies in (blocks are 0x200 apart from 0x1000). */
export function blockOf(register: number): number {
  return register >= 0x1000 && register < 0x1800 ? register - ((register - 0x1000) % 0x200) : register & 0xff00;
}

function blockTable(block: number): readonly FieldSpec[] | undefined {
  if (block === BLOCKS.live) return LIVE_BLOCK_32S;
  if (block === BLOCKS.settings) return SETTINGS_FIELDS;
  if (block === BLOCKS.device) return DEVICE_BLOCK;
  return undefined;
}

/** Decodes the bytes of one block (possibly partial, starting at `byteOffset`) into a JkDecoded. */
function decodeBlockBytes(block: number, byteOffset: number, bytes: Uint8Array, context: JkDecodeContext, address?: number): JkDecoded {
  const table = blockTable(block);
  const base: JkDecoded = { protocol: 'jk-modbus', frameType: 'registers' };
  if (address !== undefined) base.address = address;
  if (!table) return base;
  const values = readFields(table, bytes, -byteOffset, 'BE', true);
  if (block === BLOCKS.live) {
    const { reading, raw } = liveReading(values, context.invertCurrent === true);
    return { ...base, frameType: 'status', variant: '32s', reading, raw };
  }
  if (block === BLOCKS.settings) {
    const settings = settingsFromValues(values);
    const switches = switchesFromSettings(settings);
    return switches ? { ...base, frameType: 'settings', settings, switches } : { ...base, frameType: 'settings', settings };
  }
  const deviceSettings = settingsFromValues(values, DEVICE_SETTINGS);
  const device: JkDecoded = { ...base, frameType: 'device', device: deviceFromValues(values) };
  if (Object.keys(deviceSettings).length) device.settings = deviceSettings;
  return device;
}

/** A Modbus exception reply as the error it reports. */
const exceptionFrom = (frame: Uint8Array): Result<never> =>
  fail('exception', `exception ${frame[2]} (${EXCEPTION_NAMES[frame[2]] ?? 'unknown'}) from address ${frame[0]}`);

/** Checks that `reply` is a CRC-valid FC03 reply of the right size from the address `request` asked. */
function checkReadReply(reply: Uint8Array, request: Uint8Array): Result<true> {
  if (reply.length < 5 || !crcValid(reply)) return fail('bad_checksum', 'Modbus CRC mismatch');
  if (reply[1] & 0x80) return exceptionFrom(reply);
  if (request.length !== 8 || !crcValid(request) || request[1] !== 0x03) return fail('mismatch', 'the request is not a valid FC03 request');
  if (reply[1] !== 0x03) return fail('mismatch', `function ${reply[1]} in reply to FC03`);
  if (reply[0] !== request[0]) return fail('mismatch', `reply from address ${reply[0]} to a request for ${request[0]}`);
  const count = (request[4] << 8) | request[5];
  if (reply[2] !== count * 2 || reply.length !== 5 + count * 2) return fail('bad_length', `${reply[2]} bytes for ${count} registers`);
  return ok(true);
}

function decodeModbus(frame: Uint8Array, context: JkDecodeContext = {}): Result<JkDecoded> {
  return guarded<JkDecoded>(() => {
    if (frame.length < 5) return fail('short_frame', `RTU frame of ${frame.length} bytes`);
    if (!crcValid(frame)) return fail('bad_checksum', 'Modbus CRC mismatch');
    const address = frame[0];
    const fc = frame[1];
    if (fc & 0x80) return exceptionFrom(frame);
    if (fc === 0x10) {
      const register = (frame[2] << 8) | frame[3];
      if (frame.length === 8) return ok({ protocol: 'jk-modbus', frameType: 'write-ack', address, register });
      const req = decodeRequest(frame.subarray(1, frame.length - 2));
      if (!req.ok) return req;
      return ok({ protocol: 'jk-modbus', frameType: register >= 0x161c && register <= 0x1620 ? 'trigger' : 'request', address, register });
    }
    if (fc !== 0x03) return fail('unknown_command', `function ${fc}`);
    // an FC03 request is 8 bytes; a reply is 5 + an even byte count, so always odd
    if (frame.length === 8) return ok({ protocol: 'jk-modbus', frameType: 'request', address, register: (frame[2] << 8) | frame[3] });
    const byteCount = frame[2];
    if (frame.length !== 5 + byteCount) return fail('bad_length', `byte count ${byteCount} in a ${frame.length}-byte reply`);
    if (!context.request) return fail('mismatch', 'an FC03 reply needs its request (--request) to know which registers it holds');
    const request = context.request;
    const checked = checkReadReply(frame, request);
    if (!checked.ok) return checked;
    const start = (request[2] << 8) | request[3];
    const count = (request[4] << 8) | request[5];
    const data = frame.subarray(3, 3 + byteCount);
    const block = blockOf(start);
    const decoded = decodeBlockBytes(block, start - block, data, context, address);
    decoded.register = start;
    if (decoded.frameType === 'registers') {
      decoded.raw = {};
      for (let i = 0; i < count; i++) decoded.raw[`0x${(start + 2 * i).toString(16)}`] = (data[2 * i] << 8) | data[2 * i + 1];
    }
    return ok(decoded);
  });
}

/** What a block's registers are, for a reply checked but not yet walked. */
const BLOCK_FRAME_TYPES: { [block: number]: JkFrameType } = { [BLOCKS.live]: 'status', [BLOCKS.settings]: 'settings', [BLOCKS.device]: 'device' };

const NOT_AN_ANSWER: JkReplyRead = { role: 'other', decoded: fail('mismatch', 'not an answer to this request') };

/**
 * An FC03 request is answered by an FC03 reply from the address asked holding the registers asked, an FC10 write by
 * its acknowledgement of the register written; either by an exception reply to its function (an answer that reports
 * the error). An FC03 reply is only checked here: `decodePoll` walks the registers of all chunks of a poll at once.
 */
function readModbusReply(request: Uint8Array, frame: Uint8Array): JkReplyRead {
  const other = NOT_AN_ANSWER;
  if (request.length < 8 || frame.length < 5 || !crcValid(frame) || frame[0] !== request[0]) return other;
  const fc = request[1];
  if (frame[1] === (fc | 0x80)) return { role: 'answer', decoded: exceptionFrom(frame) };
  const register = (request[2] << 8) | request[3];
  if (fc === 0x03) {
    if (!checkReadReply(frame, request).ok) return other;
    return { role: 'answer', decoded: ok({ protocol: 'jk-modbus', frameType: BLOCK_FRAME_TYPES[blockOf(register)] ?? 'registers', address: frame[0], register }) };
  }
  if (fc === 0x10 && frame[1] === 0x10 && frame.length === 8 && ((frame[2] << 8) | frame[3]) === register) return { role: 'answer', decoded: decodeModbus(frame) };
  return other;
}

/**
 * Decodes all replies of one poll together (the READ_PLAN chunks), so cell statistics and alarms are computed
 * over the whole block. Exchanges are `{ request, reply }` frames as on the wire; a reply already checked against
 * its request when it was picked as the answer (`decoded` from readReply) is not checked again.
 */
export function decodeModbusPoll(
  exchanges: ReadonlyArray<{ request: Uint8Array; reply: Uint8Array; decoded?: Result<JkDecoded> }>,
  context: JkDecodeContext = {},
): Result<JkDecoded> {
  return guarded<JkDecoded>(() => {
    if (exchanges.length === 0) return fail('short_frame', 'no replies');
    let block: number | undefined;
    const image = new Uint8Array(BLOCK_SIZE);
    let lowest = BLOCK_SIZE;
    let highest = 0;
    let address: number | undefined;
    for (const { request, reply, decoded } of exchanges) {
      const checked = decoded ?? checkReadReply(reply, request);
      if (!checked.ok) return checked;
      const start = (request[2] << 8) | request[3];
      const b = blockOf(start);
      if (block !== undefined && b !== block) return fail('mismatch', 'replies from different blocks');
      block = b;
      address = reply[0];
      const offset = start - b;
      const data = reply.subarray(3, reply.length - 2);
      if (offset + data.length > BLOCK_SIZE) return fail('bad_length', 'read beyond the block');
      image.set(data, offset);
      lowest = Math.min(lowest, offset);
      highest = Math.max(highest, offset + data.length);
    }
    if (block === undefined) return fail('short_frame', 'no replies');
    // bytes outside the reads stay unknown: walk only the covered range
    return ok(decodeBlockBytes(block, lowest, image.subarray(lowest, highest), context, address));
  });
}

/** Encode direction (simulator): the BE byte image of a block from field values. */
export function encodeBlockImage(block: number, values: FieldValues): Uint8Array {
  const image = new Uint8Array(BLOCK_SIZE);
  const table = blockTable(block);
  if (table) writeFields(table, values, image, 0, 'BE');
  return image;
}

export const modbus: JkProtocol = {
  id: 'jk-modbus',
  title: 'JK BMS RS485 Modbus V1.0/V1.1 (UART1 protocol 001 at 115200, 013 at 9600)',
  framing: { shapes: [MODBUS_RTU_SHAPE], maxLength: 256, interByteTimeoutMs: 50, defaultBaud: 115200 },
  buildRequests(address: number, what: JkRequestKind): Buffer[] {
    if (what === 'activate') throw new RangeError('JK Modbus has no activate request');
    return READ_PLAN[what].map((r) => buildModbusRead(address, r.address, r.count));
  },
  decode: decodeModbus,
  readReply: readModbusReply,
};
