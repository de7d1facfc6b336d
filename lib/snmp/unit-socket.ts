/**
 * A net-snmp session's UDP socket, connected to its unit when the unit is an IPv4 address. The kernel then
 * drops datagrams from anyone else before net-snmp parses them (a session's port is open to the network), and
 * a send skips the per-datagram address lookup an unconnected socket does. A host name keeps an unconnected
 * socket: its address may change, and net-snmp looks it up on every send.
 */
import { isIPv4 } from 'net';

/** The parts of net-snmp's session socket (a dgram.Socket) this module touches. */
export interface SessionSocket {
  connect(port: number, address: string, callback: (err?: unknown) => void): void;
  send(...args: unknown[]): void;
  remoteAddress(): unknown;
  removeAllListeners(event: string): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

/**
 * Errors a connected socket receives when the unit is not there (ICMP port or host unreachable). They are not
 * failures of the link: the request times out as it would on an unconnected socket, and a dead unit neither
 * floods the log nor costs a new socket per poll.
 */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);

/**
 * Connects the socket to the unit, if its host is an IPv4 address, and takes over its 'error' events (net-snmp
 * emits them under an event named by the error object, so they would be lost). Errors other than an unreachable
 * unit go to `onError`. Returns whether the socket is connected (or connecting).
 */
export function connectToUnit(socket: SessionSocket, host: string, port: number, onError: (err: Error) => void): boolean {
  socket.removeAllListeners('error');
  socket.on('error', (err: unknown) => {
    const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return;
    onError(err instanceof Error ? err : new Error(String(err)));
  });
  if (!isIPv4(host)) return false;
  const send = socket.send;
  let state: 'connecting' | 'connected' | 'unconnected' = 'connecting';
  /** sends made before the connection was: net-snmp sends at once, a connection is a bind and a lookup away */
  let waiting: unknown[][] = [];
  // net-snmp sends with the unit's port and address, which a connected socket refuses
  socket.send = function sendToUnit(buffer: unknown, offset: unknown, length: unknown, unitPort: unknown, address: unknown, callback: unknown): void {
    if (state === 'connected') send.call(socket, buffer, offset, length, callback);
    else if (state === 'unconnected') send.call(socket, buffer, offset, length, unitPort, address, callback);
    else waiting.push([buffer, offset, length, unitPort, address, callback]);
  };
  const flush = (): void => {
    const sends = waiting;
    waiting = [];
    for (const args of sends) socket.send(...args);
  };
  // a socket that cannot connect still sends as net-snmp asks
  const connected = (err?: unknown): void => {
    state = err ? 'unconnected' : 'connected';
    flush();
  };
  try {
    socket.connect(port, host, connected);
  } catch (err) {
    connected(err);
    return false;
  }
  socket.on('close', () => {
    // closed before the connection was made: net-snmp learns of each waiting send that it failed
    const sends = waiting;
    waiting = [];
    for (const args of sends) if (typeof args[5] === 'function') (args[5] as (err: Error) => void)(new Error('socket closed'));
  });
  return true;
}
