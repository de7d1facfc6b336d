/**
 * Hostile and broken Modbus/TCP clients over real loopback sockets, shared by the server's own tests
 * (test/integration/modbus-server-hostile.test.ts), the comparison with modbus-serial's ServerTCP
 * (test/integration/modbus-server-peer.test.ts) and bench/plc-bridge.bench.ts, so that all three put the same
 * cases to a server.
 */
import * as net from 'net';
import { IServiceVector, ServerTCP } from 'modbus-serial';
import { modbusRequest, readPdu } from './modbus-raw';
import { freeTcpPort } from './ports';

/** A connection that sends the 7 header bytes of a request announcing a 5-byte PDU, and nothing more. */
export async function squatter(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(Buffer.from([0, 1, 0, 0, 0, 6, 1]));
  return socket;
}

/** A connection that discards what it reads (so it sees the server's close). */
export function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  return new Promise((resolve) => socket.once('connect', () => resolve(socket)));
}

/** ms from now until the socket closes (rejects after limitMs) */
export function closesIn(socket: net.Socket, limitMs: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(0);
    const timer = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
}

/** one FC04 request of 125 registers as an ADU */
export function readAdu(transactionId: number): Buffer {
  const pdu = readPdu(4, 0, 125);
  const adu = Buffer.alloc(7 + pdu.length);
  adu.writeUInt16BE(transactionId & 0xffff, 0);
  adu.writeUInt16BE(pdu.length + 1, 4);
  adu[6] = 1;
  pdu.copy(adu, 7);
  return adu;
}

/**
 * Write requests that contradict themselves; the spec (Modbus Application Protocol v1.1b3, 6.5-6.12 and the
 * state diagrams) answers each with exception 03 from a writable bank and 01 from a read-only one.
 */
export const MALFORMED_WRITES: readonly Buffer[] = [
  Buffer.from([0x05, 0x00, 0x6e, 0x12, 0x34]), // coil value 0x1234
  Buffer.from([0x05, 0x00, 0x6e, 0xff, 0x01]),
  Buffer.from([0x05, 0x00, 0x6e, 0xff, 0x00, 0x00]), // a byte too many
  Buffer.from([0x0f, 0x00, 0x6e, 0x00, 0x09, 0x01, 0xff]), // 9 coils in 1 byte
  Buffer.from([0x0f, 0x00, 0x6e, 0x00, 0x02, 0x02, 0x03, 0x00]), // 2 coils in 2 bytes
  Buffer.from([0x0f, 0x00, 0x6e, 0x00, 0x00, 0x00]), // no coils
  Buffer.from([0x0f, 0x00, 0x6e, 0x00, 0x08, 0x01]), // byte count 1, no byte
  Buffer.from([0x10, 0x00, 0xd2, 0x00, 0x02, 0x02, 0x00, 0x01]), // 2 registers in 2 bytes
  Buffer.from([0x10, 0x00, 0xd2, 0x00, 0x00, 0x00]), // no registers
  Buffer.from([0x06, 0x00, 0xd2, 0x00]), // short
  Buffer.from([0x06, 0x00, 0xd2, 0x00, 0x01, 0x00]), // long
];

/** Reads beyond the 125-register limit of FC03/04: exception 03 (6.3, 6.4). */
export const OVERSIZED_READS: readonly Buffer[] = [readPdu(3, 0, 126), readPdu(4, 0, 2000)];

/**
 * Sends each request on its own connection at once and counts the replies that are the exception the spec
 * asks for; a request with no reply within timeoutMs counts as wrong (the client would wait its timeout).
 */
export async function specAnswers(port: number, requests: readonly Buffer[], exceptionCode: number, timeoutMs = 1000): Promise<{ right: number; unanswered: number }> {
  const replies = await Promise.all(requests.map((pdu) => modbusRequest(port, 1, pdu, '127.0.0.1', timeoutMs).catch(() => undefined)));
  let right = 0;
  replies.forEach((reply, i) => {
    if (reply && reply.length === 2 && reply[0] === (requests[i][0] | 0x80) && reply[1] === exceptionCode) right++;
  });
  return { right, unanswered: replies.filter((r) => r === undefined).length };
}

/**
 * A client that pipelines `requests` FC04 reads of 125 registers and never reads its socket. Resolves with the
 * reply bytes the server holds for it at the end (`held()` asks the server, e.g. the sockets' writableLength).
 */
export async function nonReader(port: number, requests: number, held: () => number): Promise<number> {
  const greedy = net.connect(port, '127.0.0.1');
  greedy.on('error', () => undefined);
  await new Promise((resolve) => greedy.once('connect', resolve));
  greedy.pause();
  let sent = 0;
  while (sent < requests) {
    const batch = Math.min(500, requests - sent);
    greedy.write(Buffer.concat(Array.from({ length: batch }, () => readAdu(++sent))));
    await new Promise((r) => setTimeout(r, 10));
  }
  // let the server take in what the socket still holds for it
  await new Promise((r) => setTimeout(r, 500));
  const bytes = held();
  greedy.destroy();
  return bytes;
}

/** modbus-serial's ServerTCP (the server under node-red-contrib-modbus), started the way its README shows. */
export interface PeerServer {
  port: number;
  /** connections it holds open */
  connections(): number;
  /** reply bytes written to its sockets and not yet taken by the clients' side */
  heldBytes(): number;
  close(): Promise<void>;
}

export async function startServerTcp(vector: IServiceVector): Promise<PeerServer> {
  // ServerTCP takes port 0 for its default 502 and does not report the port it bound: give it a free one
  const port = await freeTcpPort();
  const server = new ServerTCP(vector, { host: '127.0.0.1', port, unitID: 1 });
  server.on('socketError', () => undefined);
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
  return {
    port,
    connections: () => server.socks.size,
    heldBytes: () => [...server.socks.keys()].reduce((sum, socket) => sum + socket.writableLength, 0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** ServerTCP's bulk register callbacks over the same values as `registerAt`; one value each for a single register. */
export function bulkVector(registerAt: (address: number) => number, writable: boolean): IServiceVector {
  const many = (address: number, count: number): number[] => Array.from({ length: count }, (_, i) => registerAt(address + i));
  return {
    getInputRegister: registerAt,
    getHoldingRegister: registerAt,
    getMultipleInputRegisters: many,
    getMultipleHoldingRegisters: many,
    getCoil: () => false,
    getDiscreteInput: () => false,
    ...(writable ? { setCoil: () => undefined, setRegister: () => undefined, setRegisterArray: () => undefined } : {}),
  };
}
