/**
 * A generic Modbus/TCP server on the package's own codecs (lib/wire/modbus-pdu.ts, mbap.ts): the BACS simulator
 * serves its register bank through it, and the PLC bridge can reuse it. The register bank is a set of
 * callbacks; a request hook lets simulators and tests inject faults (drop, delay, exception, corrupt reply).
 * Hostile or broken clients cost bounded resources: a connection limit where the newest replaces the one idle
 * longest, idle and half-sent-request timeouts, and no reading from a client that does not read its replies.
 */
import * as net from 'net';
import {
  decodeRequest,
  encodeBitsResponse,
  encodeException,
  encodeRegistersResponse,
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  ParsedRequest,
} from '../wire/modbus-pdu';
import { encodeMbap, MbapSplitter } from '../wire/mbap';

/** A bank answers with values, or with a Modbus exception code (2 = illegal data address). */
export type BankAnswer<T> = T[] | { exception: number };

export interface RegisterBank {
  readRegisters?(functionCode: 3 | 4, address: number, count: number, unitId: number): BankAnswer<number>;
  readBits?(functionCode: 1 | 2, address: number, count: number, unitId: number): BankAnswer<boolean>;
  /** writes are off unless the bank implements them */
  writeRegisters?(address: number, values: number[], unitId: number): { exception: number } | void;
  writeCoils?(address: number, values: boolean[], unitId: number): { exception: number } | void;
}

/** What the request hook may do instead of (or besides) the normal answer. */
export type RequestAction =
  | { action: 'answer' }
  /** close the connection without answering */
  | { action: 'drop' }
  /** send no reply at all (the client times out) */
  | { action: 'ignore' }
  /** answer after a delay */
  | { action: 'delay'; ms: number }
  | { action: 'exception'; code: number }
  /** answer with this PDU instead (e.g. a wrong byte count) */
  | { action: 'raw'; pdu: Buffer };

export interface RequestInfo {
  unitId: number;
  transactionId: number;
  request: ParsedRequest;
}

export interface ModbusServerOptions {
  host?: string;
  port: number;
  bank: RegisterBank;
  /** answer only these unit ids (default: any) */
  unitIds?: number[];
  onRequest?: (info: RequestInfo) => RequestAction | undefined;
  /**
   * connections at once (default 32); a new connection beyond them replaces the one idle longest, so idle
   * squatters cannot lock a PLC out
   */
  maxConnections?: number;
  /** close a connection that sent no whole request for this long; 0 = never (default 120 s) */
  idleTimeoutMs?: number;
  /** close a connection that holds part of a request for this long (default 5 s; a LAN sends a frame in ms) */
  requestTimeoutMs?: number;
  /** stop reading a client while more reply bytes than this wait for it to read them (default 64 KiB, at least 16 KiB) */
  maxBufferedBytes?: number;
}

export const SERVER_DEFAULTS = {
  maxConnections: 32,
  idleTimeoutMs: 120_000,
  requestTimeoutMs: 5_000,
  maxBufferedBytes: 64 * 1024,
};

/** delayed replies (the request hook's 'delay') one connection may have waiting before it is read no further */
const MAX_DELAYED_REPLIES = 32;
/** a socket's default writable high-water mark (net.Socket) */
const SOCKET_HIGH_WATER_MARK = 16 * 1024;
/** what a paused connection may still hold unparsed: the socket's last chunks; more means it ignored the pause */
const MAX_UNPARSED_BYTES = 256 * 1024;

/** Why the server closed a connection itself. */
export type CloseReason = 'idle' | 'partial' | 'evicted' | 'bad_frame' | 'overflow';

export interface ConnectionInfo {
  remoteAddress: string;
  remotePort: number;
  /** ms the connection has been open */
  ageMs: number;
  /** ms since its last whole request (since it opened if none) */
  idleMs: number;
  requests: number;
  /** reply bytes written but not yet taken by the client's side of the socket */
  bufferedBytes: number;
  /** true while the server reads nothing more from it (replies not drained) */
  paused: boolean;
}

export interface ServerStats {
  accepted: number;
  /** connections the server closed, by reason */
  closed: Record<CloseReason, number>;
  /** times a connection was paused because its replies were not drained */
  pauses: number;
}

interface Connection {
  socket: net.Socket;
  splitter: MbapSplitter;
  openedAt: number;
  /** time of the last whole request; 0 = none yet */
  lastRequestAt: number;
  /** since when part of a request has been waiting for the rest; 0 = none */
  partialSince: number;
  requests: number;
  paused: boolean;
  delayed: Set<NodeJS.Timeout>;
}

/** monotonic ms: a wall-clock step must not close every connection at once */
const now = (): number => performance.now();

export class ModbusTcpServer {
  private server: net.Server | undefined;
  private readonly open = new Map<net.Socket, Connection>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly limits: typeof SERVER_DEFAULTS;
  requestCount = 0;
  readonly stats: ServerStats = { accepted: 0, closed: { idle: 0, partial: 0, evicted: 0, bad_frame: 0, overflow: 0 }, pauses: 0 };

