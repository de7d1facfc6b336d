/**
 * JK02 300-byte frames (`55 AA EB 90`) of the JK-PB series and of BLE-era boards, as they appear on the JK-PB
 * RS485 parallel bus: an FC10 "trigger" write of 0 to 0x1620 / 0x161E / 0x161C makes the pack at that address
 * send its cell-info / settings / device-info frame followed by the standard FC10 acknowledgement, which is
 * the only place the responder's address appears (docs/jk-bms-protocols.md §4, §5). In listen mode (a pack at DIP 0 is
 * master) the same frames, triggers and acks are decoded without transmitting.
 */
import { encodeRtu } from '../../../lib/wire/modbus-rtu';
import { encodeWriteMultipleRegisters } from '../../../lib/wire/modbus-pdu';
import { fail, guarded, ok, Result } from '../../../lib/wire/result';
import { DEVICE_BLOCK, DEVICE_SETTINGS, deviceFromValues, LIVE_BLOCK_24S, LIVE_BLOCK_32S, liveReading, SETTINGS_FIELDS, settingsFromValues, switchesFromSettings } from './blocks';
import { decodeLogbookEntries } from './logbook';
import { detectJk02Variant } from './detect';
import { FieldValues, readFields, writeFields } from './fields';
import { crcValid } from '../../../lib/wire/crc16';
import type { FrameDescription } from '../../../lib/wire/framer';
import { MODBUS_RTU_SHAPE, sum8 } from './shapes';
import type { Jk02Variant, JkDecodeContext, JkDecoded, JkProtocol, JkReplyRead, JkRequestKind } from './types';

const JK02_HEADER = [0x55, 0xaa, 0xeb, 0x90] as const;
const JK02_FRAME_LENGTH = 300;
/** Frame offset of block offset 0 (docs/jk-bms-protocols.md §4.2 offset rule). */
export const JK02_BLOCK_BASE = 6;

const JK02_FRAME_TYPES = { settings: 0x01, status: 0x02, device: 0x03, logbook: 0x05 } as const;

/** FC10 trigger registers of the command block (docs/jk-bms-protocols.md §5.1). */
export const JK02_TRIGGERS: { [K in 'status' | 'settings' | 'device']: number } = {
  status: 0x1620,
  settings: 0x161e,
  device: 0x161c,
};

const JK02_SHAPE: FrameDescription = {
  protocol: 'jk02',
  header: JK02_HEADER,
  maxLength: JK02_FRAME_LENGTH,
  length: () => JK02_FRAME_LENGTH,
  check: (frame) => frame.length === JK02_FRAME_LENGTH && sum8(frame, 0, 299) === frame[299],
};

export function buildTrigger(address: number, what: 'status' | 'settings' | 'device'): Buffer {
  if (!Number.isInteger(address) || address < 0 || address > 15) throw new RangeError(`JK-PB address ${address} is outside 0-15`);
  return encodeRtu(address, encodeWriteMultipleRegisters(JK02_TRIGGERS[what], [0]));
}

/** The FC10 acknowledgement a pack sends after its frame (`ADDR 10 REG 00 01 CRC`). */
export function buildAck(address: number, register: number): Buffer {
  const pdu = Buffer.from([0x10, register >> 8, register & 0xff, 0x00, 0x01]);
  return encodeRtu(address, pdu);
}

function decodeRtuPart(frame: Uint8Array): Result<JkDecoded> {
  if (!crcValid(frame)) return fail('bad_checksum', 'Modbus CRC mismatch');
  const address = frame[0];
  const fc = frame[1];
  if (fc !== 0x10 || frame.length < 8) return fail('unknown_command', `function ${fc} on the JK-PB bus`);
  const register = (frame[2] << 8) | frame[3];
  const isTrigger = register === JK02_TRIGGERS.status || register === JK02_TRIGGERS.settings || register === JK02_TRIGGERS.device;
  if (frame.length === 8) return ok({ protocol: 'jk02', frameType: isTrigger ? 'ack' : 'write-ack', address, register });
  return ok({ protocol: 'jk02', frameType: isTrigger ? 'trigger' : 'request', address, register });
}

