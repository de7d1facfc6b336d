/**
 * The shared Modbus/TCP link behind the modbus-endpoint config node: one client per endpoint, shared by every
 * user node (the bacs node, the dry-contact inputs of jupiter-hvdc). The first user to register opens the
 * connection, the last one to leave closes it (docs/node-red-notes.md A6, the core mqtt broker pattern). Addresses in
 * this API are register numbers as the device documentation counts them; the link turns them into protocol addresses
 * for the endpoint's 0- or 1-based setting.
 */
import { ClientState, ClientStateEvent, ClientStats, ModbusError, ModbusTcpClient } from './client';
import { MAX_READ_BITS, MAX_READ_REGISTERS } from '../wire/modbus-pdu';
import { minimumRequests, PlannedRead, planReads, RegisterRange, RegisterSnapshot } from '../wire/modbus-planner';
import { configNumber } from '../config-number';

export interface ModbusLinkSettings {
  host: string;
  port: number;
  unitId: number;
  timeoutMs: number;
  /** FC used by readRegisters/readPlan unless the caller names one; the CS141 answers 3 and 4 alike */
  functionCode: 3 | 4;
  /** 0: register numbers are protocol addresses (BACS documentation); 1: Modicon-style, number 1 = address 0 */
  addressing: 0 | 1;
  reconnectMs: number;
  reconnectMaxMs: number;
  /** longest run of unwanted registers a planned read may bridge; -1 = any that saves a request */
  maxGap: number;
  queueCapacity?: number;
}

export interface LinkStateEvent extends ClientStateEvent {
  target: string;
}

export interface ModbusLinkUser {
  id: string;
  /** called on every change of the link state, so the user node can show it (status delegated to users) */
  onLinkState?(event: LinkStateEvent): void;
}

export interface PlanResult {
  /** values by register number (the caller's numbering) */
  snapshot: RegisterSnapshot;
  /** requests this read took */
  requests: number;
  /** the fewest requests possible for these ranges */
  minimumRequests: number;
  plan: PlannedRead[];
  durationMs: number;
}

/** What user nodes get from `RED.nodes.getNode(endpointId)`. */
export interface ModbusLink {
  readonly settings: Readonly<ModbusLinkSettings>;
  readonly state: ClientState;
  readonly target: string;
  register(user: ModbusLinkUser): void;
  deregister(user: ModbusLinkUser): Promise<void>;
  readRegisters(address: number, count: number, functionCode?: 3 | 4): Promise<number[]>;
  readBits(functionCode: 1 | 2, address: number, count: number): Promise<boolean[]>;
  readPlan(ranges: RegisterRange[], functionCode?: 3 | 4): Promise<PlanResult>;
  stats(): ClientStats | undefined;
}

export class ModbusLinkCore implements ModbusLink {
  private client: ModbusTcpClient | undefined;
  private readonly users = new Map<string, ModbusLinkUser>();
  private lastState: LinkStateEvent | undefined;
  /** cleared when the controller refused a bridged read with exception 2 */
  private bridging = true;
  /** set by shutdown(): the endpoint node is gone and must not open a connection again */
  private shutDown = false;
  /** recent plans by their ranges: a poller asks for the same ranges every time */
  private readonly plans = new Map<string, { plan: PlannedRead[]; minimum: number }>();

  constructor(
    readonly settings: Readonly<ModbusLinkSettings>,
    private readonly onWarning: (message: string) => void = () => undefined,
  ) {}

  get target(): string {
    return `${this.settings.host}:${this.settings.port}`;
  }

  get state(): ClientState {
    return this.client?.state ?? 'idle';
  }

  get userCount(): number {
    return this.users.size;
  }

  register(user: ModbusLinkUser): void {
    if (this.shutDown) return;
    this.users.set(user.id, user);
    if (this.lastState) this.notify(user, this.lastState);
    this.ensureClient().start();
  }

  async deregister(user: ModbusLinkUser): Promise<void> {
    this.users.delete(user.id);
    if (this.users.size === 0) await this.close();
  }

  /** The endpoint node closes (redeploy, removal): close and never connect again. */
  async shutdown(): Promise<void> {
    this.shutDown = true;
    this.users.clear();
    await this.close();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.lastState = undefined;
    if (client) {
      client.removeAllListeners('state');
      await client.close();
    }
  }

  stats(): ClientStats | undefined {
    return this.client?.stats;
  }

  /** register number → protocol address */
  private toProtocol(address: number): number {
    return address - this.settings.addressing;
  }

  private checkRange(address: number, count: number): ModbusError | undefined {
    const protocol = this.toProtocol(address);
    if (!Number.isInteger(address) || !Number.isInteger(count) || count < 1 || protocol < 0 || protocol + count > 0x10000) {
      return new ModbusError('bad_request', `registers ${address}+${count} outside the Modbus address space`);
    }
    return undefined;
  }

