/**
 * SNMP transport on net-snmp for one snmp-endpoint link: one reused session per target, GETs batched into as
 * few PDUs as the agent accepts, walks with GETBULK (v2c/v3) or GETNEXT (v1), a bounded number of requests in
 * flight across all targets, and every net-snmp callback guarded so that nothing from the wire can throw into
 * the event loop (node-red-nodes #852: a malformed response crashed Node-RED).
 */
import * as snmp from 'net-snmp';
import type { SnmpLink, SnmpTarget, SnmpTrap, SnmpValue, SnmpVarbind } from './types';
import { targetKey } from './targets';
import { DropKind, SnmpTrapReceiver, TrapReceiverOptions } from './receiver';
import { FastGet, FastGetError } from './fast-get';
import { LimitedReport, OVERFLOW_SOURCE, ReportLimiter } from '../report-limiter';
import { escapeWireText } from '../wire/wire-text';

export type SnmpVersion = 'v1' | 'v2c' | 'v3';
export type SnmpSecurityLevel = 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
export type SnmpAuthProtocol = 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
/** `aes` is AES-128 (CFB, RFC 3826); `aes256b` / `aes256r` are AES-256 with Blumenthal / Reeder key extension. */
export type SnmpPrivProtocol = 'des' | 'aes' | 'aes256b' | 'aes256r';

export const AUTH_PROTOCOLS: SnmpAuthProtocol[] = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'];
export const PRIV_PROTOCOLS: SnmpPrivProtocol[] = ['des', 'aes', 'aes256b', 'aes256r'];

/** Secrets: Node-RED credentials of the link, never flow properties. */
export interface SnmpCredentials {
  community?: string;
  authKey?: string;
  privKey?: string;
}

export interface SnmpSessionOptions {
  version: SnmpVersion;
  /** v3 user name (not a secret; the keys are) */
  user?: string;
  securityLevel?: SnmpSecurityLevel;
  authProtocol?: SnmpAuthProtocol;
  privProtocol?: SnmpPrivProtocol;
  /** v3 context name, empty by default */
  context?: string;
  /** per attempt, ms */
  timeout?: number;
  retries?: number;
  /** varbinds per GET PDU before the agent taught us less (tooBig) */
  maxVarbinds?: number;
  /** GETBULK max-repetitions for walks */
  maxRepetitions?: number;
  /** requests in flight across all targets of the link */
  concurrency?: number;
  /**
   * A request older than this stops counting against `concurrency`, so that dead units waiting for their
   * timeout never hold back live ones (Telegraf #3823). Default: 500 ms.
   */
  slowAfter?: number;
  /** operations queued per target before new ones are refused */
  maxQueuePerTarget?: number;
  /** rows after which a walk stops (a looping agent must not walk forever) */
  maxWalkRows?: number;
  /**
   * v1/v2c GETs to IPv4 units through the link's own codec and one shared socket (lib/snmp/fast-get.ts)
   * instead of a net-snmp session per unit; on by default, off to compare or to rule it out.
   */
  fastPath?: boolean;
}

export const SESSION_DEFAULTS = {
  timeout: 2000,
  retries: 1,
  maxVarbinds: 24,
  maxRepetitions: 20,
  concurrency: 64,
  slowAfter: 500,
  maxQueuePerTarget: 16,
  maxWalkRows: 20000,
  fastPath: true,
};

export class SnmpError extends Error {
  constructor(
    message: string,
    /** timeout, tooBig, noSuchName, auth, protocol, socket, queueFull, closed */
    readonly code: string,
    readonly target?: SnmpTarget,
  ) {
    super(message);
    this.name = 'SnmpError';
  }
}

