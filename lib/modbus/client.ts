/**
 * Modbus/TCP client: one connection through the `modbus-serial` library, with this package's bounded FIFO
 * (lib/fifo.ts), back-off and typed errors on top; one request on the wire at a time.
 *
 * modbus-serial frames the requests, numbers the transactions and matches each reply to its transaction; this
 * class owns what it leaves open (docs/node-red-notes.md B2 #1-#6, and its ports/tcpport.js, index.js):
 * - the socket: opened here and handed over with `linkTCP`, so a connect timeout, a refused connection and a
 *   socket closed or reset mid-request fail the waiting read at once (modbus-serial leaves such a request to its
 *   timeout, and after an error it does not even emit 'close'); socket and library client are rebuilt from
 *   scratch on every reconnect, and reconnects back off exponentially and never stop while someone wants the link;
 * - the request timeout: the FIFO's, so modbus-serial's own timer stays off, and a late reply to a timed-out
 *   request still reaches its (settled) callback, where it is counted and dropped, so the next poll recovers
 *   without a reconnect;
 * - the MBAP header check: modbus-serial reads any protocol id and waits for any announced length, so a peer that
 *   does not speak Modbus/TCP would cost a timeout per request; the package's splitter (lib/wire/mbap.ts) watches
 *   the same stream and drops the connection on the first impossible header;
 * - the error kinds: every failure is a typed ModbusError (timeout, exception n, wrong length, another unit,
 *   closed by the controller, refused), read from the raw reply with the package's codec (modbus-serial's debug
 *   mode hands it over), not from the library's message text.
 */
import { EventEmitter } from 'events';
import * as net from 'net';
import ModbusRTU from 'modbus-serial';
import { Backoff } from '../backoff';
import { QueueClosedError, QueueFullError, RequestTimeoutError, WorkQueue } from '../fifo';
import { TimerSet } from '../timers';
import {
  decodeReadResponse,
  EXCEPTION_NAMES,
  exceptionCodeOf,
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  ReadFunctionCode,
  ReadRequest,
  ReadResponse,
} from '../wire/modbus-pdu';
import { MbapSplitter } from '../wire/mbap';

export type ModbusErrorKind =
  /** no reply within the request timeout */
  | 'timeout'
  /** the controller answered with an exception response */
  | 'exception'
  /** the reply's byte count does not match the request */
  | 'bad_length'
  /** a reply that is not a valid answer (wrong function, unit id, broken MBAP header) */
  | 'protocol'
  /** the connection was closed or reset while a request was waiting */
  | 'disconnected'
  /** the connection could not be opened (refused, unreachable, connect timeout) */
  | 'connect_failed'
  /** the bounded request queue is full */
  | 'queue_full'
  /** the client was closed (redeploy) */
  | 'closed'
  /** the request itself is not valid (count 0, beyond the Modbus limits) */
  | 'bad_request';

export class ModbusError extends Error {
  constructor(
    readonly kind: ModbusErrorKind,
    message: string,
    readonly exceptionCode?: number,
    /** while the link waits to reconnect: when the next attempt is, kept out of the message so that one
     * outage reads as one error however often it is polled */
    readonly retryInMs?: number,
  ) {
    super(message);
    this.name = 'ModbusError';
  }

  /** The state this error stands for (lib/red.ts errorCondition): a lost and a refused connection are one
   * outage; each exception code is its own condition. */
  get condition(): string {
    if (this.kind === 'disconnected' || this.kind === 'connect_failed') return 'link-down';
    return this.kind === 'exception' ? `exception-${this.exceptionCode ?? '?'}` : this.kind;
  }

  /** A short reason for a node status (about 20 characters). */
  get shortReason(): string {
    switch (this.kind) {
      case 'exception':
        return `exception ${this.exceptionCode ?? '?'}`;
      case 'bad_length':
        return 'wrong length';
      case 'disconnected':
        return 'connection lost';
      case 'connect_failed':
        return 'cannot connect';
      case 'queue_full':
        return 'queue full';
      default:
        return this.kind.replace('_', ' ');
    }
  }
}

export type ClientState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

export interface ClientStateEvent {
  state: ClientState;
  /** with `waiting`: milliseconds until the next connection attempt */
  retryInMs?: number;
  /** with `waiting`: the failure that caused it */
  error?: ModbusError;
}

export interface ModbusClientOptions {
  host: string;
  port: number;
  unitId: number;
  /** per-request timeout (also the connect timeout) */
  timeoutMs: number;
  /** requests that may wait in the FIFO */
  queueCapacity?: number;
  /** first reconnect delay, doubled per failure up to reconnectMaxMs, reset by the first good reply */
  reconnectMs?: number;
  reconnectMaxMs?: number;
  /** drop and rebuild the connection after this many timeouts in a row (a half-open socket never errors) */
  timeoutsBeforeReconnect?: number;
}

