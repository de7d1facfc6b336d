/**
 * A GENEREX BACS controller simulator: a real Modbus/TCP server (lib/modbus/server.ts) serving the register
 * tables of registers.ts (docs/design.md §1.6: simulators share the device tables, encode direction) for any
 * number of strings and up to 512 modules, with float / discharge / recharge / equalizing dynamics and fault
 * injection. The module block follows the (unverified) default template unless told otherwise.
 */
import { RequestAction, ModbusTcpServer, RegisterBank } from '../../lib/modbus/server';
import {
  DEFAULT_MODULE_TEMPLATE,
  GENERAL_BASE,
  GENERAL_REGISTERS,
  MODBUS_MAX_STRINGS,
  MODULE_STATES,
  ModuleFieldKey,
  ModuleStateId,
  ModuleTemplate,
  STATUS_FLAGS,
  STRING_FIELDS,
  StringFieldKey,
  stringAddress,
  stringSizes,
} from './registers';

export const MAX_MODULES = 512;

export type BacsPhase = 'float' | 'discharge' | 'recharge';

/**
 * What the battery does; each alarm of the BACS presets the simulator can produce has one (docs/alarm-matrix.md).
 * `boost` (every block at 14.4 V) and `sheet-example` (the product sheet's healthy blocks at 20.65–21.70 mΩ) are
 * normal operating points that must raise nothing. A scenario holds the module values until `normal`.
 */
export const BACS_SCENARIOS = [
  'normal',
  'boost',
  'sheet-example',
  'block-voltage-high',
  'block-voltage-very-high',
  'block-voltage-low',
  'block-voltage-very-low',
  'temperature-high',
  'temperature-very-high',
  'temperature-low',
  'temperature-very-low',
  'resistance-drift',
  'resistance-drift-alarm',
  'communication-lost',
] as const;
export type BacsScenario = (typeof BACS_SCENARIOS)[number];

/** the module a fault scenario acts on (1-based BACS id): the third block of string 1 */
export const SCENARIO_MODULE = 3;

/** Faults that act on requests (connection-level) */
export type RequestFault =
  | { kind: 'drop' }
  | { kind: 'ignore' }
  | { kind: 'exception'; code: number }
  | { kind: 'slow'; ms: number }
  | { kind: 'wrong-length' };

export interface BacsSimulatorOptions {
  strings: number;
  modules: number;
  host?: string;
  port: number;
  unitId?: number;
  template?: ModuleTemplate;
  /** ms between dynamics steps; 0 = frozen (values change only through step()) */
  tickMs?: number;
  /** seconds per phase of the float → discharge → recharge cycle; 0 = stay in float */
  cycleSeconds?: number;
  /** seed of the deterministic value noise */
  seed?: number;
  /** registers 1005-1009 answer exception 2 (a strict controller) instead of 0 */
  strictGaps?: boolean;
}

export interface SimModule {
  voltage: number;
  temperature: number;
  resistance: number;
  equalizing: number;
  state: ModuleStateId;
  lost: boolean;
}

export interface SimString {
  current: number;
  voltage: number;
  averageVoltage: number;
  rippleCurrent: number;
}

const FLAG = Object.fromEntries(STATUS_FLAGS.map((f) => [f.id, f.mask])) as { [id: string]: number };

/** 12 V lead-acid blocks (C20 monitors): float 13.62 V, discharge down to ~11.9 V, recharge ~14.1 V */
const BLOCK = { float: 13.62, dischargeEnd: 11.9, recharge: 14.1, warnHigh: 14.4, warnLow: 11.0, alarmHigh: 15.0, alarmLow: 10.5 };