  async readRegisters(address: number, count: number, functionCode?: 3 | 4): Promise<number[]> {
    const bad = this.checkRange(address, count);
    if (bad) throw bad;
    if (count <= MAX_READ_REGISTERS) {
      return this.ensureClient().readRegisters(functionCode ?? this.settings.functionCode, this.toProtocol(address), count);
    }
    const result = await this.readPlan([{ address, count }], functionCode);
    return result.snapshot.slice(address, count) ?? [];
  }

  async readBits(functionCode: 1 | 2, address: number, count: number): Promise<boolean[]> {
    const bad = this.checkRange(address, count);
    if (bad) throw bad;
    if (functionCode !== 1 && functionCode !== 2) throw new ModbusError('bad_request', `function ${String(functionCode)} does not read bits`);
    const out: boolean[] = [];
    for (let offset = 0; offset < count; offset += MAX_READ_BITS) {
      const n = Math.min(MAX_READ_BITS, count - offset);
      out.push(...(await this.ensureClient().readBits(functionCode, this.toProtocol(address + offset), n)));
    }
    return out;
  }

  async readPlan(ranges: RegisterRange[], functionCode?: 3 | 4): Promise<PlanResult> {
    const started = Date.now();
    const fc = functionCode ?? this.settings.functionCode;
    for (const r of ranges) {
      const bad = this.checkRange(r.address, r.count);
      if (bad) throw bad;
    }
    const options = { maxGap: this.bridging ? this.settings.maxGap : 0 };
    // Plan in register numbers; the 0/1-based offset is the same for every address.
    const key = `${options.maxGap}|${ranges.map((r) => `${r.address}+${r.count}`).join(',')}`;
    let cached = this.plans.get(key);
    if (!cached) {
      cached = { plan: planReads(ranges, options), minimum: minimumRequests(ranges, options) };
      if (this.plans.size >= 8) this.plans.delete(this.plans.keys().next().value as string);
      this.plans.set(key, cached);
    }
    const plan = cached.plan;
    const snapshot = new RegisterSnapshot();
    let requests = 0;
    const client = this.ensureClient();
    for (const read of plan) {
      try {
        requests++;
        snapshot.set(read.address, await client.readRegisters(fc, this.toProtocol(read.address), read.count));
      } catch (err) {
        const bridged = read.wanted.length > 1;
        if (!(err instanceof ModbusError) || err.kind !== 'exception' || err.exceptionCode !== 2 || !bridged) throw err;
        // The controller refuses some register inside a bridged gap: read only what is wanted from now on.
        if (this.bridging) {
          this.bridging = false;
          this.onWarning(`${this.target} refused a read across unused registers (exception 2); reading without bridging gaps from now on`);
        }
        for (const piece of read.wanted) {
          requests++;
          snapshot.set(piece.address, await client.readRegisters(fc, this.toProtocol(piece.address), piece.count));
        }
      }
    }
    return { snapshot, requests, minimumRequests: cached.minimum, plan, durationMs: Date.now() - started };
  }

  private ensureClient(): ModbusTcpClient {
    if (this.client) return this.client;
    if (this.shutDown) throw new ModbusError('closed', 'Modbus link closed');
    const client = new ModbusTcpClient({
      host: this.settings.host,
      port: this.settings.port,
      unitId: this.settings.unitId,
      timeoutMs: this.settings.timeoutMs,
      reconnectMs: this.settings.reconnectMs,
      reconnectMaxMs: this.settings.reconnectMaxMs,
      queueCapacity: this.settings.queueCapacity,
    });
    client.on('state', (event: ClientStateEvent) => {
      const linkEvent: LinkStateEvent = { ...event, target: this.target };
      this.lastState = linkEvent;
      for (const user of this.users.values()) this.notify(user, linkEvent);
    });
    this.client = client;
    return client;
  }

  private notify(user: ModbusLinkUser, event: LinkStateEvent): void {
    try {
      user.onLinkState?.(event);
    } catch {
      // a user node's status callback must not break the link or the other users
    }
  }
}

/** Settings from a config node's properties (strings from the editor), with defaults and bounds. */
export function linkSettings(config: { [key: string]: unknown }): ModbusLinkSettings {
  const num = (value: unknown, fallback: number, min: number, max: number): number => configNumber(value, { fallback, min, max, integer: true });
  return {
    host: typeof config.host === 'string' && config.host.trim() !== '' ? config.host.trim() : '127.0.0.1',
    port: num(config.port, 502, 1, 65535),
    unitId: num(config.unitId, 1, 0, 255),
    timeoutMs: num(config.timeout, 2000, 50, 60000),
    functionCode: num(config.functionCode, 3, 3, 4) === 4 ? 4 : 3,
    addressing: num(config.addressing, 0, 0, 1) === 1 ? 1 : 0,
    reconnectMs: num(config.reconnectMs, 1000, 100, 600000),
    reconnectMaxMs: num(config.reconnectMaxMs, 30000, 100, 3600000),
    maxGap: num(config.maxGap, -1, -1, MAX_READ_REGISTERS),
  };
}
