/**
 * The two kinds of physical link an RS485 bus can sit behind: a local serial port (USB-RS485 stick, UART) and a
 * transparent RS485-to-TCP gateway. Both look the same to the bus: open, write, data, close. `serialport` is an
 * optional dependency loaded only when a serial link opens, so a TCP-only install never needs native code.
 */
import { EventEmitter } from 'events';
import * as net from 'net';

export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';

export interface SerialSettings {
  kind: 'serial';
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: Parity;
  stopBits: 1 | 1.5 | 2;
}

export interface TcpSettings {
  kind: 'tcp';
  host: string;
  port: number;
}

export type LinkSettings = SerialSettings | TcpSettings;

export function describeLink(s: LinkSettings): string {
  if (s.kind === 'tcp') return `${s.host}:${s.port}`;
  const parity = s.parity === 'none' ? 'N' : s.parity[0].toUpperCase();
  return `${s.path} ${s.baudRate} ${s.dataBits}${parity}${s.stopBits}`;
}

/**
 * Events: `data` (Buffer), `close` (Error | undefined: why the link went away, undefined after close()).
 */
export interface Link extends EventEmitter {
  readonly description: string;
  open(): Promise<void>;
  write(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

class SerialportMissingError extends Error {
  constructor(cause: string) {
    super(
      `the optional 'serialport' module is not installed or failed to load (${cause}); ` +
        `run 'npm install serialport' in the Node-RED user directory, or use a TCP gateway link`,
    );
    this.name = 'SerialportMissingError';
  }
}

/** The part of serialport's SerialPort class this module uses. */
interface SerialPortLike extends EventEmitter {
  isOpen: boolean;
  open(cb: (err: Error | null) => void): void;
  write(data: Buffer, cb: (err: Error | null | undefined) => void): boolean;
  drain(cb: (err: Error | null) => void): void;
  close(cb: (err: Error | null) => void): void;
}

interface SerialPortModule {
  SerialPort: (new (options: Record<string, unknown>) => SerialPortLike) & {
    list(): Promise<Array<{ path: string; manufacturer?: string; serialNumber?: string; pnpId?: string; vendorId?: string; productId?: string }>>;
  };
}

let serialportModule: SerialPortModule | undefined;
let serialportError: string | undefined;

/** Loads `serialport` once; throws SerialportMissingError with a clear message when it cannot. */
export function loadSerialport(): SerialPortModule {
  if (serialportModule) return serialportModule;
  if (serialportError) throw new SerialportMissingError(serialportError);
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    serialportModule = require('serialport') as SerialPortModule;
    return serialportModule;
  } catch (err) {
    serialportError = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new SerialportMissingError(serialportError);
  }
}

class SerialLink extends EventEmitter implements Link {
  private port: SerialPortLike | undefined;
  private closing = false;

  constructor(private readonly settings: SerialSettings) {
    super();
  }

  get description(): string {
    return describeLink(this.settings);
  }

  open(): Promise<void> {
    const { SerialPort } = loadSerialport();
    this.closing = false;
    return new Promise((resolve, reject) => {
      const port = new SerialPort({
        path: this.settings.path,
        baudRate: this.settings.baudRate,
        dataBits: this.settings.dataBits,
        parity: this.settings.parity,
        stopBits: this.settings.stopBits,
        autoOpen: false,
        // A second process opening the same adapter is a wiring mistake worth an error, not a silent share.
        lock: true,
      });
      const onError = (err: Error): void => {
        if (this.port === port) this.emit('error', err);
      };
      port.on('error', onError);
      port.open((err) => {
        if (err) {
          port.removeAllListeners();
          port.on('error', () => undefined);
          reject(err);
          return;
        }
        this.port = port;
        port.on('data', (chunk: Buffer) => this.emit('data', chunk));
        port.once('close', (closeErr?: Error | null) => {
          if (this.port !== port) return;
          this.port = undefined;
          this.emit('close', this.closing ? undefined : closeErr ?? new Error(`${this.settings.path} closed`));
        });
        resolve();
      });
    });
  }

  write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port || !port.isOpen) return Promise.reject(new Error(`${this.settings.path} is not open`));
    return new Promise((resolve, reject) => {
      port.write(bytes, (err) => {
        if (err) reject(err);
        else port.drain((drainErr) => (drainErr ? reject(drainErr) : resolve()));
      });
    });
  }

  close(): Promise<void> {
    this.closing = true;
    const port = this.port;
    this.port = undefined;
    if (!port) return Promise.resolve();
    return new Promise((resolve) => {
      port.removeAllListeners('data');
      if (!port.isOpen) {
        resolve();
        return;
      }
      port.close(() => {
        port.removeAllListeners();
        port.on('error', () => undefined);
        resolve();
      });
    });
  }
}

class TcpLink extends EventEmitter implements Link {
  private socket: net.Socket | undefined;
  private closing = false;

  constructor(private readonly settings: TcpSettings, private readonly connectTimeoutMs = 5000) {
    super();
  }

  get description(): string {
    return describeLink(this.settings);
  }

  open(): Promise<void> {
    this.closing = false;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.settings.host, port: this.settings.port });
      let settled = false;
      socket.setTimeout(this.connectTimeoutMs);
      socket.once('timeout', () => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(new Error(`no connection to ${this.description} within ${this.connectTimeoutMs} ms`));
      });
      socket.once('connect', () => {
        if (settled) return;
        settled = true;
        socket.setTimeout(0);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 10_000);
        this.socket = socket;
        socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
        resolve();
      });
      let lastError: Error | undefined;
      socket.on('error', (err: Error) => {
        lastError = err;
        if (!settled) {
          settled = true;
          reject(err);
        }
      });
      socket.once('close', () => {
        if (this.socket !== socket) return;
        this.socket = undefined;
        this.emit('close', this.closing ? undefined : lastError ?? new Error(`gateway ${this.description} closed the connection`));
      });
    });
  }

  write(bytes: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error(`gateway ${this.description} is not connected`));
    return new Promise((resolve, reject) => {
      socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    this.closing = true;
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.removeAllListeners('data');
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }
}

export function createLink(settings: LinkSettings): Link {
  return settings.kind === 'tcp' ? new TcpLink(settings) : new SerialLink(settings);
}
