/**
 * One MQTT connection of one uplink node: connect, births, a bounded buffer while disconnected, reconnect with
 * exponential back-off, and a clean close. Each attempt builds a new client from scratch
 * (docs/node-red-notes.md B2 #1: a reused client object is how peers get stuck in "connecting"), which also gives
 * every CONNECT its own will: Sparkplug needs a new bdSeq in the NDEATH of each CONNECT.
 *
 * The connection opens the TCP (or TLS) transport itself and asks the profile for the will only once it is up:
 * mqtt.connect() writes the CONNECT into a socket that may never connect, and Sparkplug counts bdSeq per CONNECT
 * packet actually sent, not per attempt.
 */
import * as net from 'net';
import * as tls from 'tls';
import { MqttClient } from 'mqtt';
import type { IClientOptions } from 'mqtt';
import { Backoff } from '../../lib/backoff';
import { asError } from '../../lib/red';
import { TimerSet } from '../../lib/timers';
import type { Packet, SessionSignal, UplinkProfile } from './profile';

/** `holding`: connected to the broker, births held back until the profile's go-ahead (primary host online) */
export type ConnectionPhase = 'connecting' | 'connected' | 'holding' | 'disconnected';

export interface ConnectionState {
  phase: ConnectionPhase;
  /** why the last attempt or connection ended */
  error?: Error;
  /** items waiting for the next connection */
  buffered: number;
  /** items dropped because the buffer was full, since start */
  dropped: number;
  /** when the next attempt starts, while disconnected */
  retryInMs?: number;
}

export interface ConnectionOptions {
  url: string;
  /** client id, credentials, protocol version, TLS; will, clean and reconnect are set here */
  clientOptions: IClientOptions;
  bufferSize: number;
  connectTimeoutMs?: number;
  backoff?: Backoff;
  onState(state: ConnectionState): void;
  /** an exception in a callback of the MQTT library, reported instead of crashing Node-RED */
  onInternalError?(err: Error): void;
  /** every session signal of the profile (a primary host STATE), after the connection acted on it */
  onSession?(signal: SessionSignal): void;
}

const CLOSE_TIMEOUT_MS = 2_000;
/** MQTT 5 DISCONNECT reason code "Disconnect with Will Message" */
const DISCONNECT_WITH_WILL = 0x04;
/** after ending a session because the primary host went offline: reconnect soon, then wait for it */
const HOST_RECONNECT_MS = 1_000;

/**
 * Drop-oldest FIFO with O(1) push, shift and drop: an array with a moving head, compacted now and then
 * (Array.prototype.shift and splice(0, n) copy the whole array once it is large).
 */