/**
 * Runs tasks with at most `max` counted as active; a task older than `slowAfter` ms stops counting, so tasks
 * stuck on a dead peer free their slot. One sweep timer for all tasks (not a timer per task: at 1,000 units
 * per cycle the timers would cost more than the bound saves).
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** counted tasks and when they started */
  private readonly running = new Map<number, number>();
  private nextId = 0;
  private sweeper: NodeJS.Timeout | undefined;
  constructor(
    private readonly max: number,
    private readonly slowAfter: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  private release(id: number): void {
    if (!this.running.delete(id)) return;
    this.active--;
    while (this.active < this.max && this.waiting.length > 0) {
      const next = this.waiting.shift();
      if (next) next();
    }
    if (this.running.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.slowAfter;
    for (const [id, started] of this.running) {
      // Map iteration is in insertion order, i.e. oldest first
      if (started > cutoff) break;
      this.release(id);
    }
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        const id = this.nextId++;
        this.active++;
        this.running.set(id, Date.now());
        if (!this.sweeper) {
          this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.floor(this.slowAfter / 4)));
          this.sweeper.unref();
        }
        let p: Promise<T>;
        try {
          p = task();
        } catch (err) {
          p = Promise.reject(err);
        }
        p.then(
          (v) => {
            this.release(id);
            resolve(v);
          },
          (err: unknown) => {
            this.release(id);
            reject(err);
          },
        );
      };
      if (this.active < this.max) start();
      else this.waiting.push(start);
    });
  }

  /** drops queued tasks and the sweep timer (on close) */
  clear(): void {
    this.waiting.length = 0;
    this.running.clear();
    this.active = 0;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/** The parts of a net-snmp Session this module touches; @types/net-snmp leaves out the socket. */
interface RawSession {
  get(oids: string[], cb: (err: Error | null, varbinds?: RawVarbind[]) => void): void;
  getNext(oids: string[], cb: (err: Error | null, varbinds?: RawVarbind[]) => void): void;
  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: (err: Error | null, varbinds?: unknown[]) => void): void;
  close(): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  cancelRequests?(err: Error): void;
  onMsg?(buffer: Buffer): void;
  dgram?: { removeAllListeners(event: string): void; on(event: string, listener: (...args: unknown[]) => void): void };
}

interface RawVarbind {
  oid: string;
  type: number;
  value: unknown;
}

const NO_SUCH_OBJECT = 128;
const NO_SUCH_INSTANCE = 129;
const END_OF_MIB_VIEW = 130;

function toValue(type: number, value: unknown): SnmpValue {
  if (value === null || value === undefined) return null;
  if (type === snmp.ObjectType.Counter64 && Buffer.isBuffer(value)) {
    let n = 0n;
    for (const byte of value) n = (n << 8n) | BigInt(byte);
    return n;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return value;
  return String(value);
}

/** Turns a net-snmp varbind into the link's shape; NoSuchObject and friends become a per-value error. */
export function fromRaw(raw: RawVarbind): SnmpVarbind {
  // net-snmp hands over fresh objects: reuse them rather than allocate a copy per value
  const vb = raw as unknown as SnmpVarbind;
  vb.value = toValue(raw.type, raw.value);
  if (vb.type === NO_SUCH_OBJECT) vb.error = 'noSuchObject';
  else if (vb.type === NO_SUCH_INSTANCE) vb.error = 'noSuchInstance';
  else if (vb.type === END_OF_MIB_VIEW) vb.error = 'endOfMibView';
  if (vb.error) vb.value = null;
  return vb;
}

function isRawVarbind(v: unknown): v is RawVarbind {
  return typeof v === 'object' && v !== null && typeof (v as RawVarbind).oid === 'string' && typeof (v as RawVarbind).type === 'number';
}

/** Text of an OctetString (printable) or its hex, for display and profiles. */
export function varbindText(vb: SnmpVarbind): string {
  const v = vb.value;
  if (Buffer.isBuffer(v)) {
    const printable = v.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09);
    return printable ? v.toString('latin1') : v.toString('hex');
  }
  if (v === null) return '';
  return String(v);
}

export function typeName(type: number): string {
  const name = (snmp.ObjectType as unknown as Record<number, string>)[type];
  return typeof name === 'string' ? name : String(type);
}

/** numeric OID comparison, for walks that must move forward */
export function compareOids(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  return pa.length - pb.length;
}

export function oidInSubtree(oid: string, base: string): boolean {
  const b = base.replace(/^\./, '').replace(/\.$/, '');
  const o = oid.replace(/^\./, '');
  return o === b || o.startsWith(b + '.');
}