export interface ClientStats {
  requests: number;
  responses: number;
  timeouts: number;
  exceptions: number;
  lateReplies: number;
  connects: number;
  connectFailures: number;
}

interface Pending {
  request: ReadRequest;
  /** rejects the read unless it is settled already */
  fail: (err: ModbusError) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (err: ModbusError) => void;
}

/** What modbus-serial's debug mode adds to an error or a result: the request and the raw replies as RTU frames. */
interface RawExchange {
  modbusResponses?: Uint8Array[];
  responses?: Uint8Array[];
}

type ReadCallback = (err: (Error & RawExchange & { modbusCode?: number }) | null, result?: { data: Array<number | boolean> } & RawExchange) => void;

/** The functions of modbus-serial's callback API this client sends with, by Modbus function code. */
const SEND: Record<ReadFunctionCode, (client: ModbusRTU, unitId: number, address: number, count: number, next: ReadCallback) => void> = {
  1: (c, unit, address, count, next) => c.writeFC1(unit, address, count, next as never),
  2: (c, unit, address, count, next) => c.writeFC2(unit, address, count, next as never),
  3: (c, unit, address, count, next) => c.writeFC3(unit, address, count, next as never),
  4: (c, unit, address, count, next) => c.writeFC4(unit, address, count, next as never),
};

export class ModbusTcpClient extends EventEmitter {
  private socket: net.Socket | undefined;
  /** the library client on the current socket; undefined until it connected */
  private modbus: ModbusRTU | undefined;
  /** watches the reply stream for headers modbus-serial would wait on (see the file comment) */
  private headerCheck = new MbapSplitter();
  private stateValue: ClientState = 'idle';
  private pending: Pending | undefined;
  private waiters: Waiter[] = [];
  private readonly backoff: Backoff;
  private readonly timers = new TimerSet();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private nextAttemptAt = 0;
  private lastError: ModbusError | undefined;
  private consecutiveTimeouts = 0;
  private readonly queue: WorkQueue;
  private readonly options: Required<ModbusClientOptions>;
  readonly stats: ClientStats = {
    requests: 0,
    responses: 0,
    timeouts: 0,
    exceptions: 0,
    lateReplies: 0,
    connects: 0,
    connectFailures: 0,
  };

  constructor(options: ModbusClientOptions) {
    super();
    this.options = {
      queueCapacity: 256,
      reconnectMs: 1000,
      reconnectMaxMs: 30000,
      timeoutsBeforeReconnect: 3,
      ...options,
    };
    this.backoff = new Backoff({ initialMs: this.options.reconnectMs, maxMs: this.options.reconnectMaxMs });
    this.queue = new WorkQueue({ capacity: this.options.queueCapacity, concurrency: 1, timeoutMs: this.options.timeoutMs });
  }

  get state(): ClientState {
    return this.stateValue;
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  get target(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** Opens the connection and keeps it open (reconnecting with back-off) until close(). */
  start(): void {
    if (this.stateValue === 'idle') this.connectNow();
  }

  /**
   * Reads registers (FC 3/4) or bits (FC 1/2) at protocol addresses. Resolves with the values or rejects with a
   * ModbusError; never throws synchronously.
   */
  read(request: ReadRequest, label?: string): Promise<ReadResponse> {
    const limit = request.functionCode === 3 || request.functionCode === 4 ? MAX_READ_REGISTERS : MAX_READ_BITS;
    if (!Number.isInteger(request.count) || request.count < 1 || request.count > limit) {
      return Promise.reject(new ModbusError('bad_request', `count ${request.count} outside 1..${limit}`));
    }
    if (!Number.isInteger(request.address) || request.address < 0 || request.address + request.count > 0x10000) {
      return Promise.reject(new ModbusError('bad_request', `address ${request.address} outside 0..65535`));
    }
    if (this.stateValue === 'closed') return Promise.reject(new ModbusError('closed', 'Modbus link closed'));
    this.start();
    const what = label ?? describe(request);
    return this.queue
      .enqueue((signal) => this.transact(request, signal), {
        key: `${request.functionCode}:${request.address}:${request.count}`,
        label: what,
      })
      .catch((err: unknown) => {
        throw this.typed(err, what);
      });
  }

  async readRegisters(functionCode: 3 | 4, address: number, count: number): Promise<number[]> {
    const response = await this.read({ functionCode, address, count });
    return 'registers' in response ? response.registers : [];
  }

  async readBits(functionCode: 1 | 2, address: number, count: number): Promise<boolean[]> {
    const response = await this.read({ functionCode, address, count });
    return 'bits' in response ? response.bits : [];
  }

  /** Closes the socket, rejects everything waiting and stops reconnecting. Resolves within about a second. */
  close(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.resolve();
    const error = new ModbusError('closed', 'Modbus link closed');
    this.setState({ state: 'closed' });
    this.timers.close();
    this.queue.close();
    this.failPending(error);
    this.failWaiters(error);
    const socket = this.socket;
    this.socket = undefined;
    this.release();
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(finish, 1000);
      socket.once('close', finish);
      socket.destroy();
    });
  }