  constructor(private readonly options: ModbusServerOptions) {
    this.limits = {
      maxConnections: Math.max(1, options.maxConnections ?? SERVER_DEFAULTS.maxConnections),
      idleTimeoutMs: Math.max(0, options.idleTimeoutMs ?? SERVER_DEFAULTS.idleTimeoutMs),
      requestTimeoutMs: Math.max(1, options.requestTimeoutMs ?? SERVER_DEFAULTS.requestTimeoutMs),
      // 'drain', which resumes a paused client, only comes after a write refused at the high-water mark
      maxBufferedBytes: Math.max(SOCKET_HIGH_WATER_MARK, options.maxBufferedBytes ?? SERVER_DEFAULTS.maxBufferedBytes),
    };
  }

  get connections(): number {
    return this.open.size;
  }

  /** connections the server closed itself (timeouts, replaced, bad frames) */
  get dropped(): number {
    const c = this.stats.closed;
    return c.idle + c.partial + c.evicted + c.bad_frame + c.overflow;
  }

  connectionInfo(): ConnectionInfo[] {
    const t = now();
    return [...this.open.values()].map((c) => ({
      remoteAddress: c.socket.remoteAddress ?? '',
      remotePort: c.socket.remotePort ?? 0,
      ageMs: t - c.openedAt,
      idleMs: t - (c.lastRequestAt || c.openedAt),
      requests: c.requests,
      bufferedBytes: c.socket.writableLength,
      paused: c.paused,
    }));
  }

  /** Listens; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      this.server = server;
      server.once('error', reject);
      server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : this.options.port);
      });
    });
  }

  /** Drops every client connection (a controller restart as seen from the clients). */
  dropAll(): void {
    for (const c of [...this.open.values()]) this.forget(c).socket.destroy();
  }

