/**
 * The typed contract between the JK codecs (this folder), the jk-bms node, the rs485-bus framer, the simulator
 * and `dcpower decode`. Units follow docs/design.md §3: V, A, W, °C, %, Ah, s, mΩ;
 * positive current = charging; a value the device did not report is absent (never null or 0).
 */
import type { FrameDescription } from '../../../lib/wire/framer';
import type { Result } from '../../../lib/wire/result';

/** The wire protocols the node speaks (docs/jk-bms-protocols.md §1). */
export type JkProtocolId = 'jk-nw' | 'jk02' | 'jk-modbus' | 'jk-balancer';
export const JK_PROTOCOL_IDS: readonly JkProtocolId[] = ['jk-nw', 'jk02', 'jk-modbus', 'jk-balancer'];

/** JK02 cell-info layouts: 24 cell slots (firmware <= 10.x) or 32 (firmware >= 11 and every JK-PB). */
export type Jk02Variant = '24s' | '32s';

/** What one poll asks for. `activate` wakes a sleeping NW board (command 0x01). */
export type JkRequestKind = 'status' | 'settings' | 'device' | 'activate';

/**
 * What a decoded frame is:
 * - `status` live data, `settings` parameters, `device` identity strings
 * - `request` a host request seen on the bus (echo, or a master's traffic in listen mode); `trigger` is the
 *   JK-PB FC10 trigger request specifically (0x1620/0x161E/0x161C)
 * - `ack` the FC10 acknowledgement a JK-PB sends after its 300-byte frame (carries the responder address)
 * - `write-ack` a reply confirming a write; `exception` a Modbus exception reply; `registers` a Modbus FC03
 *   reply whose registers map to no known field
 */
export type JkFrameType =
  | 'status'
  | 'settings'
  | 'device'
  | 'request'
  | 'trigger'
  | 'ack'
  | 'write-ack'
  | 'exception'
  | 'registers'
  | 'logbook';

/** JK02 / JK-PB charge stage (frame 280): 0 bulk, 1 absorption, 2 float (esphome `charge_status_id`). */
export type JkChargeStatus = 'bulk' | 'absorption' | 'float';
export const JK_CHARGE_STATUSES: readonly JkChargeStatus[] = ['bulk', 'absorption', 'float'];

/** Cell chemistry code shared by NW 0xAF and JK02 frame 275: 0 LFP, 1 Li-ion (ternary), 2 LTO. */
export type JkBatteryType = 'lfp' | 'li-ion' | 'lto';
export const JK_BATTERY_TYPES: readonly JkBatteryType[] = ['lfp', 'li-ion', 'lto'];

/**
 * Switch states as configured on the device (settings), as opposed to the live MOSFET states of the reading
 * (`chargeEnabled` is "the charge MOSFET conducts now"; `switches.charge` is "charging is allowed by the user").
 * Only the switches a frame carries are present.
 */
export interface JkSwitchStates {
  charge?: boolean;
  discharge?: boolean;
  balancer?: boolean;
  /** JK-PB control bit 0: the heater may run */
  heater?: boolean;
  /** control bit 1 */
  temperatureSensorsDisabled?: boolean;
  /** control bit 2 */
  gpsHeartbeat?: boolean;
  /** control bit 3: true = the port is RS485, false = CAN */
  portRs485?: boolean;
  /** control bit 4 */
  displayAlwaysOn?: boolean;
  /** control bit 5 */
  specialCharger?: boolean;
  /** control bit 6 */
  smartSleep?: boolean;
  /** control bit 7 */
  pclModuleDisabled?: boolean;
  /** control bit 8 */
  timedStoredData?: boolean;
  /** control bit 9 */
  chargingFloatMode?: boolean;
  /** control bit 10 (esphome) */
  emergencyButtonTrigger?: boolean;
  /** control bit 11 (esphome) */
  dryContactAlarmIntermittent?: boolean;
  /** control bits 12 / 13 (esphome) */
  dischargeOcp2?: boolean;
  dischargeOcp3?: boolean;
  /** control bits 14 / 15 (esphome) */
  gpsLockedCharging?: boolean;
  gpsLockedDischarging?: boolean;
  /** NW 0xB3 */
  dedicatedCharger?: boolean;
}

