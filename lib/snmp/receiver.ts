/**
 * Trap and inform receiver of one snmp-endpoint link (v1, v2c, v3), on an unprivileged port by default
 * because UDP 162 needs root on Linux. Each notification is matched to the unit that sent it.
 */
import type * as dgram from 'dgram';
import * as snmp from 'net-snmp';
import { escapeWireText } from '../wire/wire-text';
import type { SnmpTarget, SnmpTrap, SnmpVarbind } from './types';
import { toSnmpVarbind } from './varbinds';

export const DEFAULT_TRAP_PORT = 1162;

export interface TrapUser {
  name: string;
  level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProtocol?: string;
  authKey?: string;
  privProtocol?: string;
  privKey?: string;
}

export interface TrapReceiverOptions {
  port?: number;
  /** bind address; 127.0.0.1 when absent, an interface address (or 0.0.0.0) to hear real devices */
  address?: string;
  /** v1/v2c communities accepted; none: every v1/v2c notification is dropped */
  communities?: string[];
  /** v3 users accepted */
  users?: TrapUser[];
  /** engine id (hex) the receiver answers informs with; random when absent */
  engineID?: string;
}

const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';

/**
 * The unit a notification came from: the v1 agent-addr or the source address; when several units share one
 * address (agents on several ports of one host, as the simulator runs them), the source port decides.
 */
export function matchTarget(targets: SnmpTarget[], sourceAddress: string, sourcePort: number, agentAddr?: string): SnmpTarget | undefined {
  const byAddress = (addr: string | undefined): SnmpTarget[] => (addr ? targets.filter((t) => t.host === addr) : []);
  for (const addr of [agentAddr && agentAddr !== '0.0.0.0' ? agentAddr : undefined, sourceAddress]) {
    const candidates = byAddress(addr);
    if (candidates.length === 1) return candidates[0];
    if (candidates.length > 1) return candidates.find((t) => t.port === sourcePort);
  }
  return undefined;
}

interface RawPdu {
  type?: number;
  enterprise?: string;
  agentAddr?: string;
  generic?: number;
  specific?: number;
  varbinds?: unknown[];
}

/** The notification OID: snmpTrapOID.0 for v2c/v3; RFC 3584 §3.1 translation of v1 generic/specific traps. */
export function trapOidOf(pdu: RawPdu): string {
  if (pdu.type === snmp.PduType.Trap) {
    const generic = Number(pdu.generic ?? 6);
    if (generic === 6) return `${pdu.enterprise ?? ''}.0.${Number(pdu.specific ?? 0)}`;
    return `1.3.6.1.6.3.1.1.5.${generic + 1}`;
  }
  const vb = (pdu.varbinds ?? []).find((v) => (v as { oid?: string }).oid === SNMP_TRAP_OID) as { value?: unknown } | undefined;
  return vb && typeof vb.value === 'string' ? vb.value : '';
}

/** Why a received datagram was dropped: a fixed set, so it can key a rate limit and a translation. */
export type DropKind = 'malformed' | 'community' | 'user' | 'auth' | 'unexpected' | 'send';
export const DROP_KINDS: readonly DropKind[] = ['malformed', 'community', 'user', 'auth', 'unexpected', 'send'];

/**
 * A dropped datagram: where it came from, why, and what may be said about it. `detail` is never the received
 * community, never a digest, and always escaped (it may quote the library's reading of attacker bytes).
 */
export type DropListener = (source: string, kind: DropKind, detail?: string) => void;

interface RawRinfo {
  address?: unknown;
  port?: unknown;
}

interface NetSnmpError extends Error {
  /** ProcessingError: what failed inside the decoder */
  error?: unknown;
  /** ResponseInvalidError: net-snmp's ResponseInvalidCode */
  code?: unknown;
  rinfo?: RawRinfo;
}

/** The parts of a net-snmp Receiver this module touches; @types/net-snmp leaves them out. */
interface RawReceiver {
  close(cb?: () => void): void;
  getAuthorizer(): { addCommunity(c: string): void; addUser(u: unknown): void };
  onMsg(socket: dgram.Socket, buffer: Buffer, rinfo: dgram.RemoteInfo): void;
  listener?: {
    sockets?: Record<string, dgram.Socket>;
    send?: (message: { toBuffer(): Buffer }, rinfo: dgram.RemoteInfo, socket: dgram.Socket) => void;
  };
}

