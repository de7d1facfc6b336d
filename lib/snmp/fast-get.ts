/**
 * The link's fast path for SNMPv1/v2c GETs: one UDP socket for all units of the link (not one per unit),
 * request templates encoded once per OID list, one sweep timer for timeouts and retries instead of a timer per
 * request, and responses matched by request id, source port and community. Datagrams that do not decode are
 * reported and dropped; the request then times out like a lost answer. v3, walks and traps use net-snmp.
 */
import * as dgram from 'dgram';
import * as net from 'net';
import type { SnmpTarget } from './types';
import { decodeResponse, DecodedVarbind, getRequestTemplate, GetTemplate, PDU_RESPONSE, withRequestId } from './ber';
import { targetKey } from './targets';
import { escapeWireText } from '../wire/wire-text';

export interface FastGetOptions {
  version: 0 | 1;
  community: string;
  timeout: number;
  retries: number;
}

/** Failure of one request, with the same codes as the session path */
export class FastGetError extends Error {
  constructor(
    message: string,
    readonly code: 'timeout' | 'tooBig' | 'noSuchName' | 'protocol' | 'socket' | 'closed',
  ) {
    super(message);
  }
}

interface Pending {
  target: SnmpTarget;
  oids: string[];
  template: GetTemplate;
  message: Buffer;
  deadline: number;
  retriesLeft: number;
  resolve: (varbinds: DecodedVarbind[]) => void;
  reject: (err: FastGetError) => void;
}

const ERROR_NAMES: Record<number, string> = { 1: 'TooBig', 2: 'NoSuchName', 3: 'BadValue', 4: 'ReadOnly', 5: 'GeneralError' };

export class FastGet {
  private socket: dgram.Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  /** the latest request per source (port, then address): lets a response's OIDs be matched by bytes */
  private readonly bySource = new Map<number, Map<string, Pending>>();
  private readonly templates = new Map<string, GetTemplate>();
  /** callers that poll with the same array object skip building the text key */
  private byArray = new WeakMap<string[], { template: GetTemplate; copy: string[] }>();
  private sweeper: NodeJS.Timeout | undefined;
  private nextId = 0x01000000 + Math.floor(Math.random() * 0x3f000000);
  private closed = false;

  constructor(
    private readonly options: FastGetOptions,
    private readonly onError: (err: Error) => void,
    /** a datagram dropped as malformed, by source address (anyone can send to the socket: rate-limit it) */
    private readonly onDrop?: (source: string, detail: string) => void,
  ) {}

  private drop(rinfo: dgram.RemoteInfo, detail: string): void {
    const text = escapeWireText(detail);
    if (this.onDrop) this.onDrop(escapeWireText(rinfo.address, 64), text);
    else this.onError(new Error(`${rinfo.address}:${rinfo.port}: malformed response ignored: ${text}`));
  }

  /** whether a target can use the fast path: an IPv4 literal (responses are matched by address) */
  static supports(target: SnmpTarget): boolean {
    return net.isIPv4(target.host);
  }

  private open(): dgram.Socket {
    if (this.socket) return this.socket;
    const socket = dgram.createSocket('udp4');
    socket.on('message', (buffer, rinfo) => {
      try {
        this.onMessage(buffer, rinfo);
      } catch (err) {
        this.drop(rinfo, err instanceof Error ? err.message : String(err));
      }
    });
    socket.on('error', (err) => {
      this.onError(err);
      // a socket in error is unusable: fail what waits on it and start afresh next time
      this.dropSocket(new FastGetError(`socket: ${err.message}`, 'socket'));
    });
    socket.unref();
    this.socket = socket;
    return socket;
  }

  private dropSocket(reason: FastGetError): void {
    const socket = this.socket;
    this.socket = undefined;
    for (const [id, p] of this.pending) {
      this.forget(id, p);
      p.reject(reason);
    }
    this.stopSweeper();
    if (socket) {
      try {
        socket.close();
      } catch {
        /* already closed */
      }
    }
  }

  private template(oids: string[]): GetTemplate | undefined {
    const known = this.byArray.get(oids);
    // same array and (checked, since a caller may have changed it) the same strings in it
    if (known && known.copy.length === oids.length && known.copy.every((o, i) => o === oids[i])) return known.template;
    const key = oids.join(',');
    let t = this.templates.get(key);
    if (!t) {
      const r = getRequestTemplate(this.options.version, this.options.community, oids);
      if (!r.ok) return undefined;
      t = r.value;
      // bounded: a link polls a handful of OID lists; a flood of ad-hoc lists must not grow the cache forever
      if (this.templates.size > 256) this.templates.clear();
      this.templates.set(key, t);
    }
    this.byArray.set(oids, { template: t, copy: oids.slice() });
    return t;
  }

