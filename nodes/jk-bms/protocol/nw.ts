/**
 * NW protocol (`4E 57`, "4G-GPS remote module common protocol", UART1 protocol 000) of the JK-B and JK-BD boards and
 * of newer boards set to 000: one read-all request, one reply of `ID, data` records (docs/jk-bms-protocols.md §3).
 * The reply is walked record by record from a table of IDs, never at fixed offsets, because firmware omits IDs.
 */
import { fail, guarded, ok, Result } from '../../../lib/wire/result';
import { alarmIds, alarmWord, NW_ALARM_BITS } from './alarm-bits';
import { cellStats } from './blocks';
import { readNumber, tidy, writeNumber } from './fields';
import { sum16 } from './shapes';
import type { FrameDescription } from '../../../lib/wire/framer';
import { JK_BATTERY_TYPES } from './types';
import type { JkDecodeContext, JkDecoded, JkDeviceInfo, JkProtocol, JkReplyRead, JkReading, JkRequestKind, JkSettings, JkSwitchStates } from './types';

const NW_HEADER = [0x4e, 0x57] as const;
const NW_END_MARKER = 0x68;
const NW_MAX_LENGTH = 1024;
const NW_MIN_LENGTH = 20;

export const NW_COMMANDS = { activate: 0x01, write: 0x02, read: 0x03, password: 0x05, readAll: 0x06 } as const;
export const NW_SOURCE = { bms: 0, bluetooth: 1, gps: 2, pc: 3 } as const;

type NwTarget = 'reading' | 'settings' | 'device' | 'raw' | 'none';

/**
 * One data ID. `type` is how the bytes are read; `key` the name in its target; `scale` to the target unit.
 * Special types: cells (0x79, length-prefixed), temp (§3.6 rule), current (§3.5 rule), ascii.
 */
export interface NwRecord {
  id: number;
  size: number;
  type: 'u8' | 'u16' | 'i16' | 'u32' | 'ascii' | 'cells' | 'temp' | 'current';
  target: NwTarget;
  key: string;
  scale?: number;
}