/** One entry of the JK02 logbook frame (type 0x05). */
export interface JkLogbookEntry {
  /** s since the BMS's time base (its own clock; esphome prints it as days/hours) */
  time: number;
  /** event code, see JK_LOGBOOK_EVENTS */
  code: number;
  /** stable id of the event, absent for codes without a known meaning */
  event?: string;
}

export interface JkReading {
  /** V per cell, in cell order; a cell that reads 0 mV is reported as 0 (it is present but reads zero) */
  cellVoltages?: number[];
  /** mΩ balance-wire resistance per cell */
  cellResistances?: number[];
  cellMin?: number;
  cellMax?: number;
  cellDelta?: number;
  cellAverage?: number;
  /** V pack voltage */
  voltage?: number;
  /** A, + charging / − discharging (after the invert-current option) */
  current?: number;
  /** W, signed like current */
  power?: number;
  soc?: number;
  soh?: number;
  /** Ah */
  remainingCapacity?: number;
  nominalCapacity?: number;
  cycleCapacity?: number;
  cycles?: number;
  /** °C */
  mosTemperature?: number;
  /** °C battery probes in the device's order; absent probes omitted */
  temperatures?: number[];
  chargeEnabled?: boolean;
  dischargeEnabled?: boolean;
  balancerEnabled?: boolean;
  balancing?: boolean;
  /** A, + a cell is being charged */
  balanceCurrent?: number;
  /** stable alarm ids (nodes/jk-bms/alarms.ts) */
  alarms?: string[];
  /** number of cells the device reports or has present */
  cellCount?: number;
  /** 1-based index of the lowest / highest cell */
  cellMinIndex?: number;
  cellMaxIndex?: number;
  heating?: boolean;
  precharging?: boolean;
  /** s the BMS has been running */
  runtime?: number;
  /** names of `temperatures[]`, same order: `T1`, `T2`, `T4`, `T5` (docs/jk-bms-protocols.md §4.3) */
  temperatureProbes?: string[];
  /** number of battery temperature sensors the device reports (NW 0x86) */
  temperatureSensorCount?: number;
  /** A drawn by the heater (JK-PB frame 236) */
  heaterCurrent?: number;
  /** s left of emergency mode (frame 218); `emergency` is true while it runs */
  emergencyCountdown?: number;
  emergency?: boolean;
  /** s until smart sleep (frame 270) */
  smartSleepCountdown?: number;
  /** charge stage (frame 280) and s spent in it (frame 278) */
  chargeStatus?: JkChargeStatus;
  chargeStatusTime?: number;
  /** dry-contact outputs (frame 281 bits 1 and 2) */
  dryContact1?: boolean;
  dryContact2?: boolean;
  /** cell chemistry the BMS is set to (JK02 frame 275, NW 0xAF) */
  batteryType?: JkBatteryType;
  /** entries in the BMS's detail log (frame 266) */
  logEntryCount?: number;
}

/** Identity of a device. Passwords the frames carry are never decoded into this (docs/jk-bms-protocols.md §10). */
export interface JkDeviceInfo {
  model?: string;
  hardware?: string;
  software?: string;
  serial?: string;
  name?: string;
  manufacturingDate?: string;
  /** s */
  uptime?: number;
  powerOnCount?: number;
  /** NW 0xC0: how the current is encoded (docs/jk-bms-protocols.md §3.5) */
  protocolVersion?: number;
}

/** Device parameters in SI units (V, A, s, °C, Ah); keys listed in protocol/settings.ts. */
export type JkSettings = { [key: string]: number };

