/**
 * SNMP agent simulator of a Jupiter J540/J560 240 V HVDC unit (docs/design.md §1.6: a real server).
 *
 * It answers on net-snmp's Agent (its listener, v1/v2c communities, v3 USM users and message encoding) from its
 * own sorted OID table, which is small, fast enough for 1,000 agents in one process, and lets it play the
 * misbehaviours tests need (answer late, refuse large PDUs with tooBig).
 *
 * What it serves (values plausible for a 240 V HVDC unit with a 230 V lithium pack, docs/jupiter-hvdc.md §1.1):
 * - system group, RFC 1628 UPS-MIB (battery, input, output, alarm table with well-known alarms, config),
 * - ENTITY-SENSOR-MIB (RFC 3433) rows with ENTITY-MIB names,
 * - a vendor extension under SIM_ENTERPRISE_OID: the SIMULATOR'S OWN subtree under the RFC 5612 documentation
 *   enterprise number 32473. It is NOT a Jupiter OID (no public Jupiter MIB exists, docs/jupiter-hvdc.md §3); it exists so
 *   that users and tests can exercise the user-editable vendor mapping.
 */
import * as dgram from 'dgram';
import * as snmp from 'net-snmp';
import { defaultProfile, OID, UPS_MIB_ROWS, UPS_WELL_KNOWN_ALARMS, type JupiterProfile, type ProfileRow } from './profile';

export const SIM_ENTERPRISE_OID = '1.3.6.1.4.1.32473.240';