function classify(err: unknown, target: SnmpTarget, version: SnmpVersion): SnmpError {
  if (err instanceof SnmpError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'RequestTimedOutError') {
    // wrong v3 keys or privacy protocol produce silence, not an error (net-snmp #119, #202)
    const hint = version === 'v3' ? ' (check the v3 user, keys and protocols)' : ' (check address and community)';
    return new SnmpError(`timeout from ${targetKey(target)}${hint}`, 'timeout', target);
  }
  if (e.name === 'RequestFailedError') {
    const status = (e as unknown as { status?: number }).status;
    if (status === snmp.ErrorStatus.TooBig) return new SnmpError(e.message, 'tooBig', target);
    if (status === snmp.ErrorStatus.NoSuchName) return new SnmpError(e.message, 'noSuchName', target);
    return new SnmpError(`${targetKey(target)}: ${e.message}`, 'protocol', target);
  }
  // net-snmp's text of a failed v3 check quotes the digest computed with our key: never pass it on
  if (/^Authentication digest/.test(e.message)) return new SnmpError(`${targetKey(target)}: authentication failed (check the v3 user, keys and protocols)`, 'auth', target);
  if (/^Failed to decrypt/.test(e.message)) return new SnmpError(`${targetKey(target)}: decryption failed (check the v3 privacy protocol and key)`, 'auth', target);
  const text = escapeWireText(e.message);
  if (e.name === 'ResponseInvalidError') return new SnmpError(`${targetKey(target)}: ${text}`, 'protocol', target);
  if (/authentication|decrypt|usm|unknown user|engine/i.test(e.message)) return new SnmpError(`${targetKey(target)}: ${text}`, 'auth', target);
  return new SnmpError(`${targetKey(target)}: ${text}`, 'socket', target);
}

interface TargetState {
  target: SnmpTarget;
  session: RawSession | undefined;
  /** learned from tooBig answers */
  maxVarbinds: number;
  /** per-target chain: one operation on the wire per unit at a time */
  chain: Promise<unknown>;
  queued: number;
}

/** A rate-limited report of datagrams the link dropped (see lib/report-limiter.ts). */
export interface DropReport extends LimitedReport {
  kind: DropKind;
}

export interface SnmpClientEvents {
  /** a library or socket error not tied to one request (reported, never thrown) */
  onError?: (err: Error) => void;
  /**
   * Datagrams dropped by the trap receiver or the sessions: the first per source and kind at once, then a
   * count per minute. Without this listener the reports go to onError as English text.
   */
  onDropped?: (report: DropReport) => void;
}

/** English text of a drop report (the endpoint node has translated ones). */
export function dropReportText(r: DropReport): string {
  const from = r.source === OVERFLOW_SOURCE ? 'other sources' : r.source;
  if (r.first) return `dropped ${r.kind} datagram from ${from}${r.detail ? `: ${r.detail}` : ''}`;
  return `${r.count} more ${r.kind} datagrams from ${from} dropped since the last report`;
}

/**
 * The link's transport: implements the SnmpLink contract for a fixed list of targets.
 */
export class SnmpClient implements SnmpLink {
  private readonly opts: Required<Omit<SnmpSessionOptions, 'user' | 'securityLevel' | 'authProtocol' | 'privProtocol' | 'context'>> &
    SnmpSessionOptions;
  private readonly states = new Map<string, TargetState>();
  /** the link's own units: their sessions stay open between polls; any other target's closes after use */
  private readonly listed: Set<string>;
  private readonly limiter: Limiter;
  private readonly drops: ReportLimiter;
  private readonly trapListeners = new Set<(trap: SnmpTrap) => void>();
  private receiver: SnmpTrapReceiver | undefined;
  private fast: FastGet | undefined;
  private closed = false;

  constructor(
    private readonly targetList: SnmpTarget[],
    options: SnmpSessionOptions,
    private readonly credentials: SnmpCredentials = {},
    private readonly events: SnmpClientEvents = {},
  ) {
    this.opts = { ...SESSION_DEFAULTS, ...stripUndefined(options) } as SnmpClient['opts'];
    this.limiter = new Limiter(Math.max(1, this.opts.concurrency), this.opts.slowAfter);
    this.listed = new Set(targetList.map(targetKey));
    this.drops = new ReportLimiter((r) => this.reportDrop(r as DropReport));
  }

  /** sessions open now (a bounded number: one per listed unit in use, plus targets with work queued) */
  get sessionCount(): number {
    let n = 0;
    for (const s of this.states.values()) if (s.session) n++;
    return n;
  }

  private reportDrop(r: DropReport): void {
    const onDropped = this.events.onDropped;
    if (onDropped) onDropped(r);
    else this.reportError(new Error(dropReportText(r)));
  }

  /** counts a dropped datagram against the rate limit; never throws */
  private dropped(source: string, kind: DropKind, detail?: string): void {
    this.drops.hit(source, kind, detail);
  }