/** Data IDs of the reply (docs/jk-bms-protocols.md §3.3). Target `none` = read past, never decoded (secrets, commands). */
export const NW_RECORDS: readonly NwRecord[] = [
  { id: 0x79, size: 0, type: 'cells', target: 'reading', key: 'cellVoltages' },
  { id: 0x80, size: 2, type: 'temp', target: 'reading', key: 'mosTemperature' },
  { id: 0x81, size: 2, type: 'temp', target: 'raw', key: 't1' },
  { id: 0x82, size: 2, type: 'temp', target: 'raw', key: 't2' },
  { id: 0x83, size: 2, type: 'u16', target: 'reading', key: 'voltage', scale: 0.01 },
  { id: 0x84, size: 2, type: 'current', target: 'raw', key: 'currentRaw' },
  { id: 0x85, size: 1, type: 'u8', target: 'reading', key: 'soc' },
  { id: 0x86, size: 1, type: 'u8', target: 'raw', key: 'temperatureSensors' },
  { id: 0x87, size: 2, type: 'u16', target: 'reading', key: 'cycles' },
  { id: 0x89, size: 4, type: 'u32', target: 'reading', key: 'cycleCapacity' },
  { id: 0x8a, size: 2, type: 'u16', target: 'raw', key: 'cellCount' },
  { id: 0x8b, size: 2, type: 'u16', target: 'raw', key: 'alarmBits' },
  { id: 0x8c, size: 2, type: 'u16', target: 'raw', key: 'statusBits' },
  { id: 0x8e, size: 2, type: 'u16', target: 'settings', key: 'packOvp', scale: 0.01 },
  { id: 0x8f, size: 2, type: 'u16', target: 'settings', key: 'packUvp', scale: 0.01 },
  { id: 0x90, size: 2, type: 'u16', target: 'settings', key: 'cellOvp', scale: 0.001 },
  { id: 0x91, size: 2, type: 'u16', target: 'settings', key: 'cellOvpRecovery', scale: 0.001 },
  { id: 0x92, size: 2, type: 'u16', target: 'settings', key: 'cellOvpDelay' },
  { id: 0x93, size: 2, type: 'u16', target: 'settings', key: 'cellUvp', scale: 0.001 },
  { id: 0x94, size: 2, type: 'u16', target: 'settings', key: 'cellUvpRecovery', scale: 0.001 },
  { id: 0x95, size: 2, type: 'u16', target: 'settings', key: 'cellUvpDelay' },
  { id: 0x96, size: 2, type: 'u16', target: 'settings', key: 'cellDeltaProtection', scale: 0.001 },
  { id: 0x97, size: 2, type: 'u16', target: 'settings', key: 'maxDischargeCurrent' },
  { id: 0x98, size: 2, type: 'u16', target: 'settings', key: 'dischargeOcpDelay' },
  { id: 0x99, size: 2, type: 'u16', target: 'settings', key: 'maxChargeCurrent' },
  { id: 0x9a, size: 2, type: 'u16', target: 'settings', key: 'chargeOcpDelay' },
  { id: 0x9b, size: 2, type: 'u16', target: 'settings', key: 'balanceStartVoltage', scale: 0.001 },
  { id: 0x9c, size: 2, type: 'u16', target: 'settings', key: 'balanceTriggerDelta', scale: 0.001 },
  { id: 0x9d, size: 1, type: 'u8', target: 'settings', key: 'balancerSwitch' },
  { id: 0x9e, size: 2, type: 'u16', target: 'settings', key: 'mosOtp' },
  { id: 0x9f, size: 2, type: 'u16', target: 'settings', key: 'mosOtpRecovery' },
  { id: 0xa0, size: 2, type: 'u16', target: 'settings', key: 'boxOtp' },
  { id: 0xa1, size: 2, type: 'u16', target: 'settings', key: 'boxOtpRecovery' },
  { id: 0xa2, size: 2, type: 'u16', target: 'settings', key: 'temperatureDifferenceProtection' },
  { id: 0xa3, size: 2, type: 'u16', target: 'settings', key: 'chargeOtp' },
  { id: 0xa4, size: 2, type: 'u16', target: 'settings', key: 'dischargeOtp' },
  { id: 0xa5, size: 2, type: 'i16', target: 'settings', key: 'chargeUtp' },
  { id: 0xa6, size: 2, type: 'i16', target: 'settings', key: 'chargeUtpRecovery' },
  { id: 0xa7, size: 2, type: 'i16', target: 'settings', key: 'dischargeUtp' },
  { id: 0xa8, size: 2, type: 'i16', target: 'settings', key: 'dischargeUtpRecovery' },
  { id: 0xa9, size: 1, type: 'u8', target: 'settings', key: 'cellCount' },
  { id: 0xaa, size: 4, type: 'u32', target: 'settings', key: 'designCapacity' },
  { id: 0xab, size: 1, type: 'u8', target: 'settings', key: 'chargeSwitch' },
  { id: 0xac, size: 1, type: 'u8', target: 'settings', key: 'dischargeSwitch' },
  { id: 0xad, size: 2, type: 'u16', target: 'settings', key: 'currentCalibration', scale: 0.001 },
  { id: 0xae, size: 1, type: 'u8', target: 'settings', key: 'deviceAddress' },
  { id: 0xaf, size: 1, type: 'u8', target: 'settings', key: 'batteryType' },
  { id: 0xb0, size: 2, type: 'u16', target: 'settings', key: 'sleepTime' },
  { id: 0xb1, size: 1, type: 'u8', target: 'settings', key: 'lowCapacityAlarm' },
  { id: 0xb2, size: 10, type: 'ascii', target: 'none', key: 'password' },
  { id: 0xb3, size: 1, type: 'u8', target: 'settings', key: 'dedicatedCharger' },
  { id: 0xb4, size: 8, type: 'ascii', target: 'device', key: 'name' },
  { id: 0xb5, size: 4, type: 'ascii', target: 'device', key: 'manufacturingDate' },
  { id: 0xb6, size: 4, type: 'u32', target: 'device', key: 'uptime', scale: 60 },
  { id: 0xb7, size: 15, type: 'ascii', target: 'device', key: 'software' },
  { id: 0xb8, size: 1, type: 'u8', target: 'settings', key: 'startCurrentCalibration' },
  { id: 0xb9, size: 4, type: 'u32', target: 'settings', key: 'actualCapacity' },
  // user-editable manufacturer text, the closest NW has to a model string (not reliable)
  { id: 0xba, size: 24, type: 'ascii', target: 'device', key: 'model' },
  { id: 0xbb, size: 1, type: 'u8', target: 'none', key: 'restart' },
  { id: 0xbc, size: 1, type: 'u8', target: 'none', key: 'factoryReset' },
  { id: 0xbd, size: 1, type: 'u8', target: 'none', key: 'remoteUpgrade' },
  { id: 0xbe, size: 2, type: 'u16', target: 'settings', key: 'gpsShutdownVoltage', scale: 0.001 },
  { id: 0xbf, size: 2, type: 'u16', target: 'settings', key: 'gpsRecoveryVoltage', scale: 0.001 },
  { id: 0xc0, size: 1, type: 'u8', target: 'raw', key: 'protocolVersion' },
];