  close(): Promise<void> {
    this.dropAll();
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    if (this.open.size >= this.limits.maxConnections) this.evictOne();
    const conn: Connection = { socket, splitter: new MbapSplitter(), openedAt: now(), lastRequestAt: 0, partialSince: 0, requests: 0, paused: false, delayed: new Set() };
    this.open.set(socket, conn);
    this.stats.accepted++;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      conn.splitter.append(chunk);
      if (conn.splitter.buffered > MAX_UNPARSED_BYTES) return this.drop(conn, 'overflow');
      if (!conn.paused) this.pump(conn);
    });
    socket.on('drain', () => this.flow(conn));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.open.get(socket) === conn) this.forget(conn);
    });
    this.startSweeper();
  }

  /**
   * Makes room for a new connection: first one that never sent a whole request (oldest first: the squatters),
   * else the one whose last request is oldest. A PLC polling every second is the last to go.
   */
  private evictOne(): void {
    let victim: Connection | undefined;
    for (const c of this.open.values()) {
      if (!victim || c.lastRequestAt < victim.lastRequestAt || (c.lastRequestAt === victim.lastRequestAt && c.openedAt < victim.openedAt)) victim = c;
    }
    if (victim) this.drop(victim, 'evicted');
  }

  private drop(conn: Connection, reason: CloseReason): void {
    if (this.open.get(conn.socket) !== conn) return;
    this.stats.closed[reason]++;
    this.forget(conn).socket.destroy();
  }

  private forget(conn: Connection): Connection {
    this.open.delete(conn.socket);
    for (const t of conn.delayed) clearTimeout(t);
    conn.delayed.clear();
    conn.paused = true; // nothing more is parsed or answered for it
    if (this.open.size === 0) this.stopSweeper();
    return conn;
  }

  /** One timer for all connections, only while there are any; a check per connection every period is cheap at 32. */
  private startSweeper(): void {
    if (this.sweeper) return;
    const shortest = Math.min(this.limits.requestTimeoutMs, this.limits.idleTimeoutMs || Infinity);
    const period = Math.min(1000, Math.max(50, Math.floor(shortest / 4)));
    this.sweeper = setInterval(() => this.sweep(), period);
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const t = now();
    for (const c of [...this.open.values()]) {
      if (c.partialSince > 0 && t - c.partialSince >= this.limits.requestTimeoutMs) this.drop(c, 'partial');
      else if (this.limits.idleTimeoutMs > 0 && t - (c.lastRequestAt || c.openedAt) >= this.limits.idleTimeoutMs) this.drop(c, 'idle');
      else if (c.paused) this.flow(c); // a missed 'drain' must not leave a client paused for good
    }
  }

  /** Answers the whole requests held, one at a time, until none is left or the client stops taking replies. */
  private pump(conn: Connection): void {
    let took = false;
    while (!conn.paused) {
      const next = conn.splitter.next();
      if (!next.ok) return this.drop(conn, 'bad_frame');
      const frame = next.value;
      if (!frame) break;
      took = true;
      conn.requests++;
      conn.lastRequestAt = now();
      this.handle(conn, frame.transactionId, frame.unitId, frame.pdu);
    }
    if (conn.paused) conn.partialSince = 0; // what is held waits on us, not on the client
    else if (conn.splitter.buffered === 0) conn.partialSince = 0;
    else if (took || conn.partialSince === 0) conn.partialSince = now();
  }

  /** Pauses a connection whose replies pile up (or whose delayed replies do), resumes it once they drained. */
  private flow(conn: Connection): void {
    if (this.open.get(conn.socket) !== conn) return;
    const blocked = conn.socket.writableLength > this.limits.maxBufferedBytes || conn.delayed.size >= MAX_DELAYED_REPLIES;
    if (blocked && !conn.paused) {
      conn.paused = true;
      this.stats.pauses++;
      conn.socket.pause();
    } else if (!blocked && conn.paused) {
      conn.paused = false;
      this.pump(conn);
      if (!conn.paused) conn.socket.resume();
    }
  }

  private handle(conn: Connection, transactionId: number, unitId: number, pdu: Buffer): void {
    this.requestCount++;
    const socket = conn.socket;
    const send = (reply: Buffer): void => {
      if (socket.destroyed || this.open.get(socket) !== conn) return;
      socket.write(encodeMbap(transactionId, unitId, reply));
      this.flow(conn);
    };
    if (this.options.unitIds && !this.options.unitIds.includes(unitId)) {
      send(encodeException(pdu[0] ?? 0, 11)); // gateway target failed to respond
      return;
    }
    const parsed = decodeRequest(pdu);
    if (!parsed.ok) {
      // the spec checks the function before the data: a malformed write to a read-only bank is still 01
      const fc = pdu[0] ?? 0;
      send(encodeException(fc, parsed.error.code === 'unknown_command' || !this.supports(fc) ? 1 : 3));
      return;
    }
    const request = parsed.value;
    const action = this.options.onRequest?.({ unitId, transactionId, request }) ?? { action: 'answer' };
    switch (action.action) {
      case 'drop':
        this.forget(conn).socket.destroy();
        return;
      case 'ignore':
        return;
      case 'exception':
        send(encodeException(request.functionCode, action.code));
        return;
      case 'raw':
        send(action.pdu);
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          conn.delayed.delete(timer);
          send(this.answer(request, unitId));
        }, action.ms);
        conn.delayed.add(timer);
        this.flow(conn);
        return;
      }
      default:
        send(this.answer(request, unitId));
    }
  }

  private supports(fc: number): boolean {
    const bank = this.options.bank;
    if (fc === 1 || fc === 2) return bank.readBits !== undefined;
    if (fc === 3 || fc === 4) return bank.readRegisters !== undefined;
    if (fc === 5 || fc === 15) return bank.writeCoils !== undefined;
    if (fc === 6 || fc === 16) return bank.writeRegisters !== undefined;
    return false;
  }

  private answer(request: ParsedRequest, unitId: number): Buffer {
    const bank = this.options.bank;
    const fc = request.functionCode;
    try {
      if (fc === 3 || fc === 4) {
        if (request.count < 1 || request.count > MAX_READ_REGISTERS) return encodeException(fc, 3);
        if (!bank.readRegisters) return encodeException(fc, 1);
        const values = bank.readRegisters(fc, request.address, request.count, unitId);
        if (!Array.isArray(values)) return encodeException(fc, values.exception);
        return encodeRegistersResponse(fc, values);
      }
      if (fc === 1 || fc === 2) {
        if (request.count < 1 || request.count > MAX_READ_BITS) return encodeException(fc, 3);
        if (!bank.readBits) return encodeException(fc, 1);
        const values = bank.readBits(fc, request.address, request.count, unitId);
        if (!Array.isArray(values)) return encodeException(fc, values.exception);
        return encodeBitsResponse(fc, values);
      }
      if (fc === 6 || fc === 16) {
        if (!bank.writeRegisters) return encodeException(fc, 1);
        const values = 'values' in request ? request.values : [request.value];
        const refused = bank.writeRegisters(request.address, values as number[], unitId);
        if (refused) return encodeException(fc, refused.exception);
        return fc === 6 ? echo(6, request.address, values[0] as number) : echo(16, request.address, values.length);
      }
      if (fc === 5 || fc === 15) {
        if (!bank.writeCoils) return encodeException(fc, 1);
        const values = 'values' in request ? request.values : [request.value];
        const refused = bank.writeCoils(request.address, values as boolean[], unitId);
        if (refused) return encodeException(fc, refused.exception);
        return fc === 5 ? echo(5, request.address, values[0] ? 0xff00 : 0) : echo(15, request.address, values.length);
      }
      return encodeException(fc, 1);
    } catch {
      return encodeException(fc, 4); // server device failure: a bank bug must not kill the server
    }
  }
}

function echo(fc: number, address: number, value: number): Buffer {
  const pdu = Buffer.alloc(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(address & 0xffff, 1);
  pdu.writeUInt16BE(value & 0xffff, 3);
  return pdu;
}
