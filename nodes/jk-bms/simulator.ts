/**
 * A JK BMS bus simulator: any number of packs at any addresses answering NW read-all, JK-PB FC10 triggers
 * (300-byte JK02 frame + ack), JK Modbus FC03 reads and switch writes, and DZ11 balancer requests, on a TCP port
 * (an RS485-to-TCP gateway) or a serial path (e.g. one end of a socat pty pair). Replies are encoded from the
 * same field tables the decoders walk (docs/design.md §1.6). Everything it sends is paced at the configured
 * baud plus a turnaround delay, because a pseudo-terminal or a socket moves bytes instantly and the bus
 * benchmark compares against wire time. A pack at address 0 acts as the JK-PB bus master: it polls the other
 * packs and broadcasts its own frames, which is what the node's listen mode decodes.
 */
import { EventEmitter } from 'events';
import * as net from 'net';
import { encodeException, encodeRegistersResponse } from '../../lib/wire/modbus-pdu';
import { encodeRtu } from '../../lib/wire/modbus-rtu';
import { crcValid } from '../../lib/wire/crc16';
import { Frame, Framer } from '../../lib/wire/framer';
import { alarmWord, JK02_ALARM_BITS } from './protocol/alarm-bits';
import { BALANCER_COMMANDS, BALANCER_LIMITS, BALANCER_REQUEST_SHAPE, encodeBalancerSetReply, encodeBalancerStatus, balancerAlarmBits } from './protocol/balancer';
import { buildAck, buildTrigger, encodeJk02, JK02_TRIGGERS } from './protocol/jk02';
import { blockOf, BLOCKS, encodeBlockImage, MODBUS_SWITCHES } from './protocol/modbus';
import { encodeNwFrame, encodeNwReply, NW_COMMANDS, NW_RECORDS, NW_SHAPE, NW_SOURCE, NW_WRITABLE } from './protocol/nw';
import { DEVICE_SETTINGS, SETTINGS_BLOCK } from './protocol/blocks';
import { JkWritableSetting, WRITABLE_LIMITS } from './protocol/writes';
import { FieldValues, tidy } from './protocol/fields';
import { MODBUS_RTU_SHAPE } from './protocol/shapes';
import type { Jk02Variant, JkDeviceInfo, JkProtocolId, JkSettings } from './protocol/types';
import { JK_CHARGE_STATUSES } from './protocol/types';
import type { JkChargeStatus } from './protocol/types';

export type JkChemistry = 'lifepo4' | 'li-ion' | 'lto';

/**
 * What a pack does; each alarm of the JK presets the simulator can produce has one (docs/alarm-matrix.md), and
 * `full-charge` is the normal end of charge, which must raise nothing. A scenario holds the pack's cells and
 * temperatures (the dynamics stop moving them) until `normal` hands the pack back to the dynamics.
 */
export const JK_SCENARIOS = [
  'normal',
  'full-charge',
  'cell-over-voltage',
  'cell-under-voltage',
  'cell-imbalance',
  'over-temperature',
  'under-temperature',
  'mos-over-temperature',
] as const;
export type JkScenario = (typeof JK_SCENARIOS)[number];

/** Per chemistry: resting mid-charge and end-of-charge cell voltage (V), for the scenarios. */
const SCENARIO_CELLS: { [K in JkChemistry]: { nominal: number; endOfCharge: number } } = {
  lifepo4: { nominal: 3.3, endOfCharge: 3.45 },
  'li-ion': { nominal: 3.7, endOfCharge: 4.2 },
  lto: { nominal: 2.3, endOfCharge: 2.7 },
};
export const JK_FAULTS = ['no-reply', 'bad-checksum', 'truncated', 'echo', 'merged', 'late', 'vanish'] as const;
export type JkFaultName = (typeof JK_FAULTS)[number];

export interface JkFault {
  name: JkFaultName;
  /** pack address the fault applies to; all packs when absent */
  address?: number;
  /** fraction of replies affected, 0..1 (default 1) */
  rate?: number;
}

export interface JkPackState {
  address: number;
  chemistry: JkChemistry;
  /** V per cell */
  cells: number[];
  /** mΩ per cell balance-wire resistance */
  resistances: number[];
  /** A, + charging */
  current: number;
  soc: number;
  soh: number;
  /** Ah */
  capacity: number;
  cycles: number;
  cycleCapacity: number;
  mosTemperature: number;
  temperatures: number[];
  chargeEnabled: boolean;
  dischargeEnabled: boolean;
  balancing: boolean;
  balanceCurrent: number;
  alarms: string[];
  runtime: number;
  /** heater running (JK-PB) and the current it draws, A */
  heating: boolean;
  heaterCurrent: number;
  /** s left of emergency mode; 0 = off */
  emergencyCountdown: number;
  /** s until smart sleep; restarts while current flows */
  smartSleepCountdown: number;
  chargeStatus: JkChargeStatus;
  /** s in the current charge stage */
  chargeStatusTime: number;
  dryContacts: [boolean, boolean];
  logEntryCount: number;
  settings: JkSettings;
  device: JkDeviceInfo;
  /** when set, the dynamics keep this current instead of the built-in profile */
  forcedCurrent?: number;
  /** a scenario other than `normal` holds cells and temperatures */
  scenario?: JkScenario;
}

export interface JkSimulatorOptions {
  /** pack addresses (default [1]) */
  packs?: number[];
  /** TCP port (0 = any free port); used when no serial path is given */
  port?: number;
  host?: string;
  /** serial path (a socat pty end); needs the optional serialport package */
  serial?: string;
  /** baud used for pacing (and the serial port) */
  baud?: number;
  /** bits on the wire per byte: start + data + parity + stop (8N1 = 10) */
  bitsPerByte?: number;
  /** ms between the end of a request and the start of the reply (default 5) */
  turnaroundMs?: number;
  /** false sends without pacing (unit tests of content only) */
  pacing?: boolean;
  cellCount?: number;
  chemistry?: JkChemistry;
  capacity?: number;
  variant?: Jk02Variant;
  /** ms between dynamics steps; 0 = only explicit step() calls */
  tickMs?: number;
  /** ms of a bus-master cycle when a pack is at address 0 (real packs: about 4400) */
  masterCycleMs?: number;
  /** delay of the `late` fault */
  lateMs?: number;
  faults?: JkFault[];
  /** protocols the packs answer (default all): a real pack speaks only what its UART1 setting selects */
  protocols?: JkProtocolId[];
  /**
   * battery probes per pack, 2-4 (default 2): T1, T2, then T4 and T5, which only JK02 32S frames and JK Modbus carry
   * (the captured JK-PB packs report all of them present)
   */
  probes?: number;
}