const RECORD_BY_ID = new Map(NW_RECORDS.map((r) => [r.id, r]));

/**
 * NW temperature (docs/jk-bms-protocols.md §3.6, settled): raw above 100 is below zero with 100 as reference
 * (vendor text: 101 = -1 °C), i.e. raw >= 100 -> 100 - raw (100 reads as 0 °C, the JK app's "-0"); below 100 ->
 * raw °C.
 */
export function nwTemperature(raw: number): number {
  return raw >= 100 ? 100 - raw : raw;
}

function nwTemperatureRaw(celsius: number): number {
  const t = Math.round(celsius);
  return t < 0 ? 100 - t : Math.min(t, 99);
}

/**
 * NW current (docs/jk-bms-protocols.md §3.5). Protocol version 1 (all real captures): sign-magnitude, bit 15 =
 * charging. Version 0 or absent (the vendor's default): (10000 - raw) × 0.01 A per the vendor text, unverified
 * by a capture. Any other version: undefined, since no source says how it encodes the current.
 */
export function nwCurrent(raw: number, protocolVersion: number | undefined): number | undefined {
  if (protocolVersion === 1) return tidy(((raw & 0x8000) !== 0 ? 1 : -1) * (raw & 0x7fff) * 0.01);
  if (protocolVersion === undefined || protocolVersion === 0) return tidy((10000 - raw) * 0.01);
  return undefined;
}

function nwCurrentRaw(amps: number): number {
  const magnitude = Math.min(0x7fff, Math.round(Math.abs(amps) * 100));
  return amps > 0 ? 0x8000 | magnitude : magnitude;
}

export const NW_SHAPE: FrameDescription = {
  protocol: 'nw',
  header: NW_HEADER,
  maxLength: NW_MAX_LENGTH,
  length(head) {
    if (head.length < 4) return undefined;
    const total = ((head[2] << 8) | head[3]) + 2;
    return total >= NW_MIN_LENGTH && total <= NW_MAX_LENGTH ? total : -1;
  },
  check(frame) {
    if (frame.length < NW_MIN_LENGTH) return false;
    const length = (frame[2] << 8) | frame[3];
    if (length + 2 !== frame.length) return false;
    return frame[length - 3] === NW_END_MARKER && sum16(frame, 0, length) === ((frame[length] << 8) | frame[length + 1]);
  },
};

/** Builds an NW frame around a payload (command, source, transport type, payload records). */
export function encodeNwFrame(command: number, source: number, transport: number, payload: Uint8Array): Buffer {
  const total = 11 + payload.length + 4 + 1 + 4;
  const frame = Buffer.alloc(total);
  frame[0] = 0x4e;
  frame[1] = 0x57;
  frame.writeUInt16BE(total - 2, 2);
  frame[8] = command;
  frame[9] = source;
  frame[10] = transport;
  frame.set(payload, 11);
  const length = total - 2;
  frame[length - 3] = NW_END_MARKER;
  frame.writeUInt16BE(sum16(frame, 0, length), length);
  return frame;
}