function sourceOf(rinfo: RawRinfo | undefined): string {
  return typeof rinfo?.address === 'string' ? escapeWireText(rinfo.address, 64) : 'unknown';
}

/**
 * Sorts an error net-snmp gave the receiver callback into a drop kind. The texts it quotes are chosen here:
 * net-snmp's own would hand out the received community ("Local community not found for message with
 * community …") or, on a failed v3 authentication, the digest computed with our key, which lets the sender
 * forge that very message. A failed digest check and a failed decryption carry a ResponseInvalidCode; the
 * authorisation refusals are RequestFailedErrors without a status, told apart by net-snmp's wording only.
 */
export function classifyReceiveError(err: NetSnmpError): { kind: DropKind; detail?: string } {
  const message = typeof err.message === 'string' ? err.message : '';
  if (err.name === 'ProcessingError') {
    const inner = err.error instanceof Error ? err.error.message : err.error !== undefined ? String(err.error) : message;
    return { kind: 'malformed', detail: escapeWireText(inner) };
  }
  if (err.name === 'ResponseInvalidError' && err.code === snmp.ResponseInvalidCode.EAuthFailure) return { kind: 'auth', detail: 'digest mismatch' };
  if (err.name === 'ResponseInvalidError' && err.code === snmp.ResponseInvalidCode.ECouldNotDecrypt) return { kind: 'auth', detail: 'decryption failed' };
  if (/^Local community/.test(message)) return { kind: 'community' };
  if (/^Local user not found/.test(message)) return { kind: 'user' };
  if (/requires authentication/.test(message)) return { kind: 'auth', detail: 'no authentication' };
  if (/requires privacy/.test(message)) return { kind: 'auth', detail: 'no privacy' };
  if (err.name === 'RequestInvalidError') return { kind: 'unexpected', detail: escapeWireText(message) };
  return { kind: 'malformed', detail: escapeWireText(message) };
}

export class SnmpTrapReceiver {
  private receiver: RawReceiver | undefined;
  readonly port: number;
  readonly address: string;