export class DropOldestQueue<T> {
  private items: T[] = [];
  private head = 0;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.length > this.capacity) {
      const overflow = this.length - this.capacity;
      this.head += overflow;
      this.dropped += overflow;
    }
    this.compact();
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as unknown as T; // let it be collected
    this.head++;
    this.compact();
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** Where the transport goes: the URLs the broker config node builds (mqtt://, mqtts://). */
export interface BrokerTarget {
  secure: boolean;
  host: string;
  port: number;
}

export function brokerTarget(url: string): BrokerTarget {
  const parsed = new URL(url);
  const scheme = parsed.protocol.replace(/:$/, '');
  const secure = scheme === 'mqtts' || scheme === 'tls' || scheme === 'ssl';
  if (!secure && scheme !== 'mqtt' && scheme !== 'tcp') throw new Error(`unsupported broker URL ${url}: mqtt:// or mqtts://`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error(`no host in broker URL ${url}`);
  const port = parsed.port === '' ? (secure ? 8883 : 1883) : Number(parsed.port);
  return { secure, host, port };
}

export class UplinkConnection<T> {
  private client: MqttClient | undefined;
  /** the transport of the next CONNECT, while its TCP/TLS handshake runs */
  private transport: net.Socket | undefined;
  private online = false;
  private closing = false;
  /** items waiting: `replay` marks those accepted while disconnected (Sparkplug sends them as history) */
  private readonly buffer: DropOldestQueue<{ item: T; replay: boolean }>;
  /** the socket's write buffer is full: publish nothing more until it drains, so memory stays bounded */
  private waitingForDrain = false;
  private lastError: Error | undefined;
  /** subscribed on the current connection (births may go out once the profile agrees) */
  private subscribed = false;
  /** the profile's go-ahead for the births on the current connection */
  private released = false;
  /** a client ending its session after the primary host went offline, waiting for its DISCONNECT to go out */
  private retiring: MqttClient | undefined;
  private readonly timers = new TimerSet();
  private readonly backoff: Backoff;
  published = 0;
  lastPublishAt = 0;
  /** CONNECTs sent so far (births are re-sent after each) */
  connects = 0;

  constructor(
    private readonly profile: UplinkProfile<T>,
    private readonly options: ConnectionOptions,
  ) {
    this.backoff = options.backoff ?? new Backoff({ initialMs: 1_000, maxMs: 30_000 });
    this.buffer = new DropOldestQueue(Math.max(0, options.bufferSize));
  }

  /** items dropped because the buffer was full, since start */
  get dropped(): number {
    return this.buffer.dropped;
  }

  get isOnline(): boolean {
    return this.online;
  }

  get bufferedCount(): number {
    return this.buffer.length;
  }

  start(): void {
    this.connect();
  }

  /**
   * Publishes now when connected (births already out) and the socket keeps up; otherwise buffers, dropping the
   * oldest beyond the limit. A slow broker thus costs at most the buffer, never an unbounded queue in the client.
   */
  submit(items: T[]): void {
    if (items.length === 0) return;
    const client = this.client;
    if (this.online && client && !this.waitingForDrain && this.buffer.length === 0) {
      const now = Date.now();
      for (const item of items) this.publish(client, this.profile.render(item, false, now));
      return;
    }
    // primary host known offline: the next births carry the latest values, history would only be dropped by it
    if (!this.online && this.profile.buffering?.() === false) return;
    const replay = !this.online;
    for (const item of items) this.buffer.push({ item, replay });
  }

  private emit(phase: ConnectionPhase, retryInMs?: number): void {
    this.options.onState({ phase, error: this.lastError, buffered: this.buffer.length, dropped: this.dropped, retryInMs });
  }

  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.options.onInternalError?.(asError(err));
      }
    };
  }

  private connect(): void {
    if (this.closing) return;
    this.emit('connecting');
    let target: BrokerTarget;
    let socket: net.Socket;
    try {
      target = brokerTarget(this.options.url);
      const o = this.options.clientOptions;
      socket = target.secure
        ? tls.connect({
            host: target.host,
            port: target.port,
            // SNI takes a host name only
            servername: net.isIP(target.host) === 0 ? target.host : undefined,
            rejectUnauthorized: o.rejectUnauthorized !== false,
            ca: o.ca,
            cert: o.cert,
            key: o.key,
          } as tls.ConnectionOptions)
        : net.connect({ host: target.host, port: target.port });
    } catch (err) {
      // a bad URL or option throws synchronously
      this.lastError = asError(err);
      this.scheduleReconnect();
      return;
    }
    this.transport = socket;
    const failed = this.guard((err: Error) => {
      if (this.transport !== socket) return;
      this.transport = undefined;
      socket.on('error', () => undefined);
      socket.destroy();
      this.lastError = err;
      this.scheduleReconnect();
    });
    socket.on('error', failed);
    socket.once(
      target.secure ? 'secureConnect' : 'connect',
      this.guard(() => {
        if (this.transport !== socket) return;
        this.transport = undefined;
        socket.removeListener('error', failed);
        this.open(socket);
      }),
    );
    this.timers.timeout(() => {
      if (this.transport === socket) failed(new Error('connect timed out'));
    }, this.options.connectTimeoutMs ?? 10_000);
  }

  /** The transport is up: now the CONNECT (with this attempt's will) goes out. */
  private open(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const will = this.profile.will(Date.now());
    this.connects++;
    let client: MqttClient;
    try {
      client = new MqttClient(() => socket, {
        ...this.options.clientOptions,
        clean: true,
        reconnectPeriod: 0,
        queueQoSZero: false,
        resubscribe: false,
        connectTimeout: this.options.connectTimeoutMs ?? 10_000,
        will: { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain },
      });
    } catch (err) {
      socket.destroy();
      this.lastError = asError(err);
      this.scheduleReconnect();
      return;
    }
    this.client = client;
    client.on('connect', this.guard(() => this.onConnect(client)));
    client.on('message', this.guard((topic: string, payload: Buffer) => {
      if (client !== this.client) return;
      const signal = this.profile.session?.(topic, payload, Date.now());
      if (signal) {
        this.onSession(client, signal);
        return;
      }
      if (!this.online) return;
      this.publish(client, this.profile.command(topic, payload, Date.now()));
    }));
    client.on('error', this.guard((err: Error) => {
      if (client === this.client) this.lastError = err;
    }));
    client.on('close', this.guard(() => this.drop(client)));
    // the library's own connect timeout ends in 'close'; this is the backstop should it not
    const timeout = (this.options.connectTimeoutMs ?? 10_000) + 5_000;
    this.timers.timeout(() => {
      if (client === this.client && !this.online && !client.connected) {
        this.lastError = new Error('connect timed out');
        this.drop(client);
      }
    }, timeout);
  }

  /** The DISCONNECT packet's options: with the will under MQTT 5 when the profile wants it and a session was born. */
  private disconnectOptions(born: boolean): { reasonCode?: number } {
    const v5 = this.options.clientOptions.protocolVersion === 5;
    return v5 && born && this.profile.disconnectWithWill?.() === true ? { reasonCode: DISCONNECT_WITH_WILL } : {};
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client) return;
    const subscriptions = this.profile.subscriptions();
    this.subscribed = false;
    // a primary host's STATE must be seen online on every connection, even if it was online before
    this.released = !(this.profile.holdsBirths?.() ?? false);
    const subscribed = (): void => {
      if (client !== this.client || !client.connected || this.closing) return;
      this.backoff.reset();
      this.lastError = undefined;
      this.subscribed = true;
      if (this.released) this.announce(client);
      else this.emit('holding');
    };
    // Sparkplug: subscribe to NCMD (and the host's STATE) before the NBIRTH goes out
    if (subscriptions.length > 0) client.subscribe(subscriptions, { qos: 1 }, this.guard(() => subscribed()));
    else subscribed();
  }

  private announce(client: MqttClient): void {
    if (client !== this.client || !client.connected || this.closing || this.online) return;
    const now = Date.now();
    // births before anything buffered, so a subscriber never sees data of something not born on this connection
    this.publish(client, this.profile.births(now));
    this.online = true;
    this.flush(client);
    this.emit('connected');
  }

  private onSession(client: MqttClient, signal: SessionSignal): void {
    switch (signal.action) {
      case 'announce':
        this.released = true;
        if (this.subscribed) this.announce(client);
        break;
      case 'end':
        this.released = false;
        if (this.online) this.endSession(client);
        else if (this.subscribed) this.emit('holding');
        break;
      case 'hold':
        this.released = false;
        if (!this.online && this.subscribed) this.emit('holding');
        break;
      case 'ignore':
        break;
    }
    this.options.onSession?.(signal);
  }

  /**
   * The primary host went offline: the farewell (NDEATH with this CONNECT's bdSeq), the DISCONNECT (under MQTT 5
   * with the will, so the broker sends the NDEATH too: a second one with the same bdSeq, which hosts ignore), and a
   * new CONNECT soon that waits for the host again.
   */
  private endSession(client: MqttClient): void {
    this.publish(client, this.profile.farewell(Date.now()));
    this.client = undefined;
    this.online = false;
    this.subscribed = false;
    this.waitingForDrain = false;
    this.profile.disconnected();
    // anything still waiting for a drain is older than what the next births carry
    this.buffer.clear();
    client.removeAllListeners();
    client.on('error', () => undefined);
    this.retiring = client;
    const retired = (): void => {
      if (this.retiring === client) this.retiring = undefined;
    };
    // not forced: the QoS 1 NDEATH is acknowledged before the DISCONNECT; forced if the broker does not answer
    client.end(false, this.disconnectOptions(true), retired);
    this.timers.timeout(() => {
      if (this.retiring === client) client.end(true, {}, retired);
    }, CLOSE_TIMEOUT_MS);
    this.emit('holding');
    this.timers.timeout(() => this.connect(), HOST_RECONNECT_MS);
  }

  private publish(client: MqttClient, packets: Packet[]): void {
    for (const p of packets) {
      client.publish(p.topic, p.payload, { qos: p.qos, retain: p.retain }, () => undefined);
      this.published++;
    }
    if (packets.length > 0) this.lastPublishAt = Date.now();
    const stream = client.stream as unknown as { writableNeedDrain?: boolean; once?(event: 'drain', fn: () => void): void } | undefined;
    if (!this.waitingForDrain && stream?.writableNeedDrain === true && typeof stream.once === 'function') {
      this.waitingForDrain = true;
      stream.once(
        'drain',
        this.guard(() => {
          if (client !== this.client) return;
          this.waitingForDrain = false;
          if (this.online) this.flush(client);
        }),
      );
    }
  }

  /** Sends what waits, oldest first, until the socket asks to wait for a drain. */
  private flush(client: MqttClient): void {
    const now = Date.now();
    while (this.buffer.length > 0 && this.online && !this.waitingForDrain && client === this.client) {
      const next = this.buffer.shift();
      if (next) this.publish(client, this.profile.render(next.item, next.replay, now));
    }
  }

  /** The connection (or the attempt) is over: forget the client and try again later. */
  private drop(client: MqttClient): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.online = false;
    this.subscribed = false;
    this.waitingForDrain = false;
    this.profile.disconnected();
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end(true);
    if (this.closing) return;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closing) return;
    if (!this.lastError) this.lastError = new Error('connection closed');
    const delay = this.backoff.next();
    this.emit('disconnected', delay);
    this.timers.timeout(() => this.connect(), delay);
  }

  /** Clean close: the farewell (offline state / NDEATH) and a DISCONNECT, or a hard close after 2 s. */
  close(): Promise<void> {
    this.closing = true;
    this.timers.close();
    this.retiring?.end(true);
    this.retiring = undefined;
    this.transport?.destroy();
    this.transport = undefined;
    const client = this.client;
    this.client = undefined;
    this.buffer.clear();
    if (!client) return Promise.resolve();
    const wasOnline = this.online;
    this.online = false;
    return new Promise((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(hard);
        client.removeAllListeners();
        client.on('error', () => undefined);
        resolve();
      };
      const hard = setTimeout(() => {
        client.end(true);
        finish();
      }, CLOSE_TIMEOUT_MS);
      try {
        client.on('error', () => undefined);
        if (wasOnline && client.connected) this.publish(client, this.profile.farewell(Date.now()));
        client.end(!client.connected, this.disconnectOptions(wasOnline), () => finish());
      } catch {
        client.end(true);
        finish();
      }
    });
  }
}