function decodeJk02(frame: Uint8Array, context: JkDecodeContext = {}): Result<JkDecoded> {
  return guarded<JkDecoded>(() => {
    if (frame.length >= 4 && frame[0] !== 0x55) return decodeRtuPart(frame);
    if (frame.length < JK02_FRAME_LENGTH) return fail('short_frame', `JK02 frame of ${frame.length} bytes, expected 300`);
    for (let i = 0; i < 4; i++) if (frame[i] !== JK02_HEADER[i]) return fail('bad_header', 'not a 55 AA EB 90 frame');
    // the checksum first: a capture of a frame and its ack is longer than 300 bytes, and a bad frame in it is the news
    const expected = sum8(frame, 0, 299);
    if (expected !== frame[299]) return fail('bad_checksum', `checksum ${frame[299].toString(16)} != ${expected.toString(16)}`);
    if (frame.length !== JK02_FRAME_LENGTH) return fail('bad_length', `JK02 frame of ${frame.length} bytes, expected 300`);
    const type = frame[4];
    if (type === JK02_FRAME_TYPES.status) {
      let variant: Jk02Variant;
      if (context.variant === '24s' || context.variant === '32s') variant = context.variant;
      else {
        const detected = detectJk02Variant(frame);
        if (!detected.ok) return detected;
        variant = detected.value;
      }
      const values = readFields(variant === '32s' ? LIVE_BLOCK_32S : LIVE_BLOCK_24S, frame, JK02_BLOCK_BASE, 'LE');
      const { reading, raw } = liveReading(values, context.invertCurrent === true);
      const decoded: JkDecoded = { protocol: 'jk02', frameType: 'status', variant, reading };
      raw.byte5 = frame[5];
      decoded.raw = raw;
      return ok(decoded);
    }
    if (type === JK02_FRAME_TYPES.settings) {
      // the settings layout is known for 32S / JK-PB only (docs/jk-bms-protocols.md §4.5)
      if (context.variant === '24s') return fail('unknown_variant', 'settings frames of 24S firmware are not mapped');
      const settings = settingsFromValues(readFields(SETTINGS_FIELDS, frame, JK02_BLOCK_BASE, 'LE'));
      const decoded: JkDecoded = { protocol: 'jk02', frameType: 'settings', settings };
      const switches = switchesFromSettings(settings);
      if (switches) decoded.switches = switches;
      if (settings.deviceAddress !== undefined && settings.deviceAddress <= 15) decoded.address = settings.deviceAddress;
      return ok(decoded);
    }
    if (type === JK02_FRAME_TYPES.device) {
      const values = readFields(DEVICE_BLOCK, frame, JK02_BLOCK_BASE, 'LE');
      return ok({ protocol: 'jk02', frameType: 'device', device: deviceFromValues(values), settings: settingsFromValues(values, DEVICE_SETTINGS) });
    }
    // the logbook answers the BLE command 0xA1; a master or an adapter may still pass one along (esphome decodes it)
    if (type === JK02_FRAME_TYPES.logbook) return ok({ protocol: 'jk02', frameType: 'logbook', logbook: decodeLogbookEntries(frame) });
    return fail('unknown_command', `JK02 frame type ${type}`);
  });
}

/** Encode direction (simulator): a 300-byte frame of the given type from block field values. */
export function encodeJk02(type: 'status' | 'settings' | 'device', values: FieldValues, variant: Jk02Variant = '32s', byte5 = 0): Buffer {
  const frame = Buffer.alloc(JK02_FRAME_LENGTH);
  frame.set(JK02_HEADER, 0);
  frame[4] = JK02_FRAME_TYPES[type];
  frame[5] = byte5 & 0xff;
  const table = type === 'status' ? (variant === '32s' ? LIVE_BLOCK_32S : LIVE_BLOCK_24S) : type === 'settings' ? SETTINGS_FIELDS : DEVICE_BLOCK;
  writeFields(table, values, frame, JK02_BLOCK_BASE, 'LE');
  frame[299] = sum8(frame, 0, 299);
  return frame;
}

/**
 * A trigger's answer is the 300-byte frame (no address) followed by the FC10 acknowledgement of the responder; the pair
 * counts only when the acknowledgement carries the address and register asked, so a late frame of another pack is
 * never taken for this one.
 */
function readJk02Reply(request: Uint8Array, frame: Uint8Array, context: JkDecodeContext = {}): JkReplyRead {
  const decoded = decodeJk02(frame, context);
  // a data frame that fails to decode is still the answer's first part: its error is the poll's outcome
  if (frame.length >= 4 && frame[0] === JK02_HEADER[0]) return { role: 'part', decoded };
  if (!decoded.ok || decoded.value.frameType !== 'ack') return { role: 'other', decoded };
  const asked = request.length >= 4 && decoded.value.address === request[0] && decoded.value.register === ((request[2] << 8) | request[3]);
  return { role: asked ? 'closes' : 'foreign', decoded };
}

/**
 * Whether a decoded frame shows a bus master polling the JK-PB bus (docs/jk-bms-protocols.md §2.3, §5.3): a trigger
 * request, or the acknowledgement of a master's own broadcast (address 0).
 */
export function showsBusMaster(decoded: JkDecoded): boolean {
  return decoded.frameType === 'trigger' || (decoded.frameType === 'ack' && decoded.address === 0);
}

export const jk02: JkProtocol = {
  id: 'jk02',
  title: 'JK-PB RS485 parallel bus (JK02 300-byte frames, FC10 trigger)',
  framing: { shapes: [JK02_SHAPE, MODBUS_RTU_SHAPE], maxLength: JK02_FRAME_LENGTH, interByteTimeoutMs: 50, defaultBaud: 115200 },
  buildRequests(address: number, what: JkRequestKind): Buffer[] {
    if (what === 'activate') throw new RangeError('JK02 has no activate request');
    return [buildTrigger(address, what)];
  },
  decode: decodeJk02,
  readReply: readJk02Reply,
};
