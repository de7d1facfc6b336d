/**
 * Trap and inform receiver of one snmp-endpoint link (v1, v2c, v3), on an unprivileged port by default
 * because UDP 162 needs root on Linux. Each notification is matched to the unit that sent it.
 */
import * as snmp from 'net-snmp';
import type { SnmpTarget, SnmpTrap, SnmpVarbind } from './types';
import { fromRaw } from './session';

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
  /** bind address; 0.0.0.0 to hear real devices, 127.0.0.1 for tests */
  address?: string;
  /** v1/v2c communities accepted */
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

export class SnmpTrapReceiver {
  private receiver: { close(cb?: () => void): void } | undefined;
  readonly port: number;

  constructor(
    options: TrapReceiverOptions,
    private readonly targets: SnmpTarget[],
    private readonly onTrap: (trap: SnmpTrap) => void,
    private readonly onError: (err: Error) => void,
  ) {
    this.port = options.port ?? DEFAULT_TRAP_PORT;
    const receiverOptions: Record<string, unknown> = {
      port: this.port,
      address: options.address ?? '0.0.0.0',
      transport: 'udp4',
      includeAuthentication: true,
    };
    if (options.engineID) receiverOptions.engineID = options.engineID;
    try {
      const r = snmp.createReceiver(receiverOptions as unknown as Parameters<typeof snmp.createReceiver>[0], (err: Error | null, notification: unknown) => {
        try {
          if (err) {
            this.onError(new Error(`trap receiver: ${err.message}`));
            return;
          }
          this.handle(notification);
        } catch (inner) {
          this.onError(inner instanceof Error ? inner : new Error(String(inner)));
        }
      }) as unknown as { close(cb?: () => void): void; getAuthorizer(): { addCommunity(c: string): void; addUser(u: unknown): void } };
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
      varbinds.push(fromRaw({ oid: r.oid, type: r.type, value: r.value }));
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
    const sockets = (this.receiver as unknown as { listener?: { sockets?: Record<string, import('dgram').Socket> } } | undefined)?.listener?.sockets;
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