export class BacsSimulator {
  readonly options: Required<Omit<BacsSimulatorOptions, 'template'>> & { template: ModuleTemplate };
  readonly modules: SimModule[] = [];
  readonly strings: SimString[] = [];
  private readonly server: ModbusTcpServer;
  private readonly image = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private random: () => number;
  private phase: BacsPhase = 'float';
  private phaseSeconds = 0;
  private faults: RequestFault[] = [];
  /** apply request faults only to every n-th request (1 = every request) */
  private faultEvery = 1;
  private requestNo = 0;
  private communicationLost = false;
  private boundPort = 0;
  private scenario: BacsScenario = 'normal';
  /** the modules as built, for `normal` */
  private readonly initial: SimModule[] = [];

  constructor(options: BacsSimulatorOptions) {
    const modules = Math.max(0, Math.min(MAX_MODULES, Math.floor(options.modules)));
    const strings = Math.max(1, Math.floor(options.strings));
    this.options = {
      host: '127.0.0.1',
      unitId: 1,
      tickMs: 1000,
      cycleSeconds: 0,
      seed: 1,
      strictGaps: false,
      ...options,
      modules,
      strings,
      template: options.template ?? DEFAULT_MODULE_TEMPLATE,
    };
    let s = this.options.seed >>> 0 || 1;
    this.random = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 0x100000000;
    };
    for (let i = 0; i < modules; i++) {
      this.modules.push({
        voltage: BLOCK.float + (this.random() - 0.5) * 0.08,
        temperature: 23 + this.random() * 3 + (i === 4 ? 6 : 0), // one warm block, as in a real rack
        resistance: 4.2 + this.random() * 1.2,
        equalizing: 0,
        state: 'ok',
        lost: false,
      });
    }
    for (const m of this.modules) this.initial.push({ ...m });
    for (let i = 0; i < strings; i++) this.strings.push({ current: 0, voltage: 0, averageVoltage: 0, rippleCurrent: 0 });
    this.server = new ModbusTcpServer({
      host: this.options.host,
      port: this.options.port,
      bank: this.bank(),
      unitIds: [this.options.unitId],
      onRequest: (info) => this.requestFault(info.request.functionCode),
    });
    this.recompute();
  }

  get port(): number {
    return this.boundPort;
  }

  get requestCount(): number {
    return this.server.requestCount;
  }

  get connections(): number {
    return this.server.connections;
  }

  get currentPhase(): BacsPhase {
    return this.phase;
  }

  async start(): Promise<number> {
    this.boundPort = await this.server.listen();
    if (this.options.tickMs > 0) {
      this.timer = setInterval(() => this.step(this.options.tickMs / 1000), this.options.tickMs);
      this.timer.unref?.();
    }
    return this.boundPort;
  }

  /** Drops every client (a controller reboot as the clients see it). */
  dropConnections(): void {
    this.server.dropAll();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.server.close();
  }

  // --- fault injection -------------------------------------------------------------------------------

  setFaults(faults: RequestFault[], every = 1): void {
    this.faults = faults.slice();
    this.faultEvery = Math.max(1, Math.floor(every));
    this.requestNo = 0;
  }

  clearFaults(): void {
    this.faults = [];
    this.communicationLost = false;
    for (const m of this.modules) m.lost = false;
    this.recompute();
  }

  /** The module stops answering on the BACS bus: its data becomes "not available", status gets MODULE_LOST. */
  loseModule(id: number, lost = true): void {
    const m = this.modules[id - 1];
    if (m) m.lost = lost;
    this.recompute();
  }

  /** The web manager's internal communication fails: status word 0x0000. */
  loseCommunication(lost = true): void {
    this.communicationLost = lost;
    this.recompute();
  }

  get currentScenario(): BacsScenario {
    return this.scenario;
  }

  /** Puts the battery into a scenario (see BACS_SCENARIOS); the fault scenarios act on module SCENARIO_MODULE. */
  setScenario(scenario: BacsScenario): void {
    this.scenario = scenario;
    this.communicationLost = scenario === 'communication-lost';
    this.phase = scenario === 'boost' ? 'recharge' : 'float';
    this.phaseSeconds = 0;
    this.modules.forEach((m, i) => Object.assign(m, this.initial[i] ?? {}, { lost: false }));
    const target = this.modules[SCENARIO_MODULE - 1];
    const resistanceMedian = (): number => {
      const r = this.modules.map((m) => m.resistance).sort((a, b) => a - b);
      return r[r.length >> 1] ?? 5;
    };
    switch (scenario) {
      case 'boost':
        for (const m of this.modules) m.voltage = 14.4;
        break;
      case 'sheet-example':
        // the sheet shows its blocks between 20.65 and 21.70 mΩ, all OK
        this.modules.forEach((m, i) => {
          m.resistance = this.modules.length < 2 ? 21 : Number((20.65 + ((21.7 - 20.65) * i) / (this.modules.length - 1)).toFixed(2));
        });
        break;
      case 'block-voltage-high':
        if (target) target.voltage = 14.8;
        break;
      case 'block-voltage-very-high':
        if (target) target.voltage = 15.2;
        break;
      case 'block-voltage-low':
        if (target) target.voltage = 9.8;
        break;
      case 'block-voltage-very-low':
        if (target) target.voltage = 8.8;
        break;
      case 'temperature-high':
        if (target) target.temperature = 42;
        break;
      case 'temperature-very-high':
        if (target) target.temperature = 57;
        break;
      case 'temperature-low':
        for (const m of this.modules) m.temperature = 8;
        break;
      case 'temperature-very-low':
        for (const m of this.modules) m.temperature = -7;
        break;
      case 'resistance-drift':
        if (target) target.resistance = Number((resistanceMedian() * 1.4).toFixed(2));
        break;
      case 'resistance-drift-alarm':
        if (target) target.resistance = Number((resistanceMedian() * 1.6).toFixed(2));
        break;
      default:
        break;
    }
    this.recompute();
  }

  setPhase(phase: BacsPhase): void {
    this.phase = phase;
    this.phaseSeconds = 0;
    this.recompute();
  }

  /** Sets one module's values directly (tests, and alarms in the demo). */
  setModule(id: number, values: Partial<Omit<SimModule, 'lost'>>): void {
    const m = this.modules[id - 1];
    if (!m) return;
    Object.assign(m, values);
    this.recompute(false);
  }

  private requestFault(functionCode: number): RequestAction | undefined {
    if (this.faults.length === 0) return undefined;
    this.requestNo++;
    if (this.requestNo % this.faultEvery !== 0) return undefined;
    const fault = this.faults[(this.requestNo / this.faultEvery - 1) % this.faults.length];
    switch (fault.kind) {
      case 'drop':
        return { action: 'drop' };
      case 'ignore':
        return { action: 'ignore' };
      case 'exception':
        return { action: 'exception', code: fault.code };
      case 'slow':
        return { action: 'delay', ms: fault.ms };
      case 'wrong-length':
        // one byte where registers are two bytes each: a byte count that never matches the request
        return { action: 'raw', pdu: Buffer.from([functionCode, 1, 0]) };
    }
  }

  // --- dynamics --------------------------------------------------------------------------------------

  /** Advances the battery by dt seconds. */
  step(dt: number): void {
    if (this.scenario !== 'normal') {
      // a scenario holds its values
      this.recompute();
      return;
    }
    const cycle = this.options.cycleSeconds;
    this.phaseSeconds += dt;
    if (cycle > 0 && this.phaseSeconds >= cycle) {
      this.phase = this.phase === 'float' ? 'discharge' : this.phase === 'discharge' ? 'recharge' : 'float';
      this.phaseSeconds = 0;
    }
    const progress = cycle > 0 ? Math.min(1, this.phaseSeconds / cycle) : 0;
    for (let i = 0; i < this.modules.length; i++) {
      const m = this.modules[i];
      const spread = ((i * 37) % 11) / 11 - 0.5; // fixed per-block offset: blocks are never identical
      let target: number;
      if (this.phase === 'discharge') target = BLOCK.float - 0.3 - (BLOCK.float - 0.3 - BLOCK.dischargeEnd) * progress + spread * 0.1;
      else if (this.phase === 'recharge') target = BLOCK.recharge + spread * 0.12;
      else target = BLOCK.float + spread * 0.06;
      m.voltage += (target - m.voltage) * Math.min(1, dt / 5) + (this.random() - 0.5) * 0.004;
      const ambient = 23 + (i === 4 ? 6 : 0) + ((i * 7) % 5) * 0.4;
      const warming = this.phase === 'float' ? 0 : 1.5;
      m.temperature += (ambient + warming - m.temperature) * Math.min(1, dt / 60) + (this.random() - 0.5) * 0.02;
      m.resistance += (this.random() - 0.5) * 0.002;
    }
    this.recompute();
  }

  /** Equalizing, string sums, module states and the register image from the module values. */
  private recompute(updateEqualizing = true): void {
    const sizes = stringSizes(this.modules.length, this.strings.length);
    if (updateEqualizing) {
      // The BACS bypasses current around the highest blocks of a string while charging or floating.
      let first = 0;
      for (const size of sizes) {
        const group = this.modules.slice(first, first + size);
        const mean = group.reduce((s, m) => s + m.voltage, 0) / Math.max(1, group.length);
        for (const m of group) {
          const excess = m.voltage - mean;
          m.equalizing = this.phase === 'discharge' || excess <= 0.005 ? 0 : Math.min(100, Math.round(excess * 1500));
        }
        first += size;
      }
    }
    for (const m of this.modules) m.state = moduleState(m);
    const current = this.phase === 'discharge' ? -48.5 : this.phase === 'recharge' ? 22.0 : 0.6;
    let first = 0;
    sizes.forEach((size, s) => {
      const group = this.modules.slice(first, first + size).filter((m) => !m.lost);
      const sum = group.reduce((acc, m) => acc + m.voltage, 0);
      const str = this.strings[s];
      str.current = current + (this.random() - 0.5) * 0.2;
      str.voltage = sum;
      str.averageVoltage = group.length ? sum / group.length : 0;
      str.rippleCurrent = this.phase === 'discharge' ? 1.8 : 0.9;
      first += size;
    });
    this.writeImage();
  }

  statusWord(): number {
    if (this.communicationLost) return 0;
    let word = FLAG.running;
    if (this.phase === 'discharge') word |= FLAG.discharging;
    else if (this.phase === 'recharge') word |= FLAG.charging;
    else word |= FLAG.floatCharging;
    if (this.modules.some((m) => m.equalizing > 0 && !m.lost)) word |= FLAG.equalizing;
    if (this.modules.some((m) => m.lost)) word |= FLAG.moduleLost;
    const live = this.modules.filter((m) => !m.lost);
    if (live.some((m) => m.state === 'voltageWarning' || m.state === 'voltageAlarm')) word |= FLAG.voltageOutOfRange;
    if (live.some((m) => m.state === 'temperatureWarning' || m.state === 'temperatureAlarm')) word |= FLAG.temperatureOutOfRange;
    if (live.some((m) => m.state === 'resistanceWarning' || m.state === 'resistanceAlarm')) word |= FLAG.resistanceOutOfRange;
    return word;
  }

  private writeImage(): void {
    const img = this.image;
    img.clear();
    const g = GENERAL_BASE;
    img.set(g + GENERAL_REGISTERS.statusWord, this.statusWord());
    // battery status (1001) and alarm flags (1002): bit tables not public; the simulator shows one plausible bit
    img.set(g + GENERAL_REGISTERS.batteryStatusWord, this.phase === 'discharge' ? 0x0002 : 0x0001);
    img.set(g + GENERAL_REGISTERS.alarmFlagsWord, this.modules.some((m) => m.lost) ? 0x0001 : 0);
    img.set(g + GENERAL_REGISTERS.stringCount, this.strings.length);
    img.set(g + GENERAL_REGISTERS.moduleCount, this.modules.length);
    if (!this.options.strictGaps) for (let a = g + 5; a < 1010; a++) img.set(a, 0);
    for (let s = 1; s <= MODBUS_MAX_STRINGS; s++) {
      const base = stringAddress(s);
      const str = this.strings[s - 1];
      for (const f of STRING_FIELDS) img.set(base + f.offset, str ? encode(str[f.key as StringFieldKey], f.type, f.scale) : 0);
      img.set(base + 4, 0); // reserved
    }
    const t = this.options.template;
    this.modules.forEach((m, i) => {
      const base = t.base + t.stride * i;
      for (let o = 0; o < t.stride; o++) img.set(base + o, 0);
      for (const f of t.fields) {
        if (f.offset < 0) continue;
        img.set(base + f.offset, m.lost ? t.missingRaw : encode(moduleValue(m, f.key, t), f.type, f.scale));
      }
    });
  }

  /** The register value a client would read, or undefined where the controller has no register. */
  register(address: number): number | undefined {
    return this.image.get(address);
  }

  private bank(): RegisterBank {
    const read = (address: number, count: number): number[] | { exception: number } => {
      const out: number[] = [];
      for (let a = address; a < address + count; a++) {
        const v = this.image.get(a);
        if (v === undefined) return { exception: 2 };
        out.push(v);
      }
      return out;
    };
    return {
      readRegisters: (_fc, address, count) => read(address, count),
      // the controller has one dry-contact output: coil 0 mirrors "any alarm"
      readBits: (_fc, address, count) => {
        if (address + count > 1) return { exception: 2 };
        return [this.modules.some((m) => m.state !== 'ok') || (this.statusWord() & (FLAG.moduleLost | FLAG.systemFailure)) !== 0];
      },
    };
  }
}