export interface JkDecoded {
  protocol: JkProtocolId;
  frameType: JkFrameType;
  /** responder (or addressed device) when the frame carries it */
  address?: number;
  /** JK02 layout used for a status frame */
  variant?: Jk02Variant;
  reading?: JkReading;
  device?: JkDeviceInfo;
  settings?: JkSettings;
  /**
   * values whose meaning is open (docs/jk-bms-protocols.md §4.3, §4.5; published raw, e.g. JK02 32S temperatures at
   * 254/256/258)
   */
  raw?: { [key: string]: number };
  /** Modbus: the register a trigger/ack/write refers to */
  register?: number;
  /** configured switches, from a settings frame (JK02, Modbus), the NW reply or the DZ11 status */
  switches?: JkSwitchStates;
  /** JK02 logbook frame (type 0x05) */
  logbook?: { count: number; entries: JkLogbookEntry[] };
}

export interface JkDecodeContext {
  /** some firmware reports the current with the wrong sign (docs/jk-bms-protocols.md §2.6) */
  invertCurrent?: boolean;
  /** JK02 cell-info layout; `auto` (default) uses the heuristic of detect.ts */
  variant?: Jk02Variant | 'auto';
  /** jk-modbus: the request this reply answers (tells which registers it holds); required for FC03 replies */
  request?: Uint8Array;
  /** jk-balancer: temperature unit of the status reply, open (docs/jk-bms-protocols.md §7); default 0.1 °C */
  balancerTemperatureScale?: 0.1 | 1;
}

export interface JkFraming {
  /**
   * The frame shapes of the protocol as stream-framer descriptions (lib/wire/framer.ts): the header must match,
   * `length` gives the candidate total lengths from the first bytes, and `check` the checksum of a complete
   * candidate; `protocol` names the shape (`nw`, `jk02`, `modbus-rtu`, `balancer-request`, `balancer-reply`).
   */
  shapes: readonly FrameDescription[];
  /** longest frame of the protocol: beyond this a stuck candidate is dropped */
  maxLength: number;
  /** silence that ends a partial frame (esphome uses 50 ms) */
  interByteTimeoutMs: number;
  /** baud the protocol usually runs at (the rs485-bus default) */
  defaultBaud: number;
}

/**
 * What one frame cut from the bus is to the request waiting for its answer:
 * - `answer` the whole answer
 * - `part` the first frame of a two-frame answer (the JK02 300-byte frame, which carries no address); a later part
 *   replaces it
 * - `closes` the frame that completes the part before it (the JK02 acknowledgement from the address asked)
 * - `foreign` the end of someone else's answer (an acknowledgement from another address): the part before it was theirs
 * - `other` no answer to this request (an echo, another master's request, a late reply of another pack)
 */
export type JkReplyRole = 'answer' | 'part' | 'closes' | 'foreign' | 'other';

export interface JkReplyRead {
  role: JkReplyRole;
  /**
   * The frame decoded, once. An answer that reports an error (a Modbus exception) is an answer with a failed result.
   * A JK Modbus FC03 reply is checked against its request here; its registers are walked by `decodePoll` together
   * with the other chunks of the poll, so cell statistics cover all cells.
   */
  decoded: Result<JkDecoded>;
}

export interface JkProtocol {
  id: JkProtocolId;
  /** one line for help texts */
  title: string;
  framing: JkFraming;
  /**
   * The request frames of one poll, sent one at a time in order, each answered by one reply (jk02: a 300-byte
   * frame plus an FC10 ack). Length 1 except jk-modbus, which reads in chunks of <= 40 registers.
   * Throws RangeError for an address or kind the protocol cannot address (programming error, not wire data).
   */
  buildRequests(address: number, what: JkRequestKind): Buffer[];
  /** Decodes one complete frame as cut by the framer. Never throws. */
  decode(frame: Uint8Array, context?: JkDecodeContext): Result<JkDecoded>;
  /** Reads one frame cut while `request` waits: decodes it and says whether it answers that request. Never throws. */
  readReply(request: Uint8Array, frame: Uint8Array, context?: JkDecodeContext): JkReplyRead;
}