function buildNwRequest(what: JkRequestKind, source: number = NW_SOURCE.pc): Buffer {
  if (what === 'activate') return encodeNwFrame(NW_COMMANDS.activate, source, 0, Uint8Array.of(0));
  return encodeNwFrame(NW_COMMANDS.readAll, source, 0, Uint8Array.of(0));
}

/** The IDs a write may touch (docs/jk-bms-protocols.md §10 allow-list): charge MOS, discharge MOS, balancer. */
export const NW_WRITABLE = { chargeSwitch: 0xab, dischargeSwitch: 0xac, balancerSwitch: 0x9d } as const;

/** The configured switches of an NW reply (0xAB, 0xAC, 0x9D, 0xB3). */
function nwSwitches(settings: JkSettings): JkSwitchStates | undefined {
  const out: JkSwitchStates = {};
  const map: Array<[keyof JkSwitchStates, string]> = [
    ['charge', 'chargeSwitch'],
    ['discharge', 'dischargeSwitch'],
    ['balancer', 'balancerSwitch'],
    ['dedicatedCharger', 'dedicatedCharger'],
  ];
  for (const [name, key] of map) if (settings[key] !== undefined) out[name] = settings[key] === 1;
  return Object.keys(out).length ? out : undefined;
}

function readRecord(rec: NwRecord, frame: Uint8Array, at: number): number | string | undefined {
  switch (rec.type) {
    case 'ascii': {
      let s = '';
      for (let i = at; i < at + rec.size; i++) if (frame[i] >= 0x20 && frame[i] < 0x7f) s += String.fromCharCode(frame[i]);
      return s.trim();
    }
    case 'u8':
      return frame[at];
    case 'temp':
    case 'current':
    case 'u16':
      return readNumber(frame, at, 'u16', 'BE');
    case 'i16':
      return readNumber(frame, at, 'i16', 'BE');
    case 'u32':
      return readNumber(frame, at, 'u32', 'BE');
    default:
      return undefined;
  }
}