/** What the unit does; each alarm of the catalogue the simulator can produce has one (docs/alarm-matrix.md). */
export const SCENARIOS = [
  'normal',
  'ac-failure',
  'on-battery',
  'discharge-to-low-voltage',
  'rectifier-fault',
  'recovery',
  'ac-breaker-open',
  'load-breaker-open',
  'bms-fault',
  'battery-disconnected',
  'overcharge',
  'cell-imbalance',
  'rectifier-comm-fault',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

const T = snmp.ObjectType;
const UPS = '1.3.6.1.2.1.33.1';
/** upsAlarmEntry: column 1 id, 2 descr (OID.upsAlarmDescr), 3 time */
const UPS_ALARM_ENTRY = OID.upsAlarmDescr.slice(0, OID.upsAlarmDescr.lastIndexOf('.'));

/** number of an RFC 1628 well-known alarm by its name in profile.ts's table */
function wellKnown(name: string): number {
  const alarm = UPS_WELL_KNOWN_ALARMS.find((a) => a.name === name);
  if (!alarm) throw new Error(`profile.ts has no well-known UPS alarm ${name}`);
  return alarm.n;
}

/** RFC 1628 well-known alarm numbers the simulator raises */
export const UPS_ALARM = {
  batteryBad: wellKnown('BatteryBad'),
  onBattery: wellKnown('OnBattery'),
  lowBattery: wellKnown('LowBattery'),
  depletedBattery: wellKnown('DepletedBattery'),
  inputBad: wellKnown('InputBad'),
  outputBad: wellKnown('OutputBad'),
  chargerFailed: wellKnown('ChargerFailed'),
  upsOutputOff: wellKnown('UpsOutputOff'),
  communicationsLost: wellKnown('CommunicationsLost'),
};

export const CELL_COUNT = 62; // 62 NMC cells × 3.7 V ≈ 230 V nominal, consistent with the 4300/3300 mV thresholds
export const RECTIFIER_COUNT = 4;

/** Vendor extension OIDs (simulator's own, see the file comment), scalars then the rectifier table. */
export const SIM_OIDS = {
  dcOutputVoltage: `${SIM_ENTERPRISE_OID}.1.1.0`, // 0.1 V
  loadVoltage: `${SIM_ENTERPRISE_OID}.1.2.0`, // 0.1 V
  batteryVoltage: `${SIM_ENTERPRISE_OID}.1.3.0`, // 0.1 V
  batteryCurrent: `${SIM_ENTERPRISE_OID}.1.4.0`, // 0.1 A, signed, + = charging
  cellVoltageMin: `${SIM_ENTERPRISE_OID}.1.5.0`, // mV
  cellVoltageMax: `${SIM_ENTERPRISE_OID}.1.6.0`, // mV
  cellVoltageDifference: `${SIM_ENTERPRISE_OID}.1.7.0`, // mV
  acInputVoltage: `${SIM_ENTERPRISE_OID}.1.8.0`, // 0.1 V
  acBreakerClosed: `${SIM_ENTERPRISE_OID}.1.9.0`, // 1 healthy, 0 = alarm (manual polarity)
  loadBreakerClosed: `${SIM_ENTERPRISE_OID}.1.10.0`, // 1 healthy, 0 = alarm
  bmsOk: `${SIM_ENTERPRISE_OID}.1.11.0`, // 1 healthy, 0 = alarm
  batteryNotConnected: `${SIM_ENTERPRISE_OID}.1.12.0`, // 1 = alarm
  overchargeProtection: `${SIM_ENTERPRISE_OID}.1.13.0`, // 1 = alarm
  rectifierCount: `${SIM_ENTERPRISE_OID}.1.14.0`,
  /** table: .2.1.<column>.<rectifier>: 2 state (1 ok, 2 fault, 3 commFail, 4 shutdown), 3 current 0.1 A, 4 temperature °C */
  rectifierEntry: `${SIM_ENTERPRISE_OID}.2.1`,
  /** column .3.1.2.<cell>: one cell voltage per row, mV */
  cellVoltage: `${SIM_ENTERPRISE_OID}.3.1.2`,
};

/**
 * The vendor rows that map the simulator's own subtree (not a Jupiter MIB), so that every reading and flag the
 * simulator serves reaches the node: `dcpower simulate jupiter` users and the alarm matrix load it as the profile.
 */
export const SIM_PROFILE_ROWS: ReadonlyArray<{ key: string; oid: string; scale?: number; alarmValue?: number; clearValue?: number }> = [
  { key: 'loadVoltage', oid: SIM_OIDS.loadVoltage, scale: 0.1 },
  { key: 'batteryVoltage', oid: SIM_OIDS.batteryVoltage, scale: 0.1 },
  { key: 'acInputVoltage', oid: SIM_OIDS.acInputVoltage, scale: 0.1 },
  { key: 'cellVoltages', oid: SIM_OIDS.cellVoltage, scale: 0.001 },
  { key: 'cellMin', oid: SIM_OIDS.cellVoltageMin, scale: 0.001 },
  { key: 'cellMax', oid: SIM_OIDS.cellVoltageMax, scale: 0.001 },
  { key: 'cellDelta', oid: SIM_OIDS.cellVoltageDifference, scale: 0.001 },
  { key: 'ac_breaker_open', oid: SIM_OIDS.acBreakerClosed, alarmValue: 0, clearValue: 1 },
  { key: 'load_breaker_open', oid: SIM_OIDS.loadBreakerClosed, alarmValue: 0, clearValue: 1 },
  { key: 'battery_bms_fault', oid: SIM_OIDS.bmsOk, alarmValue: 0, clearValue: 1 },
  { key: 'battery_not_connected', oid: SIM_OIDS.batteryNotConnected, alarmValue: 1, clearValue: 0 },
  { key: 'overcharge_protection', oid: SIM_OIDS.overchargeProtection, alarmValue: 1, clearValue: 0 },
];

/** The default profile with SIM_PROFILE_ROWS filled in: what a node reading the simulator should load. */
export function simulatorProfile(): JupiterProfile {
  const p = defaultProfile();
  p.name = 'dcpower Jupiter simulator (RFC 5612 documentation subtree, not a Jupiter MIB)';
  p.vendor = p.vendor.map((row) => {
    const sim = SIM_PROFILE_ROWS.find((r) => r.key === row.key);
    if (!sim) return row;
    return { ...row, oid: sim.oid, scale: sim.scale ?? row.scale, ...(sim.alarmValue !== undefined ? { alarmValue: sim.alarmValue, clearValue: sim.clearValue } : {}) };
  });
  return p;
}

/** the mapped vendor rows of simulatorProfile: the simulator serves each at its OID and scale */
const SIM_VENDOR_ROWS: readonly ProfileRow[] = simulatorProfile().vendor.filter((row) => row.oid !== '');

export interface UnitState {
  acOk: boolean;
  onBattery: boolean;
  soc: number;
  batteryVoltage: number;
  batteryCurrent: number;
  dcOutputVoltage: number;
  loadVoltage: number;
  acInputVoltage: number;
  acFrequency: number;
  outputCurrent: number;
  outputPower: number;
  secondsOnBattery: number;
  batteryTemperature: number;
  rectifierStates: number[];
  batteryStatus: number;
  alarms: number[];
  /** the vendor flags in the manual's polarity (breakers and BMS: 1 = healthy) */
  acBreakerClosed: 0 | 1;
  loadBreakerClosed: 0 | 1;
  bmsOk: 0 | 1;
  batteryNotConnected: 0 | 1;
  overchargeProtection: 0 | 1;
  /** half the cell spread, mV: cells span average ± this */
  cellHalfSpreadMv: number;
}

/** The unit's physics as a function of scenario and elapsed time; pure, so tests can check it directly. */
export function unitState(scenario: Scenario, elapsedS: number, unitIndex = 0, recoverAfterS = 20): UnitState {
  const load = 4800 + (unitIndex % 7) * 150; // W
  const t = Math.max(0, elapsedS);
  let onBattery = false;
  let soc = 100;
  let rectifierFault = false;
  let rectifierCommFault = false;
  let loadOff = false;
  let batteryVoltageOnMains = 241.5; // float on mains
  let cellHalfSpreadMv = 12 + (unitIndex % 4) * 3;
  switch (scenario) {
    case 'ac-breaker-open': // the AC input breaker opened: no AC, the unit runs from its battery
    case 'ac-failure':
      onBattery = true;
      soc = Math.max(0, 100 - t * 0.1);
      break;
    case 'on-battery':
      onBattery = true;
      soc = Math.max(0, 80 - t * 0.1);
      break;
    case 'discharge-to-low-voltage':
      onBattery = true;
      soc = Math.max(0, 60 - t * 2);
      break;
    case 'rectifier-fault':
      rectifierFault = true;
      break;
    case 'rectifier-comm-fault':
      rectifierCommFault = true;
      break;
    case 'load-breaker-open':
      loadOff = true;
      break;
    case 'overcharge': // charging runs away: 62 cells at 4.33 V average, the BMS's over-charge protection trips
      batteryVoltageOnMains = 268.5;
      break;
    case 'cell-imbalance': // one weak group: the cells span 350 mV
      cellHalfSpreadMv = 175;
      break;
    case 'recovery':
      onBattery = t < recoverAfterS;
      soc = onBattery ? Math.max(0, 100 - t * 0.5) : Math.min(100, 100 - recoverAfterS * 0.5 + (t - recoverAfterS) * 0.2);
      break;
    default:
      break;
  }
  const batteryVoltage = onBattery ? 200 + 0.4 * soc : batteryVoltageOnMains;
  const dcOutputVoltage = onBattery ? batteryVoltage - 0.5 : 240.0;
  const outputCurrent = load / dcOutputVoltage;
  const batteryCurrent = onBattery ? -outputCurrent : soc < 100 ? 2.0 : 0.2;
  const rectifierStates = Array.from({ length: RECTIFIER_COUNT }, (_, i) => (rectifierFault && i === 1 ? 2 : rectifierCommFault && i === 2 ? 3 : 1));
  const batteryStatus = soc < 5 ? 4 : soc < 20 ? 3 : 2;
  const alarms: number[] = [];
  if (onBattery) alarms.push(UPS_ALARM.onBattery, UPS_ALARM.inputBad);
  if (batteryStatus === 3) alarms.push(UPS_ALARM.lowBattery);
  if (batteryStatus === 4) alarms.push(UPS_ALARM.depletedBattery);
  if (dcOutputVoltage < 204) alarms.push(UPS_ALARM.outputBad);
  if (rectifierFault) alarms.push(UPS_ALARM.chargerFailed);
  if (rectifierCommFault) alarms.push(UPS_ALARM.communicationsLost);
  if (loadOff) alarms.push(UPS_ALARM.upsOutputOff);
  if (scenario === 'bms-fault') alarms.push(UPS_ALARM.batteryBad);
  return {
    acOk: !onBattery,
    onBattery,
    soc,
    batteryVoltage,
    batteryCurrent,
    dcOutputVoltage,
    loadVoltage: loadOff ? 0 : dcOutputVoltage - 0.4,
    acInputVoltage: onBattery ? 0 : 220 + (unitIndex % 5),
    acFrequency: onBattery ? 0 : 50,
    outputCurrent,
    outputPower: onBattery || !rectifierFault ? load : load,
    secondsOnBattery: onBattery ? Math.floor(scenario === 'on-battery' ? 600 + t : t) : 0,
    batteryTemperature: 25 + (unitIndex % 3),
    rectifierStates,
    batteryStatus,
    alarms,
    acBreakerClosed: scenario === 'ac-breaker-open' ? 0 : 1,
    loadBreakerClosed: loadOff ? 0 : 1,
    bmsOk: scenario === 'bms-fault' ? 0 : 1,
    batteryNotConnected: scenario === 'battery-disconnected' ? 1 : 0,
    overchargeProtection: scenario === 'overcharge' ? 1 : 0,
    cellHalfSpreadMv,
  };
}

/** Raw value of a reading in the row's encoding: the inverse of profile.ts decodeRow (flags in the row's polarity). */
export function encodeReading(row: ProfileRow, reading: number): number {
  if (row.type === 'flag') return reading ? (row.alarmValue ?? 1) : (row.clearValue ?? 0);
  return Math.round((reading - row.offset) * (1 / row.scale));
}

/**
 * What each UPS_MIB_ROWS key reads on this unit, in the profile's engineering units (enum rows: the RFC 1628
 * code). The OID and scale come from the profile row, so a change to the profile moves the simulator with it.
 */
const UPS_MIB_READINGS: { readonly [key: string]: (s: UnitState, alarmsPresent: number) => number } = {
  batteryVoltage: (s) => s.batteryVoltage,
  batteryCurrent: (s) => s.batteryCurrent,
  batteryTemperature: (s) => s.batteryTemperature,
  soc: (s) => Math.round(s.soc),
  estimatedMinutesRemaining: (s) => Math.round(s.soc * 0.45),
  secondsOnBattery: (s) => s.secondsOnBattery,
  acInputVoltage: (s) => s.acInputVoltage,
  acInputFrequency: (s) => s.acFrequency,
  dcOutputVoltage: (s) => s.dcOutputVoltage,
  outputLoad: (s) => (s.outputPower / 12000) * 100,
  batteryStatus: (s) => s.batteryStatus,
  outputSource: (s) => (s.onBattery ? 5 : 3),
  alarmsPresent: (_s, alarmsPresent) => alarmsPresent,
};
/** ASN.1 types where RFC 1628 does not say INTEGER */
const UPS_MIB_TYPES: { readonly [key: string]: number } = { alarmsPresent: T.Gauge };

const cellAverageMv = (s: UnitState): number => (s.batteryVoltage / CELL_COUNT) * 1000;
/** the cells span the average ± the half spread, in V; lowest, highest and their difference are the scalars */
function cellVoltages(s: UnitState): number[] {
  const avgMv = cellAverageMv(s);
  return Array.from({ length: CELL_COUNT }, (_, c) => Math.round(avgMv + (s.cellHalfSpreadMv * ((c % 5) - 2)) / 2) / 1000);
}

type VendorReading = { scalar: (s: UnitState) => number; column: (s: UnitState) => number[] };
const scalar = (read: (s: UnitState) => number): VendorReading => ({ scalar: read, column: () => [] });

/** What each SIM_PROFILE_ROWS key reads (engineering units; flags: 1 = the alarm is active) */
const SIM_VENDOR_READINGS: { readonly [key: string]: VendorReading } = {
  loadVoltage: scalar((s) => s.loadVoltage),
  batteryVoltage: scalar((s) => s.batteryVoltage),
  acInputVoltage: scalar((s) => s.acInputVoltage),
  cellVoltages: { scalar: () => 0, column: cellVoltages },
  cellMin: scalar((s) => Math.round(cellAverageMv(s) - s.cellHalfSpreadMv) / 1000),
  cellMax: scalar((s) => Math.round(cellAverageMv(s) + s.cellHalfSpreadMv) / 1000),
  cellDelta: scalar((s) => (2 * s.cellHalfSpreadMv) / 1000),
  ac_breaker_open: scalar((s) => 1 - s.acBreakerClosed),
  load_breaker_open: scalar((s) => 1 - s.loadBreakerClosed),
  battery_bms_fault: scalar((s) => 1 - s.bmsOk),
  battery_not_connected: scalar((s) => s.batteryNotConnected),
  overcharge_protection: scalar((s) => s.overchargeProtection),
};

interface Entry {
  oid: string;
  key: number[];
  type: number;
  value: unknown;
}

function oidKey(oid: string): number[] {
  return oid.split('.').map(Number);
}

function compareKeys(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export interface SimUser {
  name: string;
  level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProtocol?: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  authKey?: string;
  privProtocol?: 'des' | 'aes' | 'aes256b' | 'aes256r';
  privKey?: string;
}

export interface TrapSettings {
  host: string;
  port: number;
  version: 'v1' | 'v2c' | 'v3';
  community?: string;
  user?: SimUser;
}

export interface UnitOptions {
  port: number;
  address?: string;
  index?: number;
  model?: 'J540' | 'J560';
  communities?: string[];
  users?: SimUser[];
  scenario?: Scenario;
  recoverAfterS?: number;
  /** scenario time runs this many times faster than the clock (tests see a discharge in seconds) */
  speed?: number;
  /** answer every request this late (ms); tests of slow agents */
  delayMs?: number;
  /** answer GETs with more varbinds than this with tooBig; tests of PDU splitting */
  maxVarbinds?: number;
  trap?: TrapSettings;
  /** raw values served at these OIDs instead of the unit's state: tests of agents that answer nonsense */
  overrides?: { [oid: string]: number };
}

/** Minimal view of net-snmp objects the simulator uses; the published types do not cover them. */
interface RawPdu {
  type: number;
  varbinds: Array<{ oid: string; type?: number; value?: unknown }>;
  nonRepeaters?: number;
  maxRepetitions?: number;
  getResponsePduForRequest(): { varbinds: unknown[]; errorStatus: number; errorIndex: number };
}
interface RawMessage {
  version: number;
  pdu: RawPdu;
}
interface RawAgent {
  listener: { sockets: Record<string, dgram.Socket> };
  getAuthorizer(): { addCommunity(c: string): void; addUser(u: unknown): void };
  sendResponse(socket: dgram.Socket, rinfo: dgram.RemoteInfo, message: RawMessage, pdu: unknown): void;
  close(cb?: () => void): void;
  getRequest: (socket: dgram.Socket, message: RawMessage, rinfo: dgram.RemoteInfo) => void;
  getNextRequest: (socket: dgram.Socket, message: RawMessage, rinfo: dgram.RemoteInfo) => void;
  getBulkRequest: (socket: dgram.Socket, message: RawMessage, rinfo: dgram.RemoteInfo) => void;
  setRequest: (socket: dgram.Socket, message: RawMessage, rinfo: dgram.RemoteInfo) => void;
}

function netSnmpUser(u: SimUser): Record<string, unknown> {
  const user: Record<string, unknown> = { name: u.name, level: snmp.SecurityLevel[u.level] };
  if (u.level !== 'noAuthNoPriv') {
    user.authProtocol = snmp.AuthProtocols[u.authProtocol ?? 'sha256'];
    user.authKey = u.authKey ?? '';
  }
  if (u.level === 'authPriv') {
    user.privProtocol = snmp.PrivProtocols[u.privProtocol ?? 'aes'];
    user.privKey = u.privKey ?? '';
  }
  return user;
}

/** One simulated Jupiter unit: an SNMP agent on its own UDP port. */
export class JupiterUnit {
  readonly port: number;
  readonly index: number;
  private agent: RawAgent | undefined;
  private scenario: Scenario;
  private scenarioStart = Date.now();
  private readonly startedAt = Date.now();
  private entries: Entry[] = [];
  /** position in `entries` of each item of the unsorted list buildEntries makes, while the layout holds */
  private order: number[] = [];
  private layout: string | undefined;
  private refreshedAt = 0;
  /** active alarms: well-known number -> row id and sysUpTime at raise */
  private readonly alarmRows = new Map<number, { id: number; time: number }>();
  private nextAlarmId = 1;
  private trapSession: { trap: (...args: unknown[]) => void; close(): void } | undefined;
  private readonly options: UnitOptions;
  requests = 0;

  constructor(options: UnitOptions) {
    this.options = options;
    this.port = options.port;
    this.index = options.index ?? 0;
    this.scenario = options.scenario ?? 'normal';
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const agent = snmp.createAgent(
        { port: this.port, address: this.options.address ?? '127.0.0.1', transport: 'udp4' } as unknown as Parameters<typeof snmp.createAgent>[0],
        (err: Error | null) => {
          // agent callback: bind errors and unparsable requests; a simulator only reports the first
          if (err && !settled) {
            settled = true;
            reject(err);
          }
        },
      ) as unknown as RawAgent;
      this.agent = agent;
      const auth = agent.getAuthorizer();
      for (const c of this.options.communities ?? ['public']) auth.addCommunity(c);
      for (const u of this.options.users ?? []) auth.addUser(netSnmpUser(u));
      agent.getRequest = (s, m, r) => this.answer(s, m, r, 'get');
      agent.getNextRequest = (s, m, r) => this.answer(s, m, r, 'next');
      agent.getBulkRequest = (s, m, r) => this.answer(s, m, r, 'bulk');
      agent.setRequest = (s, m, r) => this.answer(s, m, r, 'set');
      const socket = Object.values(agent.listener.sockets)[0];
      socket.once('listening', () => {
        if (!settled) {
          settled = true;
          this.refresh(true);
          resolve();
        }
      });
    });
  }

  setScenario(scenario: Scenario): void {
    this.scenario = scenario;
    this.scenarioStart = Date.now();
    this.refresh(true);
  }

  get currentScenario(): Scenario {
    return this.scenario;
  }

  private upTime(): number {
    return Math.floor((Date.now() - this.startedAt) / 10);
  }

  state(): UnitState {
    return unitState(this.scenario, ((Date.now() - this.scenarioStart) / 1000) * (this.options.speed ?? 1), this.index, this.options.recoverAfterS);
  }

  /** Rebuilds the OID table from the unit state (at most once a second unless forced) and sends traps. */
  refresh(force = false): void {
    const now = Date.now();
    if (!force && now - this.refreshedAt < 1000) return;
    this.refreshedAt = now;
    const s = this.state();
    const upTime = this.upTime();
    const before = new Set(this.alarmRows.keys());
    const added: number[] = [];
    const removed: Array<{ alarm: number; id: number }> = [];
    for (const a of s.alarms) {
      if (!this.alarmRows.has(a)) {
        this.alarmRows.set(a, { id: this.nextAlarmId, time: upTime });
        this.nextAlarmId = (this.nextAlarmId % 2147483647) + 1;
        added.push(a);
      }
    }
    for (const a of before) {
      if (!s.alarms.includes(a)) {
        removed.push({ alarm: a, id: this.alarmRows.get(a)?.id ?? 0 });
        this.alarmRows.delete(a);
      }
    }
    this.entries = this.buildEntries(s, upTime);
    if (this.options.trap) {
      if (added.includes(UPS_ALARM.onBattery)) this.sendTrap(OID.upsTrapOnBattery, this.onBatteryVarbinds(s));
      for (const a of added) this.sendTrap(OID.upsTrapAlarmEntryAdded, this.alarmVarbinds(this.alarmRows.get(a)?.id ?? 0, a));
      for (const r of removed) this.sendTrap(OID.upsTrapAlarmEntryRemoved, this.alarmVarbinds(r.id, r.alarm));
    }
  }

  private onBatteryVarbinds(s: UnitState): Array<{ oid: string; type: number; value: unknown }> {
    return [
      { oid: OID.upsEstimatedMinutesRemaining, type: T.Integer, value: Math.round(s.soc * 0.45) },
      { oid: OID.upsSecondsOnBattery, type: T.Integer, value: s.secondsOnBattery },
      { oid: `${UPS}.9.7.0`, type: T.Integer, value: 5 },
    ];
  }

  private alarmVarbinds(id: number, alarm: number): Array<{ oid: string; type: number; value: unknown }> {
    return [
      { oid: `${UPS_ALARM_ENTRY}.1.${id}`, type: T.Integer, value: id },
      { oid: `${OID.upsAlarmDescr}.${id}`, type: T.OID, value: `${OID.upsWellKnownAlarms}.${alarm}` },
    ];
  }

  private buildEntries(s: UnitState, upTime: number): Entry[] {
    const model = this.options.model ?? (this.index % 2 === 0 ? 'J540' : 'J560');
    const r = (v: number): number => Math.round(v);
    const list: Array<[string, number, unknown]> = [
      [OID.sysDescr, T.OctetString, `Jupiter ${model} 240V HVDC power system (dcpower simulator, unit ${this.index + 1})`],
      [OID.sysObjectID, T.OID, SIM_ENTERPRISE_OID],
      [OID.sysUpTime, T.TimeTicks, upTime],
      ['1.3.6.1.2.1.1.4.0', T.OctetString, 'dc-ops@example.com'],
      ['1.3.6.1.2.1.1.5.0', T.OctetString, `jupiter-${this.index + 1}`],
      ['1.3.6.1.2.1.1.6.0', T.OctetString, `rack ${this.index + 1}`],
      // UPS-MIB identity
      [OID.upsIdentManufacturer, T.OctetString, 'dcpower simulator'],
      [OID.upsIdentModel, T.OctetString, model],
      [OID.upsIdentUPSSoftwareVersion, T.OctetString, 'sim-1.0'],
      [`${UPS}.1.4.0`, T.OctetString, 'sim-erc-1.0'],
      [OID.upsIdentName, T.OctetString, `jupiter-${this.index + 1}`],
      // objects no profile row reads: input line count and power, output line count and current, config
      [`${UPS}.3.1.0`, T.Counter, 0],
      [`${UPS}.3.2.0`, T.Integer, 1],
      [`${UPS}.3.3.1.1.1`, T.Integer, 1],
      [`${UPS}.3.3.1.4.1`, T.Integer, s.acOk ? r(((s.outputPower / 0.95) / Math.max(1, s.acInputVoltage)) * 10) : 0],
      [`${UPS}.3.3.1.5.1`, T.Integer, s.acOk ? r(s.outputPower / 0.95) : 0],
      [`${UPS}.4.2.0`, T.Integer, 0],
      [`${UPS}.4.3.0`, T.Integer, 1],
      [`${UPS}.4.4.1.1.1`, T.Integer, 1],
      [OID.upsOutputCurrent1, T.Integer, r(s.outputCurrent * 10)],
      [`${UPS}.4.4.1.4.1`, T.Integer, r(s.outputPower)],
      [`${UPS}.9.3.0`, T.Integer, 240],
      [`${UPS}.9.7.0`, T.Integer, 5],
    ];
    // every UPS-MIB row the profile decodes, at its OID and in its scale
    for (const row of UPS_MIB_ROWS) list.push([row.oid, UPS_MIB_TYPES[row.key] ?? T.Integer, encodeReading(row, UPS_MIB_READINGS[row.key](s, this.alarmRows.size))]);
    for (const [alarm, row] of this.alarmRows) {
      list.push([`${UPS_ALARM_ENTRY}.1.${row.id}`, T.Integer, row.id]);
      list.push([`${OID.upsAlarmDescr}.${row.id}`, T.OID, `${OID.upsWellKnownAlarms}.${alarm}`]);
      list.push([`${UPS_ALARM_ENTRY}.3.${row.id}`, T.TimeTicks, row.time]);
    }
    // ENTITY-MIB names and ENTITY-SENSOR-MIB rows: [index, name, type, scale, precision, value]
    const sensors: Array<[number, string, number, number, number, number]> = [
      [1, 'DC output voltage', 4, 9, 1, r(s.dcOutputVoltage * 10)],
      [2, 'LOAD output voltage', 4, 9, 1, r(s.loadVoltage * 10)],
      [3, 'Battery voltage', 4, 9, 1, r(s.batteryVoltage * 10)],
      [4, 'Battery current', 5, 9, 1, r(s.batteryCurrent * 10)],
      [5, 'Battery temperature', 8, 9, 0, r(s.batteryTemperature)],
      [6, 'AC input voltage', 3, 9, 0, r(s.acInputVoltage)],
    ];
    const unitsDisplay: Record<number, string> = { 3: 'V AC', 4: 'V DC', 5: 'A', 8: 'C' };
    for (const [i, name] of sensors) list.push([`1.3.6.1.2.1.47.1.1.1.1.7.${i}`, T.OctetString, name]);
    for (const [i, , type, scale, precision, value] of sensors) {
      list.push([`1.3.6.1.2.1.99.1.1.1.1.${i}`, T.Integer, type]);
      list.push([`1.3.6.1.2.1.99.1.1.1.2.${i}`, T.Integer, scale]);
      list.push([`1.3.6.1.2.1.99.1.1.1.3.${i}`, T.Integer, precision]);
      list.push([`1.3.6.1.2.1.99.1.1.1.4.${i}`, T.Integer, value]);
      list.push([`1.3.6.1.2.1.99.1.1.1.5.${i}`, T.Integer, 1]);
      list.push([`1.3.6.1.2.1.99.1.1.1.6.${i}`, T.OctetString, unitsDisplay[type] ?? '']);
    }
    // vendor extension (simulator's own subtree): the rows simulatorProfile maps, at their OIDs and scales,
    // then the objects no profile row reads
    for (const row of SIM_VENDOR_ROWS) {
      const reading = SIM_VENDOR_READINGS[row.key];
      if (row.op === 'walk') reading.column(s).forEach((v, i) => list.push([`${row.oid}.${i + 1}`, T.Integer, encodeReading(row, v)]));
      else list.push([row.oid, T.Integer, encodeReading(row, reading.scalar(s))]);
    }
    list.push(
      [SIM_OIDS.dcOutputVoltage, T.Integer, r(s.dcOutputVoltage * 10)],
      [SIM_OIDS.batteryCurrent, T.Integer, r(s.batteryCurrent * 10)],
      [SIM_OIDS.rectifierCount, T.Integer, RECTIFIER_COUNT],
    );
    const healthy = s.rectifierStates.filter((x) => x === 1).length || 1;
    s.rectifierStates.forEach((state, i) => {
      list.push([`${SIM_OIDS.rectifierEntry}.2.${i + 1}`, T.Integer, state]);
      list.push([`${SIM_OIDS.rectifierEntry}.3.${i + 1}`, T.Integer, state === 1 && s.acOk ? r((s.outputCurrent / healthy) * 10) : 0]);
      list.push([`${SIM_OIDS.rectifierEntry}.4.${i + 1}`, T.Integer, 35 + i]);
    });
    const overrides = this.options.overrides;
    if (overrides) for (const entry of list) if (Object.prototype.hasOwnProperty.call(overrides, entry[0])) entry[2] = overrides[entry[0]];
    // the OID layout only changes with the alarm rows: keep the sorted table and refresh its values in place
    const layout = [...this.alarmRows.values()].map((row) => row.id).join(',');
    if (layout === this.layout && this.order.length === list.length) {
      for (let i = 0; i < list.length; i++) this.entries[this.order[i]].value = list[i][2];
      return this.entries;
    }
    const indexed = list.map(([oid, type, value], i) => ({ oid, key: oidKey(oid), type, value, i }));
    indexed.sort((a, b) => compareKeys(a.key, b.key));
    this.order = new Array<number>(list.length);
    indexed.forEach((e, sorted) => {
      this.order[e.i] = sorted;
    });
    this.layout = layout;
    return indexed.map(({ oid, key, type, value }) => ({ oid, key, type, value }));
  }

  /** index of the first entry at or after (strictly after when `after`) the OID */
  private seek(oid: string, after: boolean): number {
    const key = oidKey(oid);
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = compareKeys(this.entries[mid].key, key);
      if (c < 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private answer(socket: dgram.Socket, message: RawMessage, rinfo: dgram.RemoteInfo, kind: 'get' | 'next' | 'bulk' | 'set'): void {
    const respond = (): void => {
      try {
        this.requests++;
        this.refresh();
        const agent = this.agent;
        if (!agent) return;
        const pdu = message.pdu;
        const response = pdu.getResponsePduForRequest();
        const v1 = message.version === snmp.Version1;
        const reqVbs = Array.isArray(pdu.varbinds) ? pdu.varbinds : [];
        const out: Array<{ oid: string; type: number; value: unknown }> = [];
        let missingIndex = 0;
        if (kind === 'set') {
          response.errorStatus = v1 ? snmp.ErrorStatus.NoSuchName : snmp.ErrorStatus.NotWritable;
          response.errorIndex = 1;
          response.varbinds = reqVbs.map((vb) => ({ oid: vb.oid, type: T.Null, value: null }));
          agent.sendResponse(socket, rinfo, message, response);
          return;
        }
        if (kind === 'get' && this.options.maxVarbinds !== undefined && reqVbs.length > this.options.maxVarbinds) {
          response.errorStatus = snmp.ErrorStatus.TooBig;
          response.errorIndex = 0;
          response.varbinds = [];
          agent.sendResponse(socket, rinfo, message, response);
          return;
        }
        const nextOf = (oid: string): { oid: string; type: number; value: unknown } | undefined => {
          const e = this.entries[this.seek(oid, true)];
          return e ? { oid: e.oid, type: e.type, value: e.value } : undefined;
        };
        if (kind === 'get') {
          reqVbs.forEach((vb, i) => {
            const e = this.entries[this.seek(vb.oid, false)];
            if (e && e.oid === vb.oid) out.push({ oid: e.oid, type: e.type, value: e.value });
            else {
              if (!missingIndex) missingIndex = i + 1;
              // instance below a known object -> noSuchInstance, else noSuchObject
              const known = e && e.oid.startsWith(vb.oid.split('.').slice(0, -1).join('.') + '.');
              out.push({ oid: vb.oid, type: known ? T.NoSuchInstance : T.NoSuchObject, value: null });
            }
          });
        } else if (kind === 'next' || v1) {
          reqVbs.forEach((vb, i) => {
            const n = nextOf(vb.oid);
            if (n) out.push(n);
            else {
              if (!missingIndex) missingIndex = i + 1;
              out.push({ oid: vb.oid, type: T.EndOfMibView, value: null });
            }
          });
        } else {
          const nonRepeaters = Math.max(0, Math.min(Number(pdu.nonRepeaters ?? 0), reqVbs.length));
          const maxRep = Math.max(0, Math.min(Number(pdu.maxRepetitions ?? 10), 200));
          for (let i = 0; i < nonRepeaters; i++) out.push(nextOf(reqVbs[i].oid) ?? { oid: reqVbs[i].oid, type: T.EndOfMibView, value: null });
          const cursors = reqVbs.slice(nonRepeaters).map((vb) => vb.oid);
          for (let rep = 0; rep < maxRep && cursors.length > 0; rep++) {
            let allEnd = true;
            cursors.forEach((c, j) => {
              const n = nextOf(c);
              if (n) {
                out.push(n);
                cursors[j] = n.oid;
                allEnd = false;
              } else out.push({ oid: c, type: T.EndOfMibView, value: null });
            });
            if (allEnd) break;
          }
        }
        if (v1 && missingIndex) {
          // SNMPv1 has no exception values: the whole PDU fails with noSuchName at the first missing OID
          response.errorStatus = snmp.ErrorStatus.NoSuchName;
          response.errorIndex = missingIndex;
          response.varbinds = reqVbs.map((vb) => ({ oid: vb.oid, type: T.Null, value: null }));
        } else response.varbinds = out;
        agent.sendResponse(socket, rinfo, message, response);
      } catch {
        // a request we cannot answer is dropped, as a real agent would
      }
    };
    if (this.options.delayMs) setTimeout(respond, this.options.delayMs);
    else respond();
  }

  /** Sends a notification from the agent's own port, so receivers can tell units on one address apart. */
  sendTrap(trapOid: string, varbinds: Array<{ oid: string; type: number; value: unknown }>): void {
    const trap = this.options.trap;
    const agent = this.agent;
    if (!trap || !agent) return;
    try {
      if (!this.trapSession) {
        const agentSocket = Object.values(agent.listener.sockets)[0];
        // net-snmp's Session opens its own socket; this shim makes it send through the agent's socket
        const shim = {
          createSocket: () => ({
            on: () => undefined,
            unref: () => undefined,
            ref: () => undefined,
            close: () => undefined,
            bind: () => undefined,
            send: (...args: unknown[]) => (agentSocket.send as (...a: unknown[]) => void)(...args),
          }),
        };
        const common = { trapPort: trap.port, dgramModule: shim, transport: 'udp4' };
        this.trapSession =
          trap.version === 'v3' && trap.user
            ? (snmp.createV3Session(trap.host, netSnmpUser(trap.user) as unknown as snmp.User, { ...common, version: snmp.Version3 } as unknown as snmp.SessionOptionsV3) as unknown as JupiterUnit['trapSession'])
            : (snmp.createSession(trap.host, trap.community ?? 'public', {
                ...common,
                version: trap.version === 'v1' ? snmp.Version1 : snmp.Version2c,
              } as unknown as snmp.SessionOptions) as unknown as JupiterUnit['trapSession']);
      }
      const session = this.trapSession;
      if (!session) return;
      const done = (): void => undefined;
      if (trap.version === 'v1') {
        // RFC 3584 §3.2: net-snmp makes the enterprise the trap OID without its last sub-identifier, specific the last
        session.trap(trapOid, varbinds, { agentAddr: this.options.address ?? '127.0.0.1', upTime: this.upTime() }, done);
      } else {
        session.trap(trapOid, varbinds, { upTime: this.upTime() }, done);
      }
    } catch {
      // traps are best effort
    }
  }

  stop(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    this.trapSession = undefined;
    if (!agent) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, 1000);
      try {
        agent.close(() => {
          clearTimeout(t);
          resolve();
        });
      } catch {
        clearTimeout(t);
        resolve();
      }
    });
  }
}

export interface FleetOptions extends Omit<UnitOptions, 'port' | 'index'> {
  basePort: number;
  units: number;
}

/** Many units on consecutive ports in one process (the scale benchmark runs 1,000). */
export class JupiterFleet {
  readonly units: JupiterUnit[] = [];
  constructor(private readonly options: FleetOptions) {}

  async start(): Promise<void> {
    const { basePort, units, ...rest } = this.options;
    for (let i = 0; i < units; i++) this.units.push(new JupiterUnit({ ...rest, port: basePort + i, index: i }));
    // start in slices so a thousand binds do not queue up at once
    for (let i = 0; i < this.units.length; i += 100) await Promise.all(this.units.slice(i, i + 100).map((u) => u.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.units.map((u) => u.stop()));
  }
}
