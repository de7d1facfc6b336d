/**
 * Modbus/TCP client: one connection, one bounded FIFO (lib/fifo.ts), one request on the wire at a time.
 *
 * Why this shape (docs/node-red-notes.md B2 #1-#6): the socket and its stream splitter are rebuilt from scratch on
 * every reconnect, reconnects back off exponentially and never stop while someone wants the link, every failure is a
 * typed ModbusError that says what happened (timeout, exception n, wrong length, closed by the controller, refused),
 * and a late reply to a timed-out request is recognised by its transaction id and dropped, so the next poll recovers
 * without a reconnect.
 */
import { EventEmitter } from 'events';
import * as net from 'net';
import { Backoff } from '../backoff';
import { QueueClosedError, QueueFullError, RequestTimeoutError, WorkQueue } from '../fifo';
import { TimerSet } from '../timers';
import {
  decodeReadResponse,
  encodeReadRequest,
  EXCEPTION_NAMES,
  exceptionCodeOf,
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  ReadFunctionCode,
  ReadRequest,
  ReadResponse,
} from '../wire/modbus-pdu';
import { encodeMbap, MbapSplitter } from '../wire/mbap';

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
  transactionId: number;
  request: ReadRequest;
  resolve: (value: ReadResponse) => void;
  reject: (err: ModbusError) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (err: ModbusError) => void;
}

export class ModbusTcpClient extends EventEmitter {
  private socket: net.Socket | undefined;
  private splitter = new MbapSplitter();
  private stateValue: ClientState = 'idle';
  private transactionId = 0;
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
    // A fresh socket and splitter every time: nothing from a broken connection survives (docs/node-red-notes.md B2 #1).
    this.splitter = new MbapSplitter();
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
      this.stats.connects++;
      this.consecutiveTimeouts = 0;
      this.setState({ state: 'connected' });
      for (const waiter of this.waiters.splice(0)) waiter.resolve();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.onData(socket, chunk);
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

  /** The connection is gone: fail what waits on it and schedule the next attempt. */
  private lost(socket: net.Socket, error: ModbusError): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
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

  private onData(socket: net.Socket, chunk: Buffer): void {
    const frames = this.splitter.push(chunk);
    if (!frames.ok) {
      // Modbus/TCP cannot resynchronise inside a stream: drop the connection and start again.
      this.lost(socket, new ModbusError('protocol', `${this.target}: ${frames.error.message}`));
      return;
    }
    for (const frame of frames.value) {
      const pending = this.pending;
      if (!pending || frame.transactionId !== pending.transactionId) {
        // A reply to a request that already timed out (a slow controller): not an error, just late.
        this.stats.lateReplies++;
        continue;
      }
      this.pending = undefined;
      this.stats.responses++;
      this.consecutiveTimeouts = 0;
      this.backoff.reset();
      if (frame.unitId !== this.options.unitId) {
        pending.reject(new ModbusError('protocol', `${describe(pending.request)}: reply from unit ${frame.unitId}, asked unit ${this.options.unitId}`));
        continue;
      }
      const decoded = decodeReadResponse(pending.request, frame.pdu);
      if (decoded.ok) {
        pending.resolve(decoded.value);
        continue;
      }
      const code = exceptionCodeOf(frame.pdu);
      if (decoded.error.code === 'exception' && code !== undefined) {
        this.stats.exceptions++;
        pending.reject(
          new ModbusError(
            'exception',
            `${describe(pending.request)}: Modbus exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'}) from ${this.target}`,
            code,
          ),
        );
      } else {
        pending.reject(
          new ModbusError(decoded.error.code === 'bad_length' ? 'bad_length' : 'protocol', `${describe(pending.request)}: ${decoded.error.message}`),
        );
      }
    }
  }

  private whenConnected(signal: AbortSignal): Promise<void> {
    if (this.stateValue === 'connected' && this.socket) return Promise.resolve();
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
    if (signal.aborted || !socket) throw new ModbusError('disconnected', `no connection to ${this.target}`);
    this.transactionId = (this.transactionId + 1) & 0xffff;
    const transactionId = this.transactionId;
    return new Promise<ReadResponse>((resolve, reject) => {
      this.pending = { transactionId, request, resolve, reject };
      signal.addEventListener('abort', () => {
        if (this.pending?.transactionId !== transactionId) return;
        this.pending = undefined;
        this.stats.timeouts++;
        this.consecutiveTimeouts++;
        reject(new ModbusError('timeout', `${describe(request)}: no reply within ${this.options.timeoutMs} ms`));
        // A socket that swallows request after request is probably half-open: rebuild it.
        if (this.consecutiveTimeouts >= this.options.timeoutsBeforeReconnect && this.socket === socket) {
          this.consecutiveTimeouts = 0;
          this.lost(socket, new ModbusError('timeout', `${this.target}: ${this.options.timeoutsBeforeReconnect} requests without reply`));
        }
      });
      this.stats.requests++;
      socket.write(encodeMbap(transactionId, this.options.unitId, encodeReadRequest(request)));
    });
  }

  private failPending(error: ModbusError): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  private failWaiters(error: ModbusError): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

export function describe(request: ReadRequest): string {
  return `FC${request.functionCode} ${request.address}+${request.count}`;
}

export type { ReadFunctionCode, ReadRequest, ReadResponse };