export function decodeNw(frame: Uint8Array, context: JkDecodeContext = {}): Result<JkDecoded> {
  return guarded<JkDecoded>(() => {
    if (frame.length < NW_MIN_LENGTH) return fail('short_frame', `NW frame of ${frame.length} bytes`);
    if (frame[0] !== 0x4e || frame[1] !== 0x57) return fail('bad_header', 'not a 4E 57 frame');
    const length = (frame[2] << 8) | frame[3];
    if (length + 2 !== frame.length) return fail('bad_length', `length field ${length} for a frame of ${frame.length} bytes`);
    if (frame[length - 3] !== NW_END_MARKER) return fail('bad_value', 'end marker 0x68 missing');
    const expected = sum16(frame, 0, length);
    const actual = (frame[length] << 8) | frame[length + 1];
    if (expected !== actual) return fail('bad_checksum', `checksum ${actual.toString(16)} != ${expected.toString(16)}`);
    const command = frame[8];
    const transport = frame[10];
    if (transport === 0) return ok({ protocol: 'jk-nw', frameType: 'request', raw: { command, source: frame[9] } });
    if (command === NW_COMMANDS.write) return ok({ protocol: 'jk-nw', frameType: 'write-ack', register: frame[11] });
    if (command === NW_COMMANDS.password || command === NW_COMMANDS.activate) return ok({ protocol: 'jk-nw', frameType: 'write-ack', raw: { command } });

    const reading: JkReading = {};
    const settings: JkSettings = {};
    const device: JkDeviceInfo = {};
    const raw: { [key: string]: number } = { command };
    const end = length - 7; // record number field
    let at = 11;
    while (at < end) {
      const id = frame[at];
      const rec = RECORD_BY_ID.get(id);
      if (!rec) {
        // unknown ID: its size is unknown, so the rest cannot be walked; keep what was decoded
        raw.unknownId = id;
        break;
      }
      at++;
      if (rec.type === 'cells') {
        const n = frame[at];
        if (n % 3 !== 0 || at + 1 + n > end) return fail('bad_value', `cell block of ${n} bytes`);
        const cells: number[] = [];
        for (let i = 0; i < n / 3; i++) {
          const p = at + 1 + i * 3;
          // cell numbers run 1..n; anything else means mis-framing
          if (frame[p] !== i + 1) return fail('bad_value', `cell record ${i} numbered ${frame[p]}`);
          cells.push(tidy(((frame[p + 1] << 8) | frame[p + 2]) * 0.001));
        }
        reading.cellVoltages = cells;
        at += 1 + n;
        continue;
      }
      if (at + rec.size > end) return fail('bad_value', `ID 0x${id.toString(16)} runs past the payload`);
      const value = readRecord(rec, frame, at);
      at += rec.size;
      if (value === undefined || rec.target === 'none') continue;
      if (typeof value === 'string') {
        if (rec.target === 'device' && value !== '') (device as { [k: string]: unknown })[rec.key] = value;
        continue;
      }
      const scaled = rec.type === 'temp' ? nwTemperature(value) : tidy(value * (rec.scale ?? 1));
      if (rec.target === 'reading') (reading as { [k: string]: unknown })[rec.key] = scaled;
      else if (rec.target === 'settings') settings[rec.key] = scaled;
      else if (rec.target === 'device') (device as { [k: string]: unknown })[rec.key] = scaled;
      else raw[rec.key] = scaled;
    }
    if (reading.cellVoltages) {
      reading.cellCount = reading.cellVoltages.length;
      Object.assign(reading, cellStats(reading.cellVoltages));
    }
    const amps = raw.currentRaw === undefined ? undefined : nwCurrent(raw.currentRaw, raw.protocolVersion);
    if (amps !== undefined) {
      reading.current = context.invertCurrent ? tidy(-amps) : amps;
      if (reading.voltage !== undefined) reading.power = tidy(reading.voltage * reading.current);
    }
    const temps: number[] = [];
    const names: string[] = [];
    for (const [key, name] of [['t1', 'T1'], ['t2', 'T2']]) {
      if (raw[key] === undefined) continue;
      temps.push(raw[key]);
      names.push(name);
    }
    if (temps.length) {
      reading.temperatures = temps;
      reading.temperatureProbes = names;
    }
    if (raw.temperatureSensors !== undefined) reading.temperatureSensorCount = raw.temperatureSensors;
    // bit 3 ("battery dropped") stays in raw.statusBits: the captures contradict the vendor's meaning (§3.3)
    if (raw.statusBits !== undefined) {
      reading.chargeEnabled = (raw.statusBits & 1) !== 0;
      reading.dischargeEnabled = (raw.statusBits & 2) !== 0;
      reading.balancing = (raw.statusBits & 4) !== 0;
    }
    if (settings.balancerSwitch !== undefined) reading.balancerEnabled = settings.balancerSwitch === 1;
    if (settings.designCapacity !== undefined) {
      reading.nominalCapacity = settings.designCapacity;
      // NW carries no remaining capacity: derived as esphome does, capacity × SOC
      if (reading.soc !== undefined) reading.remainingCapacity = tidy((settings.designCapacity * reading.soc) / 100);
    }
    if (settings.batteryType !== undefined && JK_BATTERY_TYPES[settings.batteryType]) reading.batteryType = JK_BATTERY_TYPES[settings.batteryType];
    // 0xB6 is the total run time in minutes, the same quantity as JK02's runtime
    if (device.uptime !== undefined) reading.runtime = device.uptime;
    if (raw.protocolVersion !== undefined) device.protocolVersion = raw.protocolVersion;
    if (raw.alarmBits !== undefined) reading.alarms = alarmIds(raw.alarmBits, NW_ALARM_BITS);
    const decoded: JkDecoded = { protocol: 'jk-nw', frameType: 'status', reading, raw };
    if (Object.keys(settings).length) decoded.settings = settings;
    const switches = nwSwitches(settings);
    if (switches) decoded.switches = switches;
    if (Object.keys(device).length) decoded.device = device;
    if (settings.deviceAddress !== undefined) decoded.address = settings.deviceAddress;
    return ok(decoded);
  });
}