  targets(): SnmpTarget[] {
    return this.targetList.slice();
  }

  get options(): Readonly<SnmpSessionOptions> {
    return this.opts;
  }

  /** the state of one target, created on first use (targets outside the list are allowed, e.g. discover) */
  private state(target: SnmpTarget): TargetState {
    const key = targetKey(target);
    let s = this.states.get(key);
    if (!s) {
      s = { target: { host: target.host, port: target.port }, session: undefined, maxVarbinds: Math.max(1, this.opts.maxVarbinds), chain: Promise.resolve(), queued: 0 };
      this.states.set(key, s);
    }
    return s;
  }

  private reportError(err: Error): void {
    try {
      this.events.onError?.(err);
    } catch {
      /* a broken listener must not break the transport */
    }
  }

  private openSession(s: TargetState): RawSession {
    if (s.session) return s.session;
    const o = this.opts;
    const common = { port: s.target.port, timeout: o.timeout, retries: o.retries, transport: 'udp4', backwardsGetNexts: false };
    let session: RawSession;
    if (o.version === 'v3') {
      const level = o.securityLevel ?? 'authPriv';
      const user: Record<string, unknown> = { name: o.user ?? '', level: snmp.SecurityLevel[level] };
      if (level !== 'noAuthNoPriv') {
        user.authProtocol = snmp.AuthProtocols[o.authProtocol ?? 'sha256'];
        user.authKey = this.credentials.authKey ?? '';
      }
      if (level === 'authPriv') {
        user.privProtocol = snmp.PrivProtocols[o.privProtocol ?? 'aes'];
        user.privKey = this.credentials.privKey ?? '';
      }
      session = snmp.createV3Session(s.target.host, user as unknown as snmp.User, {
        ...common,
        version: snmp.Version3,
        context: o.context ?? '',
      } as unknown as snmp.SessionOptionsV3) as unknown as RawSession;
    } else {
      session = snmp.createSession(s.target.host, this.credentials.community ?? 'public', {
        ...common,
        version: o.version === 'v1' ? snmp.Version1 : snmp.Version2c,
      } as snmp.SessionOptions) as unknown as RawSession;
    }
    // The datagram being handled, so that the 'error' net-snmp emits for it (it gives no source) is counted
    // against its sender: anyone can send to a session's port, so these reports are rate-limited.
    let current: { address?: unknown } | undefined;
    const source = (): string => (typeof current?.address === 'string' ? escapeWireText(current.address, 64) : targetKey(s.target));
    // net-snmp emits 'error' for an unparsable datagram: without a listener that is an uncaught exception.
    session.on('error', (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (current) this.dropped(source(), 'malformed', escapeWireText(message));
      else this.reportError(new Error(`${targetKey(s.target)}: ${escapeWireText(message)}`));
    });
    // And anything that throws while it handles a datagram must stay here, not reach the event loop.
    if (session.dgram && typeof session.onMsg === 'function') {
      const onMsg = session.onMsg.bind(session);
      session.dgram.removeAllListeners('message');
      session.dgram.on('message', (buffer: unknown, rinfo: unknown) => {
        current = typeof rinfo === 'object' && rinfo !== null ? (rinfo as { address?: unknown }) : {};
        try {
          onMsg(buffer as Buffer);
        } catch (err) {
          this.dropped(source(), 'malformed', escapeWireText(err instanceof Error ? err.message : String(err)));
        } finally {
          current = undefined;
        }
      });
    }
    s.session = session;
    return session;
  }

  private dropSession(s: TargetState): void {
    const session = s.session;
    s.session = undefined;
    if (!session) return;
    try {
      session.close();
    } catch {
      /* already closed */
    }
  }