function moduleValue(m: SimModule, key: ModuleFieldKey, t: ModuleTemplate): number {
  switch (key) {
    case 'state': {
      const code = Object.entries(t.stateCodes).find(([, id]) => id === m.state)?.[0];
      return code === undefined ? MODULE_STATES.findIndex((s) => s.id === m.state) : Number(code);
    }
    case 'soc':
      return Math.max(0, Math.min(100, Math.round(((m.voltage - 11.8) / (12.9 - 11.8)) * 100)));
    default:
      return m[key];
  }
}

function moduleState(m: SimModule): ModuleStateId {
  if (m.voltage >= BLOCK.alarmHigh || m.voltage <= BLOCK.alarmLow) return 'voltageAlarm';
  if (m.temperature >= 50 || m.temperature <= 0) return 'temperatureAlarm';
  if (m.resistance >= 18) return 'resistanceAlarm';
  if (m.voltage >= BLOCK.warnHigh || m.voltage <= BLOCK.warnLow) return 'voltageWarning';
  if (m.temperature >= 40 || m.temperature <= 5) return 'temperatureWarning';
  if (m.resistance >= 15) return 'resistanceWarning';
  return 'ok';
}

/** Value → register in the field's type and scale (the inverse of registers.scaled). */
export function encode(value: number, type: 'U16' | 'S16', scale: number): number {
  const raw = Math.round(value / scale);
  if (type === 'S16') return Math.max(-32768, Math.min(32767, raw)) & 0xffff;
  return Math.max(0, Math.min(0xfffe, raw)); // 0xffff is kept for "not available"
}

/** Parses a --fault argument: drop, ignore, exception[:code], slow[:ms], wrong-length */
export function parseFault(spec: string): RequestFault | undefined {
  const [name, arg] = spec.split(':');
  const n = arg === undefined ? undefined : Number(arg);
  switch (name) {
    case 'drop':
      return { kind: 'drop' };
    case 'ignore':
      return { kind: 'ignore' };
    case 'exception':
      return { kind: 'exception', code: n !== undefined && Number.isInteger(n) && n > 0 && n < 256 ? n : 4 };
    case 'slow':
      return { kind: 'slow', ms: n !== undefined && Number.isFinite(n) && n >= 0 ? n : 3000 };
    case 'wrong-length':
      return { kind: 'wrong-length' };
    default:
      return undefined;
  }
}