  private typed(err: unknown, what: string): ModbusError {
    if (err instanceof ModbusError) return err;
    if (err instanceof RequestTimeoutError) {
      return new ModbusError('timeout', `${what}: no reply from ${this.target} within ${this.options.timeoutMs} ms`);
    }
    if (err instanceof QueueFullError) return new ModbusError('queue_full', err.message);
    if (err instanceof QueueClosedError) return new ModbusError('closed', 'Modbus link closed');
    return new ModbusError('protocol', err instanceof Error ? err.message : String(err));
  }

  private setState(event: ClientStateEvent): void {
    this.stateValue = event.state;
    this.emit('state', event);
  }

  private connectNow(): void {
    if (this.stateValue === 'closed' || this.stateValue === 'connecting' || this.stateValue === 'connected') return;
    this.timers.clear(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.setState({ state: 'connecting' });
    // A fresh socket, library client and header check every time: nothing from a broken connection survives
    // (docs/node-red-notes.md B2 #1).
    this.headerCheck = new MbapSplitter();
    const socket = new net.Socket();
    this.socket = socket;
    let connected = false;
    const connectTimer = this.timers.timeout(() => {
      if (this.socket === socket && !connected) {
        this.lost(socket, new ModbusError('connect_failed', `cannot connect to ${this.target}: no answer within ${this.options.timeoutMs} ms`));
      }
    }, this.options.timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      connected = true;
      this.timers.clear(connectTimer);
      const modbus = new ModbusRTU();
      // debug mode (index.js: "pass-through of raw request/response", not in its typings) hands the raw reply to
      // every callback, from which the errors are typed
      (modbus as ModbusRTU & { isDebugEnabled: boolean }).isDebugEnabled = true;
      // modbus-serial re-emits port errors; the socket's own listeners below handle them
      modbus.on('error', () => undefined);
      // an open socket: linkTCP calls back at once, before anything can be sent
      modbus.linkTCP(socket, { port: this.options.port }, () => undefined);
      this.modbus = modbus;
      this.stats.connects++;
      this.consecutiveTimeouts = 0;
      this.setState({ state: 'connected' });
      for (const waiter of this.waiters.splice(0)) waiter.resolve();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      const frames = this.headerCheck.push(chunk);
      // Modbus/TCP cannot resynchronise inside a stream: drop the connection and start again.
      if (!frames.ok) this.lost(socket, new ModbusError('protocol', `${this.target}: ${frames.error.message}`));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      this.timers.clear(connectTimer);
      this.lost(
        socket,
        connected
          ? new ModbusError('disconnected', `connection to ${this.target} failed: ${err.code ?? err.message}`)
          : new ModbusError('connect_failed', `cannot connect to ${this.target}: ${err.code ?? err.message}`),
      );
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.timers.clear(connectTimer);
      this.lost(
        socket,
        connected
          ? new ModbusError('disconnected', `${this.target} closed the connection`)
          : new ModbusError('connect_failed', `cannot connect to ${this.target}`),
      );
    });
    socket.connect({ host: this.options.host, port: this.options.port });
  }

  /** Lets go of the library client (its transactions and listeners); the socket is the caller's to destroy. */
  private release(): void {
    const modbus = this.modbus;
    this.modbus = undefined;
    modbus?.destroy(() => undefined);
  }