  /** Queues an operation on the target's chain: one operation per unit on the wire at a time. */
  private enqueue<T>(target: SnmpTarget, op: (s: TargetState) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SnmpError('link closed', 'closed', target));
    const s = this.state(target);
    if (s.queued >= this.opts.maxQueuePerTarget) {
      return Promise.reject(new SnmpError(`${targetKey(target)}: request queue full`, 'queueFull', target));
    }
    s.queued++;
    const run = (): Promise<T> => {
      if (this.closed) return Promise.reject(new SnmpError('link closed', 'closed', target));
      return this.limiter.run(() => op(s));
    };
    // the common case (nothing queued for this unit) skips the chain
    const p = s.queued === 1 ? run() : s.chain.then(run, run);
    const finished = (): void => {
      s.queued--;
      // a target outside the unit list (a walk from the discover dialog) keeps no socket once idle
      if (s.queued === 0 && !this.listed.has(targetKey(s.target)) && this.states.get(targetKey(s.target)) === s) {
        this.dropSession(s);
        this.states.delete(targetKey(s.target));
      }
    };
    const settled = p.then(finished, finished);
    s.chain = settled;
    return p;
  }

  /** One net-snmp call as a promise; the callback is guarded and settles the promise once. */
  private call<T>(s: TargetState, invoke: (session: RawSession, cb: (err: Error | null, result?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const cb = (err: Error | null, result?: T): void => {
        if (settled) return;
        settled = true;
        if (err) {
          const e = classify(err, s.target, this.opts.version);
          // a socket or protocol failure may leave the session unusable (v3 engine changed after an agent
          // restart, port closed): start afresh next time. A timeout keeps it (a dead unit costs no socket churn).
          if (e.code === 'socket' || e.code === 'protocol' || e.code === 'auth') this.dropSession(s);
          reject(e);
        } else resolve(result as T);
      };
      try {
        invoke(this.openSession(s), (err, result) => {
          try {
            cb(err, result);
          } catch (inner) {
            this.reportError(inner instanceof Error ? inner : new Error(String(inner)));
          }
        });
      } catch (err) {
        this.dropSession(s);
        cb(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private fastFor(target: SnmpTarget): FastGet | undefined {
    if (this.opts.version === 'v3' || !this.opts.fastPath || !FastGet.supports(target)) return undefined;
    if (!this.fast) {
      this.fast = new FastGet(
        { version: this.opts.version === 'v1' ? 0 : 1, community: this.credentials.community ?? 'public', timeout: this.opts.timeout, retries: this.opts.retries },
        (err) => this.reportError(err),
        (source, detail) => this.dropped(source, 'malformed', detail),
      );
    }
    return this.fast;
  }

  /** One GET PDU. Plain promise chains, not async functions: this runs once per unit per poll. */
  private getChunk(s: TargetState, oids: string[]): Promise<SnmpVarbind[]> {
    const fast = this.fastFor(s.target);
    if (fast) {
      return fast.get(s.target, oids).then(
        (raw) => {
          // the decoder made these objects for this answer and checked their count: convert in place
          for (const r of raw) fromRaw(r);
          return raw as SnmpVarbind[];
        },
        (err: unknown) => this.chunkFailed(s, oids, err instanceof FastGetError ? new SnmpError(err.message, err.code, s.target) : err),
      );
    }
    return this.call<RawVarbind[]>(s, (session, cb) => session.get(oids, cb)).then(
      (raw) => {
        if (!Array.isArray(raw) || raw.length !== oids.length || !raw.every(isRawVarbind)) {
          throw new SnmpError(`${targetKey(s.target)}: response does not match the request`, 'protocol', s.target);
        }
        return raw.map(fromRaw);
      },
      (err: unknown) => this.chunkFailed(s, oids, err),
    );
  }

  private async chunkFailed(s: TargetState, oids: string[], err: unknown): Promise<SnmpVarbind[]> {
    if (!(err instanceof SnmpError)) throw err;
    if (err.code === 'tooBig' && oids.length > 1) {
      // the agent's answer would not fit: remember a smaller batch for this unit and split
      const half = Math.ceil(oids.length / 2);
      s.maxVarbinds = Math.max(1, Math.min(s.maxVarbinds, half));
      return this.getBatched(s, oids);
    }
    if (err.code === 'noSuchName') {
      // SNMPv1 fails the whole PDU for one unknown OID and names it: mark it, ask again for the others
      const missing = oids.find((o) => err.message.endsWith(': ' + o)) ?? (oids.length === 1 ? oids[0] : undefined);
      if (missing === undefined) throw err;
      const rest = oids.filter((o) => o !== missing);
      const got = rest.length > 0 ? await this.getChunk(s, rest) : [];
      const byOid = new Map(got.map((vb) => [vb.oid, vb]));
      return oids.map((o) => (o === missing ? { oid: o, type: NO_SUCH_OBJECT, value: null, error: 'noSuchObject' as const } : byOid.get(o) ?? { oid: o, type: NO_SUCH_OBJECT, value: null, error: 'noSuchObject' as const }));
    }
    throw err;
  }

  private getBatched(s: TargetState, oids: string[]): Promise<SnmpVarbind[]> {
    if (oids.length <= s.maxVarbinds) return this.getChunk(s, oids);
    return this.getInChunks(s, oids);
  }

  private async getInChunks(s: TargetState, oids: string[]): Promise<SnmpVarbind[]> {
    const out: SnmpVarbind[] = [];
    let i = 0;
    while (i < oids.length) {
      const chunk = oids.slice(i, i + s.maxVarbinds);
      out.push(...(await this.getChunk(s, chunk)));
      i += chunk.length;
    }
    return out;
  }

  /** GET of many OIDs in as few PDUs as the agent accepts; per-OID errors are in the varbinds. */
  get(target: SnmpTarget, oids: string[]): Promise<SnmpVarbind[]> {
    const clean = oids.some((o) => o.startsWith('.')) ? oids.map((o) => o.replace(/^\./, '')) : oids;
    if (clean.length === 0) return Promise.resolve([]);
    return this.enqueue(target, (s) => this.getBatched(s, clean));
  }

  /** Walk of a subtree: GETBULK on v2c/v3, GETNEXT on v1; stops at the end of the subtree or of the MIB. */
  walk(target: SnmpTarget, baseOid: string, maxRows = this.opts.maxWalkRows): Promise<SnmpVarbind[]> {
    const base = baseOid.replace(/^\./, '').replace(/\.$/, '');
    return this.enqueue(target, async (s) => {
      const rows: SnmpVarbind[] = [];
      let oid = base;
      for (;;) {
        let batch: RawVarbind[];
        if (this.opts.version === 'v1') {
          try {
            batch = await this.call<RawVarbind[]>(s, (session, cb) => session.getNext([oid], cb));
          } catch (err) {
            if (err instanceof SnmpError && err.code === 'noSuchName') break; // v1's end of MIB
            throw err;
          }
        } else {
          const res = await this.call<unknown[]>(s, (session, cb) => session.getBulk([oid], 0, Math.max(1, this.opts.maxRepetitions), cb));
          const first = Array.isArray(res) ? res[0] : undefined;
          batch = Array.isArray(first) ? (first as unknown[]).filter(isRawVarbind) : [];
        }
        if (!Array.isArray(batch) || batch.length === 0) break;
        let done = false;
        for (const raw of batch) {
          if (!isRawVarbind(raw)) {
            done = true;
            break;
          }
          const vb = fromRaw(raw);
          if (vb.error === 'endOfMibView' || !oidInSubtree(vb.oid, base) || compareOids(vb.oid, oid) <= 0) {
            // out of the subtree, end of MIB, or an agent that does not move forward
            done = true;
            break;
          }
          rows.push(vb);
          oid = vb.oid;
          if (rows.length >= maxRows) {
            done = true;
            break;
          }
        }
        if (done) break;
      }
      return rows;
    });
  }

  onTrap(listener: (trap: SnmpTrap) => void): () => void {
    this.trapListeners.add(listener);
    return () => {
      this.trapListeners.delete(listener);
    };
  }

  /** Starts the link's trap receiver; traps are matched to this link's targets and given to every listener. */
  startTrapReceiver(options: TrapReceiverOptions): SnmpTrapReceiver {
    if (this.receiver) return this.receiver;
    this.receiver = new SnmpTrapReceiver(
      options,
      this.targetList,
      (trap) => {
        for (const l of this.trapListeners) {
          try {
            l(trap);
          } catch (err) {
            this.reportError(err instanceof Error ? err : new Error(String(err)));
          }
        }
      },
      (err) => this.reportError(err),
      (source, kind, detail) => this.dropped(source, kind, detail),
    );
    return this.receiver;
  }

  /** requests currently counted against the concurrency bound */
  get inFlight(): number {
    return this.limiter.inFlight;
  }

  /** Closes every session and the trap receiver; pending requests fail with 'closed'. */
  async close(): Promise<void> {
    this.closed = true;
    this.limiter.clear();
    this.drops.close();
    for (const s of this.states.values()) {
      try {
        s.session?.cancelRequests?.(new SnmpError('link closed', 'closed', s.target));
      } catch {
        /* ignore */
      }
      this.dropSession(s);
    }
    this.states.clear();
    this.fast?.close();
    this.fast = undefined;
    this.trapListeners.clear();
    const r = this.receiver;
    this.receiver = undefined;
    if (r) await r.close();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