interface ChemistryModel {
  /** [soc %, open-circuit V] points */
  ocv: Array<[number, number]>;
  settings: JkSettings;
}

/** Battery-type code of NW 0xAF and JK02 frame 275. */
const BATTERY_TYPE_CODE: { [K in JkChemistry]: number } = { lifepo4: 0, 'li-ion': 1, lto: 2 };

/** Probe values at rest: T1, T2, T4, T5. */
const PROBES_AT_REST = [22, 22.5, 23, 23.5];

/** Temperatures for a scenario: `first` for T1, `others` for T2 onwards, keeping the pack's probe count. */
function probesAt(p: JkPackState, first: number, others: number): number[] {
  return p.temperatures.map((_, i) => (i === 0 ? first : others));
}

const CHEMISTRY: { [K in JkChemistry]: ChemistryModel } = {
  lifepo4: {
    ocv: [[0, 2.8], [5, 3.1], [10, 3.2], [30, 3.26], [60, 3.3], [90, 3.34], [98, 3.4], [100, 3.5]],
    settings: { cellUvp: 2.7, cellUvpRecovery: 2.9, cellOvp: 3.65, cellOvpRecovery: 3.45, balanceStartVoltage: 3.3, mosOtp: 80, mosOtpRecovery: 70, chargeOtp: 45, chargeOtpRecovery: 40, chargeUtp: 0, chargeUtpRecovery: 5 },
  },
  'li-ion': {
    ocv: [[0, 3.0], [10, 3.45], [30, 3.62], [60, 3.85], [90, 4.1], [100, 4.18]],
    settings: { cellUvp: 3.0, cellUvpRecovery: 3.2, cellOvp: 4.25, cellOvpRecovery: 4.15, balanceStartVoltage: 3.6, mosOtp: 80, mosOtpRecovery: 70, chargeOtp: 45, chargeOtpRecovery: 40, chargeUtp: 0, chargeUtpRecovery: 5 },
  },
  lto: {
    ocv: [[0, 1.9], [10, 2.1], [50, 2.3], [90, 2.5], [100, 2.7]],
    settings: { cellUvp: 1.8, cellUvpRecovery: 2.0, cellOvp: 2.8, cellOvpRecovery: 2.7, balanceStartVoltage: 2.2, mosOtp: 80, mosOtpRecovery: 70, chargeOtp: 55, chargeOtpRecovery: 50, chargeUtp: -20, chargeUtpRecovery: -15 },
  },
};

function ocv(model: ChemistryModel, soc: number): number {
  const pts = model.ocv;
  if (soc <= pts[0][0]) return pts[0][1];
  for (let i = 1; i < pts.length; i++) {
    if (soc <= pts[i][0]) {
      const [s0, v0] = pts[i - 1];
      const [s1, v1] = pts[i];
      return v0 + ((v1 - v0) * (soc - s0)) / (s1 - s0);
    }
  }
  return pts[pts.length - 1][1];
}

