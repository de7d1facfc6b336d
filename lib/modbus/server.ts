/**
 * A generic Modbus/TCP server on the package's own codecs (lib/modbus/pdu.ts, tcp.ts): the BACS simulator
 * serves its register bank through it, and the PLC bridge can reuse it. The register bank is a set of
 * callbacks; a request hook lets simulators and tests inject faults (drop, delay, exception, corrupt reply).
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
} from './pdu';
import { encodeMbap, MbapSplitter } from './tcp';

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
  /** refuse connections beyond this many at once (default: no limit) */
  maxConnections?: number;
}

export class ModbusTcpServer {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  requestCount = 0;

  constructor(private readonly options: ModbusServerOptions) {}

  get connections(): number {
    return this.sockets.size;
  }

  /** Listens; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      if (this.options.maxConnections !== undefined) server.maxConnections = this.options.maxConnections;
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
    for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.dropAll();
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const splitter = new MbapSplitter();
    socket.on('data', (chunk: Buffer) => {
      const frames = splitter.push(chunk);
      if (!frames.ok) {
        socket.destroy();
        return;
      }
      for (const frame of frames.value) this.handle(socket, frame.transactionId, frame.unitId, frame.pdu);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private handle(socket: net.Socket, transactionId: number, unitId: number, pdu: Buffer): void {
    this.requestCount++;
    const send = (reply: Buffer): void => {
      if (!socket.destroyed) socket.write(encodeMbap(transactionId, unitId, reply));
    };
    if (this.options.unitIds && !this.options.unitIds.includes(unitId)) {
      send(encodeException(pdu[0] ?? 0, 11)); // gateway target failed to respond
      return;
    }
    const parsed = decodeRequest(pdu);
    if (!parsed.ok) {
      send(encodeException(pdu[0] ?? 0, parsed.error.code === 'unknown_command' ? 1 : 3));
      return;
    }
    const request = parsed.value;
    const action = this.options.onRequest?.({ unitId, transactionId, request }) ?? { action: 'answer' };
    switch (action.action) {
      case 'drop':
        socket.destroy();
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
          this.timers.delete(timer);
          send(this.answer(request, unitId));
        }, action.ms);
        this.timers.add(timer);
        return;
      }
      default:
        send(this.answer(request, unitId));
    }
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