  get(target: SnmpTarget, oids: string[]): Promise<DecodedVarbind[]> {
    return new Promise<DecodedVarbind[]>((resolve, reject) => {
      if (this.closed) return reject(new FastGetError('link closed', 'closed'));
      const t = this.template(oids);
      if (!t) return reject(new FastGetError(`${targetKey(target)}: bad OID in request`, 'protocol'));
      let id = this.nextId++;
      if (this.nextId > 0x7fffffff) this.nextId = 0x01000000;
      while (this.pending.has(id)) id = this.nextId++;
      const p: Pending = {
        target,
        oids,
        template: t,
        message: withRequestId(t, id),
        deadline: Date.now() + this.options.timeout,
        retriesLeft: this.options.retries,
        resolve,
        reject,
      };
      this.pending.set(id, p);
      let byAddress = this.bySource.get(target.port);
      if (!byAddress) this.bySource.set(target.port, (byAddress = new Map()));
      byAddress.set(target.host, p);
      this.send(id, p);
      this.startSweeper();
    });
  }

  private send(id: number, p: Pending): void {
    let socket: dgram.Socket;
    try {
      socket = this.open();
      if (this.pending.size === 1) socket.ref();
      socket.send(p.message, p.target.port, p.target.host, (err) => {
        if (err && this.pending.get(id) === p) {
          this.forget(id, p);
          p.reject(new FastGetError(`${targetKey(p.target)}: ${err.message}`, 'socket'));
        }
      });
    } catch (err) {
      this.forget(id, p);
      p.reject(new FastGetError(`${targetKey(p.target)}: ${err instanceof Error ? err.message : String(err)}`, 'socket'));
    }
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), Math.max(20, Math.min(250, Math.floor(this.options.timeout / 8))));
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.socket?.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue;
      if (p.retriesLeft > 0) {
        p.retriesLeft--;
        p.deadline = now + this.options.timeout;
        this.send(id, p);
      } else {
        this.forget(id, p);
        p.reject(new FastGetError(`timeout from ${targetKey(p.target)} (check address and community)`, 'timeout'));
      }
    }
    if (this.pending.size === 0) this.stopSweeper();
  }

  /** the template of the request waiting on this source, to match OIDs by bytes (one request per unit) */
  private lastAsked(rinfo: dgram.RemoteInfo): GetTemplate | undefined {
    return this.bySource.get(rinfo.port)?.get(rinfo.address)?.template;
  }

  private forget(id: number, p: Pending): void {
    this.pending.delete(id);
    const byAddress = this.bySource.get(p.target.port);
    if (byAddress && byAddress.get(p.target.host) === p) {
      byAddress.delete(p.target.host);
      if (byAddress.size === 0) this.bySource.delete(p.target.port);
    }
  }

  private onMessage(buffer: Buffer, rinfo: dgram.RemoteInfo): void {
    const decoded = decodeResponse(buffer, this.lastAsked(rinfo));
    if (!decoded.ok) {
      this.drop(rinfo, decoded.error.message);
      return;
    }
    const m = decoded.value;
    const p = this.pending.get(m.requestId);
    // only the unit asked answers: same id, port, address and community (anything else is stray or spoofed)
    if (!p || p.target.port !== rinfo.port || p.target.host !== rinfo.address) return;
    if (m.community !== this.options.community || m.pduType !== PDU_RESPONSE || m.version !== this.options.version) return;
    this.forget(m.requestId, p);
    if (this.pending.size === 0) this.stopSweeper();
    if (m.errorStatus !== 0) {
      const name = ERROR_NAMES[m.errorStatus] ?? `error ${m.errorStatus}`;
      const oid = m.errorIndex > 0 && m.errorIndex <= p.oids.length ? p.oids[m.errorIndex - 1] : undefined;
      const code = m.errorStatus === 1 ? 'tooBig' : m.errorStatus === 2 ? 'noSuchName' : 'protocol';
      p.reject(new FastGetError(oid ? `${name}: ${oid}` : name, code));
      return;
    }
    if (m.varbinds.length !== p.oids.length) {
      p.reject(new FastGetError(`${targetKey(p.target)}: response does not match the request`, 'protocol'));
      return;
    }
    p.resolve(m.varbinds);
  }

  close(): void {
    this.closed = true;
    this.dropSocket(new FastGetError('link closed', 'closed'));
    this.templates.clear();
    this.byArray = new WeakMap();
  }
}