/** Parses `1-4,7` into [1,2,3,4,7]; throws RangeError on anything else. */
export function parsePackList(spec: string): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`bad pack list '${spec}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b || b > 247) throw new RangeError(`bad pack range '${part}'`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  if (out.size === 0) throw new RangeError('no packs');
  return [...out].sort((x, y) => x - y);
}

/** Bits on the wire per byte from a serial format such as `8N1`, `8E1`, `7E2`. */
export function bitsPerByteOf(format: string): number {
  const m = /^([5-8])([NEOMS])([12])$/i.exec(format.trim());
  if (!m) throw new RangeError(`bad serial format '${format}' (e.g. 8N1)`);
  return 1 + Number(m[1]) + (m[2].toUpperCase() === 'N' ? 0 : 1) + Number(m[3]);
}

/**
 * Paces bytes onto one output at baud: each byte takes bitsPerByte/baud seconds, in order, never overlapping.
 * One queue and one timer: timers of separate setTimeout calls may fire out of order on a loaded machine
 * (each takes the loop's cached clock), which would interleave two replies into one corrupt frame.
 */
class PacedWriter {
  private busyUntil = 0;
  /** bytes with the time (performance.now()) they are due, in the order they must leave */
  private readonly queue: Array<{ due: number; bytes: Buffer }> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly write: (bytes: Buffer) => void,
    private readonly msPerByte: number,
    private readonly pacing: boolean,
  ) {}

  /** Queues bytes to start no earlier than `delayMs` from now; `atOnce` delivers them in one write at the end. */
  send(bytes: Buffer, delayMs: number, atOnce = false): void {
    if (bytes.length === 0) return;
    const now = performance.now();
    if (!this.pacing) {
      this.push(Math.max(now + delayMs, this.busyUntil), bytes);
      this.busyUntil = Math.max(now + delayMs, this.busyUntil);
      return;
    }
    const start = Math.max(now + delayMs, this.busyUntil);
    const duration = bytes.length * this.msPerByte;
    this.busyUntil = start + duration;
    if (atOnce) {
      this.push(start + duration, bytes);
      return;
    }
    // slices of about 4 ms of wire time, each written when its last byte would have left the wire
    const perSlice = Math.max(1, Math.floor(4 / this.msPerByte));
    for (let i = 0; i < bytes.length; i += perSlice) {
      const slice = bytes.subarray(i, Math.min(bytes.length, i + perSlice));
      this.push(start + (i + slice.length) * this.msPerByte, Buffer.from(slice));
    }
  }

  /** ms until everything queued has been written */
  get idleIn(): number {
    return Math.max(0, this.busyUntil - performance.now());
  }

  private push(due: number, bytes: Buffer): void {
    this.queue.push({ due, bytes });
    if (this.timer === undefined) this.arm();
  }

  private arm(): void {
    const next = this.queue[0];
    if (next === undefined) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, next.due - performance.now()));
  }

  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    let n = 0;
    while (n < this.queue.length && this.queue[n].due <= now + 0.5) n++;
    // at least the head: its timer fired, so its time has come even if the clocks disagree by a little
    const due = this.queue.splice(0, Math.max(1, n));
    for (const item of due) this.write(item.bytes);
    this.arm();
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

interface Connection {
  framer: Framer;
  writer: PacedWriter;
  flushTimer?: NodeJS.Timeout;
  close(): void;
}

/** The settings a Modbus FC10 may write beside the switches (the allow-list of docs/jk-bms-protocols.md §10). */
const MODBUS_WRITABLE = SETTINGS_BLOCK.filter((f) => (['maxChargeCurrent', 'maxDischargeCurrent', 'balanceTriggerDelta', 'balanceStartVoltage', 'maxBalanceCurrent'] as readonly string[]).includes(f.key));
const NW_WRITABLE_SETTINGS = ['maxChargeCurrent', 'maxDischargeCurrent', 'balanceTriggerDelta', 'balanceStartVoltage'] as const;

/** A device refuses values outside its own range (the protection cross-checks are the writer's). */
function inDeviceRange(setting: JkWritableSetting, value: number): boolean {
  const limits = WRITABLE_LIMITS[setting];
  return value >= limits.min - 1e-9 && value <= limits.max + 1e-9;
}

/** What the simulator listens for: every host request of every protocol. */
const REQUEST_SHAPES = [NW_SHAPE, BALANCER_REQUEST_SHAPE, MODBUS_RTU_SHAPE];
/** silence that ends a partial request (esphome uses 50 ms) */
const REQUEST_INTER_BYTE_MS = 50;

/** The frames a pack sends in answer to one request. */
export interface JkReply {
  frames: Buffer[];
  address: number;
}

export class JkSimulator extends EventEmitter {
  readonly packs = new Map<number, JkPackState>();
  private faults: JkFault[];
  private readonly opts: Required<Omit<JkSimulatorOptions, 'serial' | 'faults' | 'packs' | 'protocols'>> & { serial?: string };
  /** protocols answered; change at run time to simulate a changed UART1 setting */
  protocols: Set<JkProtocolId>;
  private server?: net.Server;
  private serialPort?: { close(cb?: (err?: Error | null) => void): void; write(b: Buffer): void; on(ev: string, fn: (...a: unknown[]) => void): void };
  private readonly connections = new Set<Connection>();
  private tickTimer?: NodeJS.Timeout;
  private masterTimer?: NodeJS.Timeout;
  private lastTick = 0;
  private time = 0;
  /** counters for tests and the CLI */
  readonly stats = { requests: 0, replies: 0, dropped: 0, garbage: 0 };

  constructor(options: JkSimulatorOptions = {}) {
    super();
    this.opts = {
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      serial: options.serial,
      baud: options.baud ?? 115200,
      bitsPerByte: options.bitsPerByte ?? 10,
      turnaroundMs: options.turnaroundMs ?? 5,
      pacing: options.pacing ?? true,
      cellCount: options.cellCount ?? 16,
      chemistry: options.chemistry ?? 'lifepo4',
      capacity: options.capacity ?? 280,
      variant: options.variant ?? '32s',
      tickMs: options.tickMs ?? 1000,
      masterCycleMs: options.masterCycleMs ?? 4400,
      lateMs: options.lateMs ?? 1500,
      probes: Math.min(4, Math.max(2, Math.round(options.probes ?? 2))),
    };
    this.faults = [...(options.faults ?? [])];
    this.protocols = new Set(options.protocols ?? ['jk-nw', 'jk02', 'jk-modbus', 'jk-balancer']);
    for (const address of options.packs ?? [1]) this.addPack(address);
  }

  get msPerByte(): number {
    return (this.opts.bitsPerByte * 1000) / this.opts.baud;
  }

  /** The TCP port in use after start() (0 with a serial path). */
  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  addPack(address: number, overrides: Partial<JkPackState> = {}): JkPackState {
    if (!Number.isInteger(address) || address < 0 || address > 247) throw new RangeError(`pack address ${address}`);
    const chemistry = overrides.chemistry ?? this.opts.chemistry;
    const model = CHEMISTRY[chemistry];
    const n = this.opts.cellCount;
    const soc = 55 + ((address * 7) % 30);
    const base = ocv(model, soc);
    const pack: JkPackState = {
      address,
      chemistry,
      cells: Array.from({ length: n }, (_, i) => Math.round((base + (((i * 7 + address * 3) % 11) - 5) * 0.001) * 1000) / 1000),
      resistances: Array.from({ length: n }, (_, i) => 50 + ((i * 13 + address) % 60)),
      current: 0,
      soc,
      soh: 100,
      capacity: this.opts.capacity,
      cycles: 10 + address,
      cycleCapacity: 1000 + address * 100,
      mosTemperature: 24,
      temperatures: PROBES_AT_REST.slice(0, this.opts.probes),
      chargeEnabled: true,
      dischargeEnabled: true,
      balancing: false,
      balanceCurrent: 0,
      alarms: [],
      runtime: 100000 + address * 1000,
      heating: false,
      heaterCurrent: 0,
      emergencyCountdown: 0,
      smartSleepCountdown: 24 * 3600,
      chargeStatus: 'bulk',
      chargeStatusTime: 0,
      dryContacts: [false, false],
      logEntryCount: 40 + address,
      settings: {
        ...model.settings,
        ...this.derivedSettings(model.settings, n, chemistry),
        smartSleepVoltage: model.settings.cellUvp + 0.8,
        balanceTriggerDelta: 0.005,
        maxChargeCurrent: 100,
        maxDischargeCurrent: 150,
        maxBalanceCurrent: 2,
        cellCount: n,
        chargeSwitch: 1,
        dischargeSwitch: 1,
        balancerSwitch: 1,
        designCapacity: this.opts.capacity,
        actualCapacity: this.opts.capacity,
        shortCircuitDelay: 0.0015,
        deviceAddress: address,
      },
      device: {
        model: 'JK_PB2A16S20P',
        hardware: '15A',
        software: '15.41',
        name: `SIM${address}`,
        manufacturingDate: '240914',
        serial: `SIM${String(address).padStart(8, '0')}`,
        uptime: 100000 + address * 1000,
        powerOnCount: 3,
      },
      ...overrides,
    };
    this.packs.set(address, pack);
    return pack;
  }

  /**
   * The settings a real pack holds beside the chemistry's protection points, with the values of the captured
   * JK-PB pack (`jk02-settings-01-pb-addr3`, `jk02-devinfo-01-pb-addr3`) where they do not depend on chemistry.
   */
  private derivedSettings(base: JkSettings, cells: number, chemistry: JkChemistry): JkSettings {
    return {
      socFullVoltage: base.cellOvpRecovery,
      socEmptyVoltage: tidy(base.cellUvp + 0.2),
      chargeRequestVoltage: base.cellOvpRecovery,
      floatVoltage: tidy(base.cellOvpRecovery - 0.1),
      powerOffVoltage: tidy(base.cellUvp - 0.2),
      chargeOcpDelay: 3,
      chargeOcpRecovery: 60,
      dischargeOcpDelay: 300,
      dischargeOcpRecovery: 60,
      shortCircuitRecovery: 5,
      dischargeOtp: base.chargeOtp + 10,
      dischargeOtpRecovery: base.chargeOtpRecovery + 10,
      dischargeUtp: base.chargeUtp - 20,
      dischargeUtpRecovery: base.chargeUtpRecovery - 20,
      prechargeTime: 0,
      // capture: timed data, float mode, discharge OCP II/III; plus heater enabled (bit 0)
      controlBits: 0x3301,
      heaterStartTemperature: 0,
      heaterStopTemperature: 10,
      smartSleepTime: 24,
      // NW-only protection points
      packOvp: tidy(base.cellOvp * cells),
      packUvp: tidy(base.cellUvp * cells),
      cellOvpDelay: 2,
      cellUvpDelay: 2,
      cellDeltaProtection: 0.3,
      boxOtp: 60,
      boxOtpRecovery: 55,
      temperatureDifferenceProtection: 20,
      batteryType: BATTERY_TYPE_CODE[chemistry],
      sleepTime: 300,
      lowCapacityAlarm: 10,
      dedicatedCharger: 0,
      // device-info frame (type 0x03): UART1 protocol 1 (JK Modbus), CAN off, triggers off, re-bulk at 90 %
      uart1Protocol: 1,
      canProtocol: 0,
      uart2Protocol: 0,
      lcdBuzzerTrigger: 0,
      dryContact1Trigger: 0,
      dryContact2Trigger: 0,
      chargeRequestVoltageTime: 1,
      floatVoltageTime: 12,
      emergencyDuration: 1800,
      reBulkSoc: 90,
    };
  }

  getPack(address: number): JkPackState | undefined {
    return this.packs.get(address);
  }

  /** Changes a pack's state (tests: set cells, current, alarms, switches). */
  setPack(address: number, state: Partial<JkPackState>): JkPackState {
    const pack = this.packs.get(address) ?? this.addPack(address);
    Object.assign(pack, state);
    return pack;
  }

  /**
   * Puts a pack into a scenario: the cell voltages and temperatures it describes, relative to the pack's own
   * OVP/UVP settings, and the BMS protections acting on them. `normal` returns the pack to the dynamics.
   */
  setScenario(address: number, scenario: JkScenario): JkPackState {
    const p = this.packs.get(address) ?? this.addPack(address);
    const s = p.settings;
    const n = p.cells.length;
    const points = SCENARIO_CELLS[p.chemistry];
    const cellsAt = (v: number): number[] => Array.from({ length: n }, (_, i) => tidy(Math.round((v + ((i % 3) - 1) * 0.001) * 1000) / 1000));
    const utp = s.chargeUtp ?? 0;
    p.scenario = scenario;
    p.forcedCurrent = undefined;
    p.cells = cellsAt(points.nominal);
    p.temperatures = probesAt(p, 25, 25.5);
    p.mosTemperature = 30;
    p.current = 0;
    switch (scenario) {
      case 'normal':
        p.scenario = undefined;
        p.alarms = [];
        break;
      case 'full-charge':
        p.cells = cellsAt(points.endOfCharge);
        p.current = 1;
        break;
      case 'cell-over-voltage':
        p.cells = cellsAt(points.endOfCharge);
        p.cells[n - 1] = tidy((s.cellOvp ?? points.endOfCharge) + 0.02);
        break;
      case 'cell-under-voltage':
        p.cells[0] = tidy((s.cellUvp ?? points.nominal) - 0.05);
        break;
      case 'cell-imbalance':
        p.cells[0] = tidy(points.nominal - 0.15);
        break;
      case 'over-temperature':
        p.temperatures = probesAt(p, 62, 61.5);
        break;
      case 'under-temperature':
        p.temperatures = probesAt(p, utp - 3, utp - 2);
        break;
      case 'mos-over-temperature':
        p.mosTemperature = (s.mosOtp ?? 75) + 3;
        break;
    }
    this.applyProtections(p);
    return p;
  }

  removePack(address: number): void {
    this.packs.delete(address);
  }

  injectFault(fault: JkFault): void {
    if (!JK_FAULTS.includes(fault.name)) throw new RangeError(`unknown fault ${String(fault.name)}`);
    this.faults.push(fault);
  }

  clearFaults(address?: number): void {
    this.faults = address === undefined ? [] : this.faults.filter((f) => f.address !== address);
  }

  private faultFor(address: number, name: JkFaultName): boolean {
    return this.faults.some((f) => f.name === name && (f.address === undefined || f.address === address) && Math.random() < (f.rate ?? 1));
  }

  // ------------------------------------------------------------------------------------------- dynamics

  /** Advances every pack by `seconds`: current profile, SOC, cell voltages, balancing, temperatures, protections. */
  step(seconds: number): void {
    this.time += seconds;
    for (const pack of this.packs.values()) this.stepPack(pack, seconds);
  }

  private stepPack(p: JkPackState, dt: number): void {
    if (p.scenario !== undefined) {
      // a scenario holds its values; the BMS still acts on them
      p.runtime += dt;
      this.applyProtections(p);
      return;
    }
    const model = CHEMISTRY[p.chemistry];
    const s = p.settings;
    // a slow charge/discharge swing, offset per pack, within ±0.25 C
    let current = p.forcedCurrent ?? 0.25 * p.capacity * Math.sin((2 * Math.PI * this.time) / 1800 + p.address);
    if (current > 0 && !p.chargeEnabled) current = 0;
    if (current < 0 && !p.dischargeEnabled) current = 0;
    p.current = tidy(Math.round(current * 1000) / 1000);
    const before = p.soc;
    p.soc = Math.min(100, Math.max(0, p.soc + (p.current * dt * 100) / 3600 / p.capacity));
    if (before < 100 && p.soc >= 100) p.cycles++;
    if (p.current < 0) p.cycleCapacity = tidy(p.cycleCapacity + (-p.current * dt) / 3600);
    p.runtime += dt;
    if (p.device.uptime !== undefined) p.device.uptime += dt;
    this.stepCounters(p, dt);
    const mean = p.cells.reduce((a, b) => a + b, 0) / p.cells.length;
    const open = ocv(model, p.soc);
    const trigger = s.balanceTriggerDelta ?? 0.005;
    const max = Math.max(...p.cells);
    const min = Math.min(...p.cells);
    p.balancing = s.balancerSwitch === 1 && max - min > trigger && max > (s.balanceStartVoltage ?? 0);
    p.balanceCurrent = p.balancing ? tidy(Math.min(s.maxBalanceCurrent ?? 1, 1) * 0.6) : 0;
    p.cells = p.cells.map((v, i) => {
      let offset = v - mean;
      if (p.balancing) offset *= Math.exp(-dt / 600);
      const drop = (p.current * p.resistances[i]) / 1e6;
      return tidy(Math.round((open + offset + drop) * 1000) / 1000);
    });
    // temperatures relax towards ambient + I²R heating
    const heat = (p.current * p.current) / (p.capacity * p.capacity);
    const k = 1 - Math.exp(-dt / 120);
    p.mosTemperature = tidy(Math.round((p.mosTemperature + (25 + 40 * heat - p.mosTemperature) * k) * 10) / 10);
    p.temperatures = p.temperatures.map((t) => tidy(Math.round((t + (22 + 15 * heat - t) * k) * 10) / 10));
    this.applyProtections(p);
  }

  /** Emergency and smart-sleep countdowns and the charge stage (bulk -> absorption at RCV -> float when full). */
  private stepCounters(p: JkPackState, dt: number): void {
    const s = p.settings;
    p.emergencyCountdown = Math.max(0, Math.round(p.emergencyCountdown - dt));
    p.smartSleepCountdown = Math.abs(p.current) > 0.1 ? (s.smartSleepTime ?? 24) * 3600 : Math.max(0, Math.round(p.smartSleepCountdown - dt));
    const maxCell = Math.max(...p.cells);
    const stage: JkChargeStatus = p.current >= 0 && p.soc >= 99 ? 'float' : p.current > 0 && maxCell >= (s.chargeRequestVoltage ?? Infinity) ? 'absorption' : 'bulk';
    p.chargeStatusTime = stage === p.chargeStatus ? Math.round(p.chargeStatusTime + dt) : 0;
    p.chargeStatus = stage;
  }

  /** The heater of a JK-PB: on below its start temperature while enabled (control bit 0), off above its stop temperature. */
  private applyHeater(p: JkPackState): void {
    const s = p.settings;
    const enabled = ((s.controlBits ?? 0) & 1) === 1;
    const coldest = Math.min(...p.temperatures);
    if (!enabled || coldest > (s.heaterStopTemperature ?? Infinity)) p.heating = false;
    else if (coldest < (s.heaterStartTemperature ?? -Infinity)) p.heating = true;
    // about 0.5 A, like the heater current of the captured JK-PB pack at 236
    p.heaterCurrent = p.heating ? 0.5 : 0;
  }

  /** The protection semantics of the JK manuals (docs/jk-bms-protocols.md §9), acting on the MOSFETs and the alarm bits. */
  applyProtections(p: JkPackState): void {
    const s = p.settings;
    const set = new Set(p.alarms);
    const max = Math.max(...p.cells);
    const min = Math.min(...p.cells);
    const hold = (id: string, on: boolean, off: boolean) => {
      if (on) set.add(id);
      else if (off) set.delete(id);
    };
    hold('cell-over-voltage', max > (s.cellOvp ?? Infinity), max < (s.cellOvpRecovery ?? -Infinity));
    hold('cell-under-voltage', min < (s.cellUvp ?? -Infinity), min > (s.cellUvpRecovery ?? Infinity));
    hold('mos-over-temperature', p.mosTemperature > (s.mosOtp ?? Infinity), p.mosTemperature < (s.mosOtpRecovery ?? -Infinity));
    const tMax = Math.max(...p.temperatures);
    const tMin = Math.min(...p.temperatures);
    hold('charge-over-temperature', tMax > (s.chargeOtp ?? Infinity), tMax < (s.chargeOtpRecovery ?? -Infinity));
    hold('charge-under-temperature', tMin < (s.chargeUtp ?? -Infinity), tMin > (s.chargeUtpRecovery ?? Infinity));
    // the BMS logs every protection that starts or ends
    if (set.size !== p.alarms.length || p.alarms.some((a) => !set.has(a))) p.logEntryCount++;
    p.alarms = [...set];
    this.applyHeater(p);
    const chargeBlocked = ['cell-over-voltage', 'mos-over-temperature', 'charge-over-temperature', 'charge-under-temperature'].some((a) => set.has(a));
    const dischargeBlocked = ['cell-under-voltage', 'mos-over-temperature'].some((a) => set.has(a));
    p.chargeEnabled = s.chargeSwitch === 1 && !chargeBlocked;
    p.dischargeEnabled = s.dischargeSwitch === 1 && !dischargeBlocked;
  }

  // ------------------------------------------------------------------------------------------- encode

  /** Live-block field values of a pack (keys of LIVE_BLOCK_32S / LIVE_BLOCK_24S). */
  liveValues(p: JkPackState, slots = 32): FieldValues {
    const n = p.cells.length;
    const cells = [...p.cells.slice(0, slots), ...new Array(Math.max(0, slots - n)).fill(0)];
    const res = [...p.resistances.slice(0, slots), ...new Array(Math.max(0, slots - n)).fill(0)];
    let minI = 0;
    let maxI = 0;
    p.cells.forEach((c, i) => {
      if (c < p.cells[minI]) minI = i;
      if (c > p.cells[maxI]) maxI = i;
    });
    const voltage = p.cells.reduce((a, b) => a + b, 0);
    return {
      cells,
      cellMask: 2 ** Math.min(n, slots) - 1,
      cellAverage: voltage / n,
      cellDelta: p.cells[maxI] - p.cells[minI],
      cellMaxIndex0: maxI,
      cellMinIndex0: minI,
      resistances: res,
      mosTemperature: p.mosTemperature,
      wireAlarmBits: 0,
      voltage,
      powerMagnitude: Math.abs(voltage * p.current),
      current: p.current,
      t1: p.temperatures[0] ?? 0,
      t2: p.temperatures[1] ?? 0,
      alarmBits: alarmWord(p.alarms, JK02_ALARM_BITS),
      balanceCurrent: p.balanceCurrent,
      balancerAction: p.balancing ? 1 : 0,
      soc: Math.round(p.soc),
      remainingCapacity: (p.soc * p.capacity) / 100,
      nominalCapacity: p.capacity,
      cycles: p.cycles,
      cycleCapacity: p.cycleCapacity,
      soh: p.soh,
      precharge: 0,
      runtime: Math.round(p.runtime),
      chargeMos: p.chargeEnabled ? 1 : 0,
      dischargeMos: p.dischargeEnabled ? 1 : 0,
      // present bits: MOS, T1, T2, then T4 (0x10) and T5 (0x20); T3's bit stays clear (its word mirrors the MOS)
      sensorBits: [0x02, 0x04, 0x10, 0x20].reduce((bits, bit, i) => (i < p.temperatures.length ? bits | bit : bits), 0x01),
      heater: p.heating ? 1 : 0,
      emergencyCountdown: p.emergencyCountdown,
      heaterCurrent: p.heaterCurrent,
      tempAt254: p.mosTemperature,
      tempAt256: p.temperatures[2] ?? 0,
      tempAt258: p.temperatures[3] ?? 0,
      logEntryCount: p.logEntryCount,
      smartSleepCountdown: p.smartSleepCountdown,
      batteryTypeCode: BATTERY_TYPE_CODE[p.chemistry],
      chargeStatusTime: p.chargeStatusTime,
      chargeStatusCode: JK_CHARGE_STATUSES.indexOf(p.chargeStatus),
      dryContacts: (p.dryContacts[0] ? 0x02 : 0) | (p.dryContacts[1] ? 0x04 : 0),
    };
  }

  settingsValues(p: JkPackState): FieldValues {
    return {
      ...p.settings,
      chargeSwitch: p.settings.chargeSwitch ?? 1,
      dischargeSwitch: p.settings.dischargeSwitch ?? 1,
      balancerSwitch: p.settings.balancerSwitch ?? 1,
      cellCount: p.cells.length,
      deviceAddress: p.address,
    };
  }

  deviceValues(p: JkPackState): FieldValues {
    const out: FieldValues = {};
    for (const [k, v] of Object.entries(p.device)) if (v !== undefined) out[k] = v;
    for (const d of DEVICE_SETTINGS) if (p.settings[d.key] !== undefined) out[d.key] = p.settings[d.key];
    return out;
  }

  jk02Frame(p: JkPackState, what: 'status' | 'settings' | 'device'): Buffer {
    if (what === 'status') return encodeJk02('status', this.liveValues(p, this.opts.variant === '32s' ? 32 : 24), this.opts.variant);
    if (what === 'settings') return encodeJk02('settings', this.settingsValues(p));
    return encodeJk02('device', this.deviceValues(p));
  }

  nwReply(p: JkPackState, command: number = NW_COMMANDS.readAll): Buffer {
    const reading = {
      cellVoltages: p.cells,
      mosTemperature: p.mosTemperature,
      temperatures: p.temperatures,
      voltage: tidy(p.cells.reduce((a, b) => a + b, 0)),
      current: p.current,
      soc: Math.round(p.soc),
      cycles: p.cycles,
      cycleCapacity: Math.round(p.cycleCapacity),
      chargeEnabled: p.chargeEnabled,
      dischargeEnabled: p.dischargeEnabled,
      balancing: p.balancing,
      alarms: p.alarms,
    };
    const s = p.settings;
    // every setting the NW reply has an ID for; NW counts whole °C and whole A
    const settings: JkSettings = {};
    for (const rec of NW_RECORDS) if (rec.target === 'settings' && s[rec.key] !== undefined) settings[rec.key] = s[rec.key];
    Object.assign(settings, { balancerSwitch: s.balancerSwitch ?? 1, chargeSwitch: s.chargeSwitch ?? 1, dischargeSwitch: s.dischargeSwitch ?? 1 });
    Object.assign(settings, { cellCount: p.cells.length, designCapacity: p.capacity, deviceAddress: p.address });
    const device: JkDeviceInfo = {
      name: p.device.name?.slice(0, 8),
      manufacturingDate: p.device.manufacturingDate?.slice(0, 4),
      uptime: Math.round((p.device.uptime ?? 0) / 60) * 60,
      software: `${p.device.hardware ?? ''}__S${p.device.software ?? ''}`.slice(0, 15),
      model: p.device.model,
    };
    return encodeNwReply({ reading, settings, device, protocolVersion: 1 }, command);
  }

  balancerValues(p: JkPackState): FieldValues {
    const n = p.cells.length;
    let minI = 0;
    let maxI = 0;
    p.cells.forEach((c, i) => {
      if (c < p.cells[minI]) minI = i;
      if (c > p.cells[maxI]) maxI = i;
    });
    const sum = p.cells.reduce((a, b) => a + b, 0);
    return {
      voltage: sum,
      cellAverage: sum / n,
      detectedCells: Math.min(24, n),
      highestCell: maxI + 1,
      lowestCell: minI + 1,
      balanceState: p.balancing ? 1 : 0,
      alarmBits: balancerAlarmBits(p.alarms),
      cellDelta: p.cells[maxI] - p.cells[minI],
      balanceCurrent: p.balanceCurrent,
      triggerDelta: p.settings.balanceTriggerDelta ?? 0.005,
      maxBalanceCurrent: Math.min(p.settings.maxBalanceCurrent ?? 1, 2),
      balancerSwitch: p.settings.balancerSwitch ?? 1,
      cellCount: Math.min(24, p.settings.cellCount ?? n),
      cells: [...p.cells.slice(0, 24), ...new Array(Math.max(0, 24 - n)).fill(0)],
      temperatureRaw: (p.temperatures[0] ?? 0) * 10,
    };
  }

  // ------------------------------------------------------------------------------------------- requests

  /**
   * The reply frames to one request frame, with no faults and no pacing; undefined when no pack answers.
   * Usable in-process by tests.
   */
  respond(request: Uint8Array): JkReply | undefined {
    if (request.length >= 2 && request[0] === 0x4e && request[1] === 0x57) return this.protocols.has('jk-nw') ? this.respondNw(request) : undefined;
    if (request.length === 7 && request[0] === 0x55 && request[1] === 0xaa) return this.protocols.has('jk-balancer') ? this.respondBalancer(request) : undefined;
    if (crcValid(request)) return this.respondModbus(request);
    return undefined;
  }

  private respondNw(req: Uint8Array): JkReply | undefined {
    if (req[10] !== 0) return undefined;
    // NW is point-to-point: the lowest pack answers
    const address = Math.min(...this.packs.keys());
    const pack = this.packs.get(address);
    if (!pack) return undefined;
    const command = req[8];
    if (command === NW_COMMANDS.readAll || command === NW_COMMANDS.read) return { address, frames: [this.nwReply(pack, command)] };
    if (command === NW_COMMANDS.activate || command === NW_COMMANDS.password) {
      return { address, frames: [encodeNwFrame(command, NW_SOURCE.bms, 1, Uint8Array.of(0))] };
    }
    if (command === NW_COMMANDS.write) {
      const id = req[11];
      const value = req[12];
      const key = (Object.keys(NW_WRITABLE) as Array<keyof typeof NW_WRITABLE>).find((k) => NW_WRITABLE[k] === id);
      if (key && (value === 0 || value === 1)) {
        pack.settings[key] = value;
        this.applyProtections(pack);
      }
      const setting = NW_RECORDS.find((r) => r.id === id && r.size === 2 && (NW_WRITABLE_SETTINGS as readonly string[]).includes(r.key));
      if (setting) {
        // a 2-byte setting: applied when in the device's range, and the value in force is echoed
        const wanted = tidy(((req[12] << 8) | req[13]) * (setting.scale ?? 1));
        if (inDeviceRange(setting.key as JkWritableSetting, wanted)) pack.settings[setting.key] = wanted;
        const now = Math.round((pack.settings[setting.key] ?? 0) / (setting.scale ?? 1));
        return { address, frames: [encodeNwFrame(NW_COMMANDS.write, NW_SOURCE.bms, 1, Uint8Array.of(id, (now >> 8) & 0xff, now & 0xff))] };
      }
      return { address, frames: [encodeNwFrame(NW_COMMANDS.write, NW_SOURCE.bms, 1, Uint8Array.of(id, key ? value : 0))] };
    }
    return undefined;
  }

  private respondBalancer(req: Uint8Array): JkReply | undefined {
    const address = req[2];
    const pack = this.packs.get(address);
    if (!pack) return undefined;
    const command = req[3];
    const value = (req[4] << 8) | req[5];
    if (command === BALANCER_COMMANDS.status) return { address, frames: [encodeBalancerStatus(address, this.balancerValues(pack))] };
    const setting = (Object.keys(BALANCER_COMMANDS) as Array<keyof typeof BALANCER_COMMANDS>).find((k) => BALANCER_COMMANDS[k] === command);
    if (!setting || setting === 'status') return undefined;
    const lim = BALANCER_LIMITS[setting];
    const si = value / lim.scale;
    const inRange = si >= lim.min - 1e-9 && si <= (setting === 'maxBalanceCurrent' ? 2 : lim.max) + 1e-9;
    const key = { cellCount: 'cellCount', triggerDelta: 'balanceTriggerDelta', maxBalanceCurrent: 'maxBalanceCurrent', balancer: 'balancerSwitch' }[setting];
    // out of range: ignored, the value in force is returned (docs/jk-bms-protocols.md §7); the cell count is the
    // configured one (the detected count stays the pack's cells)
    if (inRange) pack.settings[key] = si;
    const now = Math.round((pack.settings[key] ?? 0) * lim.scale);
    return { address, frames: [encodeBalancerSetReply(address, command, now)] };
  }

  private respondModbus(req: Uint8Array): JkReply | undefined {
    const address = req[0];
    const pack = this.packs.get(address);
    if (!pack) return undefined;
    const fc = req[1];
    const register = (req[2] << 8) | req[3];
    if (fc === 0x10 && req.length >= 9) {
      const trigger = (Object.keys(JK02_TRIGGERS) as Array<keyof typeof JK02_TRIGGERS>).find((k) => JK02_TRIGGERS[k] === register);
      if (trigger) return this.protocols.has('jk02') ? { address, frames: [this.jk02Frame(pack, trigger), buildAck(address, register)] } : undefined;
      if (!this.protocols.has('jk-modbus')) return undefined;
      const which = (Object.keys(MODBUS_SWITCHES) as Array<keyof typeof MODBUS_SWITCHES>).find((k) => MODBUS_SWITCHES[k] === register);
      const count = (req[4] << 8) | req[5];
      const written = (req[7] << 24) + (req[8] << 16) + (req[9] << 8) + req[10];
      const acknowledged = { address, frames: [encodeRtu(address, Buffer.from([0x10, req[2], req[3], req[4], req[5]]))] };
      if (which && count === 2 && req.length === 13) {
        if (written !== 0 && written !== 1) return { address, frames: [encodeRtu(address, encodeException(0x10, 3))] };
        pack.settings[`${which}Switch`] = written;
        this.applyProtections(pack);
        return acknowledged;
      }
      const setting = MODBUS_WRITABLE.find((w) => BLOCKS.settings + w.offset === register);
      if (setting && count === 2 && req.length === 13) {
        // the device's own range, not the protection cross-checks: those are the writer's job
        const value = tidy(written * (setting.scale ?? 1));
        if (!inDeviceRange(setting.key as JkWritableSetting, value)) return { address, frames: [encodeRtu(address, encodeException(0x10, 3))] };
        pack.settings[setting.key] = value;
        return acknowledged;
      }
      return { address, frames: [encodeRtu(address, encodeException(0x10, 2))] };
    }
    if (fc === 0x03 && req.length === 8 && this.protocols.has('jk-modbus')) {
      const count = (req[4] << 8) | req[5];
      const block = blockOf(register);
      if (count < 1 || count > 125 || !(block === BLOCKS.live || block === BLOCKS.settings || block === BLOCKS.device)) {
        return { address, frames: [encodeRtu(address, encodeException(3, 2))] };
      }
      const values = block === BLOCKS.live ? this.liveValues(pack) : block === BLOCKS.settings ? this.settingsValues(pack) : this.deviceValues(pack);
      const image = encodeBlockImage(block, values);
      const offset = register - block;
      const registers: number[] = [];
      for (let i = 0; i < count; i++) {
        const at = offset + 2 * i;
        registers.push(at + 1 < image.length ? (image[at] << 8) | image[at + 1] : 0);
      }
      return { address, frames: [encodeRtu(address, encodeRegistersResponse(3, registers))] };
    }
    return undefined;
  }

  /** Handles one request frame on a connection: faults, turnaround and pacing. */
  private handleRequest(conn: Connection, request: Buffer): void {
    this.stats.requests++;
    const reply = this.respond(request);
    this.emit('request', request);
    if (!reply) return;
    const a = reply.address;
    if (this.faultFor(a, 'vanish')) {
      this.packs.delete(a);
      this.stats.dropped++;
      return;
    }
    if (this.faultFor(a, 'no-reply')) {
      this.stats.dropped++;
      return;
    }
    let frames = reply.frames.map((f) => Buffer.from(f));
    if (this.faultFor(a, 'bad-checksum')) frames[0][frames[0].length - 1] ^= 0x5a;
    if (this.faultFor(a, 'truncated')) frames = [frames[0].subarray(0, Math.ceil(frames[0].length / 2))];
    const echo = this.faultFor(a, 'echo');
    const merged = this.faultFor(a, 'merged');
    const delay = this.faultFor(a, 'late') ? this.opts.lateMs : this.opts.turnaroundMs;
    if (echo) conn.writer.send(request, 0);
    const bytes = merged ? Buffer.concat([Buffer.of(0), ...frames, Buffer.of(0)]) : Buffer.concat(frames);
    conn.writer.send(bytes, delay, merged);
    this.stats.replies++;
    this.emit('reply', bytes, a);
  }

  private attach(write: (b: Buffer) => void, close: () => void): Connection {
    const conn: Connection = {
      framer: new Framer(REQUEST_SHAPES),
      writer: new PacedWriter(write, this.msPerByte, this.opts.pacing),
      close: () => {
        if (conn.flushTimer) clearTimeout(conn.flushTimer);
        conn.writer.close();
        close();
      },
    };
    this.connections.add(conn);
    return conn;
  }

  private onData(conn: Connection, chunk: Buffer): void {
    this.handleRequests(conn, (framer) => framer.push(chunk));
    if (conn.flushTimer) clearTimeout(conn.flushTimer);
    if (conn.framer.buffered > 0) {
      conn.flushTimer = setTimeout(() => this.handleRequests(conn, (framer) => framer.flushStale()), REQUEST_INTER_BYTE_MS);
    }
  }

  /** Handles the requests a framer step cuts, counting the bytes it dropped as garbage. */
  private handleRequests(conn: Connection, step: (framer: Framer) => Frame[]): void {
    const before = conn.framer.dropped;
    const frames = step(conn.framer);
    this.stats.garbage += conn.framer.dropped - before;
    for (const f of frames) this.handleRequest(conn, f.bytes);
  }

  // ------------------------------------------------------------------------------------------- bus master

  /**
   * One master cycle of a DIP-0 pack (docs/jk-bms-protocols.md §5.3): poll each slave (status, settings), then
   * broadcast own frames.
   */
  private masterCycle(): void {
    const master = this.packs.get(0);
    if (!master) return;
    for (const conn of this.connections) {
      let at = 0;
      const gap = 20;
      for (const address of [...this.packs.keys()].filter((a) => a > 0 && a <= 15).sort((x, y) => x - y)) {
        for (const what of ['status', 'settings'] as const) {
          const trigger = buildTrigger(address, what);
          conn.writer.send(trigger, at);
          at = gap;
          const pack = this.packs.get(address);
          if (!pack || this.faultFor(address, 'no-reply')) continue;
          conn.writer.send(Buffer.concat([this.jk02Frame(pack, what), buildAck(address, JK02_TRIGGERS[what])]), this.opts.turnaroundMs);
        }
      }
      for (const what of ['status', 'settings'] as const) {
        conn.writer.send(Buffer.concat([this.jk02Frame(master, what), buildAck(0, JK02_TRIGGERS[what])]), at);
        at = gap;
      }
    }
  }

  // ------------------------------------------------------------------------------------------- lifecycle

  async start(): Promise<{ port?: number; serial?: string }> {
    if (this.opts.tickMs > 0) {
      this.lastTick = Date.now();
      this.tickTimer = setInterval(() => {
        const now = Date.now();
        this.step((now - this.lastTick) / 1000);
        this.lastTick = now;
      }, this.opts.tickMs);
    }
    if (this.packs.has(0)) this.masterTimer = setInterval(() => this.masterCycle(), this.opts.masterCycleMs);
    if (this.opts.serial) {
      await this.openSerial(this.opts.serial);
      return { serial: this.opts.serial };
    }
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      const conn = this.attach(
        (b) => {
          if (!socket.destroyed) socket.write(b);
        },
        () => socket.destroy(),
      );
      socket.on('data', (chunk) => this.onData(conn, chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        conn.close();
        this.connections.delete(conn);
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return { port: this.port };
  }

  private async openSerial(path: string): Promise<void> {
    let mod: unknown;
    try {
      // optional dependency: only needed for --serial
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      mod = require('serialport');
    } catch {
      throw new Error('the serialport package is not installed; use --port for a TCP simulator');
    }
    const SerialPort = (mod as { SerialPort: new (o: { path: string; baudRate: number; autoOpen: boolean }) => NonNullable<JkSimulator['serialPort']> & { open(cb: (err: Error | null) => void): void } }).SerialPort;
    const port = new SerialPort({ path, baudRate: this.opts.baud, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.serialPort = port;
    const conn = this.attach(
      (b) => port.write(b),
      () => undefined,
    );
    port.on('data', (chunk) => this.onData(conn, chunk as Buffer));
    port.on('error', () => undefined);
  }

  async stop(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.masterTimer) clearInterval(this.masterTimer);
    this.tickTimer = undefined;
    this.masterTimer = undefined;
    for (const conn of this.connections) conn.close();
    this.connections.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    const port = this.serialPort;
    this.serialPort = undefined;
    if (port) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