  /** The connection is gone: fail what waits on it and schedule the next attempt. */
  private lost(socket: net.Socket, error: ModbusError): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.release();
    socket.destroy();
    if (error.kind === 'connect_failed') this.stats.connectFailures++;
    this.lastError = error;
    this.failPending(error);
    this.failWaiters(error);
    if (this.stateValue === 'closed') return;
    const delay = this.backoff.next();
    this.nextAttemptAt = Date.now() + delay;
    this.setState({ state: 'waiting', retryInMs: delay, error });
    this.reconnectTimer = this.timers.timeout(() => this.connectNow(), delay);
  }

  private whenConnected(signal: AbortSignal): Promise<void> {
    if (this.stateValue === 'connected' && this.modbus) return Promise.resolve();
    if (this.stateValue === 'closed') return Promise.reject(new ModbusError('closed', 'Modbus link closed'));
    if (this.stateValue === 'waiting') {
      const waitMs = this.nextAttemptAt - Date.now();
      if (waitMs > this.options.timeoutMs) {
        // Fail now rather than hold the queue: the poller reports it and retries on its next round.
        const cause = this.lastError ? this.lastError.message : 'not connected';
        const kind = this.lastError?.kind === 'connect_failed' ? 'connect_failed' : 'disconnected';
        return Promise.reject(new ModbusError(kind, cause, undefined, waitMs));
      }
    } else if (this.stateValue === 'idle') {
      this.connectNow();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.waiters.push(waiter);
      signal.addEventListener('abort', () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new ModbusError('timeout', `no connection to ${this.target} within ${this.options.timeoutMs} ms`));
      });
    });
  }

  private async transact(request: ReadRequest, signal: AbortSignal): Promise<ReadResponse> {
    await this.whenConnected(signal);
    const socket = this.socket;
    const modbus = this.modbus;
    if (signal.aborted || !socket || !modbus) throw new ModbusError('disconnected', `no connection to ${this.target}`);
    return new Promise<ReadResponse>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        if (this.pending === pending) this.pending = undefined;
        return true;
      };
      const pending: Pending = {
        request,
        fail: (err) => {
          if (settle()) reject(err);
        },
      };
      this.pending = pending;
      signal.addEventListener('abort', () => {
        if (!settle()) return;
        this.stats.timeouts++;
        this.consecutiveTimeouts++;
        reject(new ModbusError('timeout', `${describe(request)}: no reply within ${this.options.timeoutMs} ms`));
        // A socket that swallows request after request is probably half-open: rebuild it.
        if (this.consecutiveTimeouts >= this.options.timeoutsBeforeReconnect && this.socket === socket) {
          this.consecutiveTimeouts = 0;
          this.lost(socket, new ModbusError('timeout', `${this.target}: ${this.options.timeoutsBeforeReconnect} requests without reply`));
        }
      });
      const reply: ReadCallback = (err, result) => {
        // the reply that completed this transaction, as modbus-serial's debug mode keeps it; none if nothing came
        const raw = err ? err.modbusResponses : result?.responses;
        const frame = raw?.[raw.length - 1];
        if (!settle()) {
          // A reply to a request that already timed out (a slow controller): not an error, just late.
          if (frame && this.socket === socket) this.stats.lateReplies++;
          return;
        }
        if (frame) {
          this.stats.responses++;
          this.consecutiveTimeouts = 0;
          this.backoff.reset();
        }
        const outcome = this.outcome(request, err, result, frame);
        if (outcome instanceof ModbusError) reject(outcome);
        else resolve(outcome);
      };
      this.stats.requests++;
      try {
        SEND[request.functionCode](modbus, this.options.unitId, request.address, request.count, reply);
      } catch (err) {
        reply(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * The values, or the typed error. modbus-serial's values are taken when they are what was asked; anything
   * else is judged from the raw reply by the package's codec, in the order the spec reads a reply: unit id,
   * exception, function, byte count.
   */
  private outcome(request: ReadRequest, err: Error | null, result: { data: Array<number | boolean> } | undefined, frame: Uint8Array | undefined): ReadResponse | ModbusError {
    if (!err && result) {
      const values = request.functionCode <= 2 ? result.data.slice(0, request.count) : result.data;
      if (values.length === request.count) {
        return request.functionCode <= 2 ? { bits: values as boolean[] } : { registers: values as number[] };
      }
    }
    if (!frame) return new ModbusError('disconnected', `${describe(request)}: ${err?.message ?? 'no reply'} (${this.target})`);
    // an RTU frame as modbus-serial hands it on: unit id, PDU, a CRC it computed itself
    const unitId = frame[0];
    const pdu = frame.subarray(1, frame.length - 2);
    if (unitId !== this.options.unitId) {
      return new ModbusError('protocol', `${describe(request)}: reply from unit ${unitId}, asked unit ${this.options.unitId}`);
    }
    const decoded = decodeReadResponse(request, pdu);
    if (decoded.ok) return decoded.value; // modbus-serial refused a reply the codec takes: trust the codec
    const code = exceptionCodeOf(pdu);
    if (decoded.error.code === 'exception' && code !== undefined) {
      this.stats.exceptions++;
      return new ModbusError(
        'exception',
        `${describe(request)}: Modbus exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'}) from ${this.target}`,
        code,
      );
    }
    return new ModbusError(decoded.error.code === 'bad_length' ? 'bad_length' : 'protocol', `${describe(request)}: ${decoded.error.message}`);
  }

  private failPending(error: ModbusError): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.fail(error);
  }

  private failWaiters(error: ModbusError): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

export function describe(request: ReadRequest): string {
  return `FC${request.functionCode} ${request.address}+${request.count}`;
}

export type { ReadFunctionCode, ReadRequest, ReadResponse };