/** Values the simulator encodes into a read-all reply (same keys as the decode direction). */
export interface NwReplyValues {
  reading: JkReading;
  settings: JkSettings;
  device: JkDeviceInfo;
  protocolVersion?: number;
}

/** Encode direction: a read-all reply from values, walking NW_RECORDS in table order. */
export function encodeNwReply(values: NwReplyValues, command: number = NW_COMMANDS.readAll): Buffer {
  const parts: number[] = [];
  const r = values.reading;
  const rawValues: { [key: string]: number | undefined } = {
    t1: r.temperatures?.[0],
    t2: r.temperatures?.[1],
    currentRaw: r.current === undefined ? undefined : nwCurrentRaw(r.current),
    temperatureSensors: r.temperatures?.length,
    cellCount: r.cellVoltages?.length,
    alarmBits: r.alarms ? alarmWord(r.alarms, NW_ALARM_BITS) : undefined,
    // bit 3 clear, as in both real board captures (docs/jk-bms-protocols.md §3.3)
    statusBits: (r.chargeEnabled ? 1 : 0) | (r.dischargeEnabled ? 2 : 0) | (r.balancing ? 4 : 0),
    protocolVersion: values.protocolVersion ?? 1,
  };
  for (const rec of NW_RECORDS) {
    if (rec.type === 'cells') {
      const cells = r.cellVoltages ?? [];
      parts.push(rec.id, cells.length * 3);
      cells.forEach((v, i) => {
        const mv = Math.round(v * 1000);
        parts.push(i + 1, (mv >> 8) & 0xff, mv & 0xff);
      });
      continue;
    }
    let value: number | string | undefined;
    if (rec.target === 'reading') value = (r as { [k: string]: unknown })[rec.key] as number | undefined;
    else if (rec.target === 'settings') value = values.settings[rec.key];
    else if (rec.target === 'device') value = (values.device as { [k: string]: unknown })[rec.key] as number | string | undefined;
    else if (rec.target === 'raw') value = rawValues[rec.key];
    if (value === undefined) continue;
    const bytes = Buffer.alloc(rec.size);
    if (rec.type === 'ascii') bytes.write(String(value).slice(0, rec.size), 'latin1');
    else if (typeof value === 'number') {
      const rawValue = rec.type === 'temp' ? nwTemperatureRaw(value) : value / (rec.scale ?? 1);
      const t = rec.type === 'u8' ? 'u8' : rec.type === 'u32' ? 'u32' : rec.type === 'i16' ? 'i16' : 'u16';
      writeNumber(bytes, 0, t, 'BE', rawValue);
    }
    parts.push(rec.id, ...bytes);
  }
  return encodeNwFrame(command, NW_SOURCE.bms, 1, Uint8Array.from(parts));
}

export const nw: JkProtocol = {
  id: 'jk-nw',
  title: 'JK NW protocol (4E 57, UART1 protocol 000, JK-B*/BD* boards)',
  framing: { shapes: [NW_SHAPE], maxLength: NW_MAX_LENGTH, interByteTimeoutMs: 50, defaultBaud: 115200 },
  // NW is point-to-point: the terminal number is always 0 (multi-drop never demonstrated, docs/jk-bms-protocols.md §3.7)
  buildRequests: (_address: number, what: JkRequestKind) => [buildNwRequest(what)],
  decode: decodeNw,
  // no address on the wire: any reply of the board is the answer
  readReply(_request: Uint8Array, frame: Uint8Array, context?: JkDecodeContext): JkReplyRead {
    const decoded = decodeNw(frame, context);
    return { role: decoded.ok && decoded.value.frameType !== 'request' ? 'answer' : 'other', decoded };
  },
};
