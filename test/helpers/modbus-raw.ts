/** A bare Modbus/TCP request over a fresh socket, independent of lib/modbus/client.ts, for tests of servers. */
import * as net from 'net';

let transaction = 1;

/** Sends one PDU and resolves with the reply PDU (rejects on close, error or timeout). */
export function modbusRequest(port: number, unitId: number, pdu: Buffer, host = '127.0.0.1', timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const id = transaction++ & 0xffff;
    const socket = net.connect(port, host);
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error('no reply')), timeoutMs);
    const finish = (err: Error | null, reply?: Buffer): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply as Buffer);
    };
    socket.on('connect', () => {
      const adu = Buffer.alloc(7 + pdu.length);
      adu.writeUInt16BE(id, 0);
      adu.writeUInt16BE(0, 2);
      adu.writeUInt16BE(pdu.length + 1, 4);
      adu[6] = unitId;
      pdu.copy(adu, 7);
      socket.write(adu);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 7) return;
      const length = buffer.readUInt16BE(4);
      if (buffer.length < 6 + length) return;
      if (buffer.readUInt16BE(0) !== id) return finish(new Error('wrong transaction id'));
      finish(null, buffer.subarray(7, 6 + length));
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('closed without a reply')));
  });
}

export function readPdu(fc: 1 | 2 | 3 | 4, address: number, count: number): Buffer {
  const pdu = Buffer.alloc(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(count, 3);
  return pdu;
}

export async function readRegisters(port: number, unitId: number, fc: 3 | 4, address: number, count: number): Promise<number[]> {
  const reply = await modbusRequest(port, unitId, readPdu(fc, address, count));
  if (reply[0] !== fc) throw new Error(`exception ${reply[1]}`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(reply.readUInt16BE(2 + 2 * i));
  return out;
}

export async function readBits(port: number, unitId: number, fc: 1 | 2, address: number, count: number): Promise<boolean[]> {
  const reply = await modbusRequest(port, unitId, readPdu(fc, address, count));
  if (reply[0] !== fc) throw new Error(`exception ${reply[1]}`);
  const out: boolean[] = [];
  for (let i = 0; i < count; i++) out.push(((reply[2 + (i >> 3)] >> (i & 7)) & 1) === 1);
  return out;
}