  constructor(
    options: TrapReceiverOptions,
    private readonly targets: SnmpTarget[],
    private readonly onTrap: (trap: SnmpTrap) => void,
    private readonly onError: (err: Error) => void,
    /** every dropped datagram; without it, each becomes an onError (the caller must rate-limit then) */
    private readonly onDrop?: DropListener,
  ) {
    this.port = options.port ?? DEFAULT_TRAP_PORT;
    // loopback unless told otherwise: a receiver open to the network is a choice, not a default
    this.address = options.address ?? '127.0.0.1';
    const receiverOptions: Record<string, unknown> = {
      port: this.port,
      address: this.address,
      transport: 'udp4',
      includeAuthentication: true,
    };
    if (options.engineID) receiverOptions.engineID = options.engineID;
    try {
      const r = snmp.createReceiver(receiverOptions as unknown as Parameters<typeof snmp.createReceiver>[0], (err: Error | null, notification: unknown) => {
        try {
          if (err) this.received(err as NetSnmpError);
          else this.handle(notification);
        } catch (inner) {
          const rinfo = (notification as { rinfo?: RawRinfo } | undefined)?.rinfo;
          this.drop(sourceOf(rinfo), 'malformed', escapeWireText(inner instanceof Error ? inner.message : String(inner)));
        }
      }) as unknown as RawReceiver;
      this.guard(r);
      const auth = r.getAuthorizer();
      for (const c of options.communities ?? []) auth.addCommunity(c);
      for (const u of options.users ?? []) {
        const user: Record<string, unknown> = { name: u.name, level: snmp.SecurityLevel[u.level] };
        if (u.level !== 'noAuthNoPriv') {
          user.authProtocol = (snmp.AuthProtocols as unknown as Record<string, number>)[u.authProtocol ?? 'sha256'];
          user.authKey = u.authKey ?? '';
        }
        if (u.level === 'authPriv') {
          user.privProtocol = (snmp.PrivProtocols as unknown as Record<string, number>)[u.privProtocol ?? 'aes'];
          user.privKey = u.privKey ?? '';
        }
        auth.addUser(user);
      }
      this.receiver = r;
    } catch (err) {
      this.onError(new Error(`trap receiver on port ${this.port}: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  /**
   * net-snmp handles a datagram inside its socket's 'message' listener and throws from there when it cannot
   * encode the acknowledgement of an inform it decoded (a varbind of an unknown type, an OID or integer it
   * cannot write back): in a plain listener that ends the process. Every socket's listener is replaced by one
   * that catches, and the acknowledgement is sent by our code so a failed send is reported, not printed.
   */
  private guard(r: RawReceiver): void {
    const listener = r.listener;
    for (const socket of Object.values(listener?.sockets ?? {})) {
      socket.removeAllListeners('message');
      socket.on('message', (buffer: Buffer, rinfo: dgram.RemoteInfo) => {
        try {
          r.onMsg(socket, buffer, rinfo);
        } catch (err) {
          this.drop(sourceOf(rinfo), 'malformed', escapeWireText(err instanceof Error ? err.message : String(err)));
        }
      });
    }
    if (listener) {
      listener.send = (message, rinfo, socket) => {
        const buffer = message.toBuffer(); // a throw here reaches the guarded listener above
        socket.send(buffer, 0, buffer.length, rinfo.port, rinfo.address, (err) => {
          if (err) this.drop(sourceOf(rinfo), 'send', escapeWireText((err as NodeJS.ErrnoException).code ?? err.message));
        });
      };
    }
  }

  private received(err: NetSnmpError): void {
    if (!err.rinfo) {
      // no datagram behind it: the socket itself (bind failure, port taken)
      this.onError(new Error(`trap receiver on ${this.address}:${this.port}: ${escapeWireText(err.message)}`));
      return;
    }
    const { kind, detail } = classifyReceiveError(err);
    this.drop(sourceOf(err.rinfo), kind, detail);
  }

  private drop(source: string, kind: DropKind, detail?: string): void {
    try {
      if (this.onDrop) this.onDrop(source, kind, detail);
      else this.onError(new Error(`trap receiver: dropped ${kind} datagram from ${source}${detail ? `: ${detail}` : ''}`));
    } catch {
      /* a broken listener must not break the receiver */
    }
  }

  private handle(notification: unknown): void {
    const n = notification as { pdu?: RawPdu; rinfo?: { address?: string; port?: number } };
    if (!n || typeof n !== 'object' || !n.pdu) return;
    const pdu = n.pdu;
    const sourceAddress = String(n.rinfo?.address ?? '');
    const sourcePort = Number(n.rinfo?.port ?? 0);
    const varbinds: SnmpVarbind[] = [];
    for (const raw of pdu.varbinds ?? []) {
      const r = raw as { oid?: unknown; type?: unknown; value?: unknown };
      if (typeof r.oid !== 'string' || typeof r.type !== 'number') continue;
      if (r.oid === SNMP_TRAP_OID || r.oid === SYS_UPTIME) continue;
      const vb = toSnmpVarbind({ oid: r.oid, type: r.type, value: r.value });
      if (vb) varbinds.push(vb);
    }
    const isV1 = pdu.type === snmp.PduType.Trap;
    const agentAddr = isV1 && typeof pdu.agentAddr === 'string' ? pdu.agentAddr : undefined;
    const meta = n as unknown as { pdu: { community?: string; user?: string } };
    this.onTrap({
      sourcePort,
      kind: pdu.type === snmp.PduType.InformRequest ? 'inform' : 'trap',
      version: isV1 ? 'v1' : meta.pdu.user !== undefined ? 'v3' : 'v2c',
      v1: isV1 ? { enterprise: String(pdu.enterprise ?? ''), agentAddr: agentAddr ?? '', generic: Number(pdu.generic ?? 0), specific: Number(pdu.specific ?? 0) } : undefined,
      target: matchTarget(this.targets, sourceAddress, sourcePort, agentAddr),
      sourceAddress,
      trapOid: trapOidOf(pdu),
      varbinds,
      receivedAt: Date.now(),
    });
  }

  /** Resolves once the receiver's socket is bound (or at once if it failed: the error was reported). */
  ready(): Promise<void> {
    const sockets = this.receiver?.listener?.sockets;
    const socket = sockets ? Object.values(sockets)[0] : undefined;
    if (!socket) return Promise.resolve();
    try {
      socket.address();
      return Promise.resolve(); // already bound
    } catch {
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, 2000);
        socket.once('listening', done);
        socket.once('error', done);
      });
    }
  }

  close(): Promise<void> {
    const r = this.receiver;
    this.receiver = undefined;
    if (!r) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, 1000);
      try {
        r.close(() => {
          clearTimeout(t);
          resolve();
        });
      } catch {
        clearTimeout(t);
        resolve();
      }
    });
  }
}
