/**
 * SNMP transport on net-snmp for one snmp-endpoint link: one reused session per target, GETs batched into as
 * few PDUs as the agent accepts, walks with GETBULK (v2c/v3) or GETNEXT (v1), a bounded number of requests in
 * flight across all targets, and every net-snmp callback guarded so that nothing from the wire can throw into
 * the event loop (node-red-nodes #852: a malformed response crashed Node-RED).
 */
import * as snmp from 'net-snmp';
import type { SnmpDone, SnmpLink, SnmpTarget, SnmpTrap, SnmpVarbind } from './types';
import { targetKey } from './targets';
import { DropKind, SnmpTrapReceiver, TrapReceiverOptions } from './receiver';
import { compareOids, isRawVarbind, missingVarbind, oidInSubtree, RawVarbind, requestOid, toSnmpVarbind } from './varbinds';
import { LimitedReport, OVERFLOW_SOURCE, ReportLimiter } from '../report-limiter';
import { escapeWireText } from '../wire/wire-text';
import { connectToUnit, SessionSocket } from './unit-socket';

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
 * Work the Limiter counts: the Limiter stamps when it began and whether it still counts, and calls begin() once
 * a slot is free; the work hands its slot back with `limiter.release(work)` (later calls are ignored).
 */
export interface LimitedWork {
  startedAt: number;
  counted: boolean;
  /** neighbours in the Limiter's list of counted work, oldest first (the Limiter's, not the work's) */
  olderWork: LimitedWork | undefined;
  newerWork: LimitedWork | undefined;
  begin(): void;
}

/**
 * Runs work with at most `max` counted as active; work older than `slowAfter` ms stops counting, so work stuck
 * on a dead peer frees its slot. One sweep timer for all work (not a timer each: at 1,000 units per cycle the
 * timers would cost more than the bound saves), and the work is an object the caller already has rather than
 * closures and promises: this runs once per unit-poll, and each closure or promise layer showed as a few per
 * cent of a poll's CPU (scale benchmark).
 *
 * Slots freed while the event loop handles a batch of answers are refilled together once the batch is done
 * (setImmediate), not one by one inside each answer: the requests then leave in bursts, and their answers come
 * back in bursts that one wake-up handles. Measured on the scale benchmark, refilling one by one cost about 7 %
 * more CPU per unit-poll than refilling per turn. Waiting to refill until half the slots are free (bigger bursts)
 * was tried and lost: the dead units' slots, held until `slowAfter`, then stall the live ones (live cycle 190 ->
 * 690 ms, CPU ratio 1.21 against 1.08-1.10).
 *
 * Counted work is a list linked through the work itself, and work leaves it the moment it is released. An array
 * swept every `slowAfter / 4` kept ended work reachable until the sweep, and with it the promise and the answer
 * it resolved: answers outlived a young-generation collection and were promoted. At 64 in flight the scale
 * benchmark measured 1.16-1.31x the bare net-snmp loop with the array, 1.02-1.04x with the list.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: LimitedWork[] = [];
  /** counted work, oldest first */
  private oldest: LimitedWork | undefined;
  private newest: LimitedWork | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private refill: NodeJS.Immediate | undefined;
  constructor(
    private readonly max: number,
    private readonly slowAfter: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  /** Begins the work now, or once a slot is free. */
  start(work: LimitedWork): void {
    if (this.active < this.max) this.begin(work);
    else this.waiting.push(work);
  }

  private begin(work: LimitedWork): void {
    work.startedAt = Date.now();
    work.counted = true;
    this.active++;
    work.olderWork = this.newest;
    work.newerWork = undefined;
    if (this.newest) this.newest.newerWork = work;
    else this.oldest = work;
    this.newest = work;
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.floor(this.slowAfter / 4)));
      this.sweeper.unref();
    }
    try {
      work.begin();
    } catch {
      this.release(work); // the work's owner reports its own failures; the slot must not leak
    }
  }

  /** The work no longer counts (it ended, or is slow); later calls for it are ignored. */
  release(work: LimitedWork): void {
    if (!work.counted) return;
    work.counted = false;
    this.active--;
    const { olderWork, newerWork } = work;
    if (olderWork) olderWork.newerWork = newerWork;
    else this.oldest = newerWork;
    if (newerWork) newerWork.olderWork = olderWork;
    else this.newest = olderWork;
    work.olderWork = undefined;
    work.newerWork = undefined;
    if (this.waiting.length > 0) {
      if (!this.refill) this.refill = setImmediate(() => this.startWaiting());
    } else if (this.active === 0) this.stopSweeping();
  }

  private startWaiting(): void {
    this.refill = undefined;
    while (this.active < this.max && this.waiting.length > 0) this.begin(this.waiting.shift() as LimitedWork);
    if (this.active === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.slowAfter;
    // oldest first: the first young work ends the sweep
    while (this.oldest && this.oldest.startedAt <= cutoff) this.release(this.oldest);
  }

  /** Stops counting; work still waiting begins at once, uncounted (a closed owner's work then fails fast). */
  clear(): void {
    const waiting = this.waiting.splice(0);
    while (this.oldest) this.release(this.oldest);
    this.stopSweeping();
    if (this.refill) clearImmediate(this.refill);
    this.refill = undefined;
    for (const work of waiting) {
      try {
        work.begin();
      } catch {
        /* reported by the work's owner */
      }
    }
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
  dgram?: SessionSocket;
}

/** net-snmp's ResponseInvalidCode by name (the published types lack the newer codes, e.g. ENotInTimeWindow) */
const INVALID = snmp.ResponseInvalidCode as unknown as Record<string, number>;
/** exported by net-snmp, declared only as an interface by @types/net-snmp */
const RequestTimedOutError = (snmp as unknown as { RequestTimedOutError: new (message: string) => Error }).RequestTimedOutError;

/**
 * A net-snmp failure as the link's typed error, by what net-snmp says in structure (error class, PDU error
 * status, ResponseInvalidCode), never by its wording. Only texts chosen here or escaped reach the user.
 */
function classify(err: unknown, target: SnmpTarget, version: SnmpVersion): SnmpError {
  if (err instanceof SnmpError) return err;
  const where = targetKey(target);
  if (err instanceof RequestTimedOutError) {
    // wrong v3 keys or privacy protocol produce silence, not an error (net-snmp #119, #202)
    const hint = version === 'v3' ? ' (check the v3 user, keys and protocols)' : ' (check address and community)';
    return new SnmpError(`timeout from ${where}${hint}`, 'timeout', target);
  }
  if (err instanceof snmp.RequestFailedError) {
    const status = Number(err.status);
    const name = (snmp.ErrorStatus as unknown as Record<number, string>)[status] ?? `error status ${status}`;
    const code = status === snmp.ErrorStatus.TooBig ? 'tooBig' : status === snmp.ErrorStatus.NoSuchName ? 'noSuchName' : 'protocol';
    return new SnmpError(`${where}: ${name}`, code, target);
  }
  if (err instanceof snmp.ResponseInvalidError) {
    switch (Number(err.code)) {
      case INVALID.EAuthFailure:
        // a failed digest check carries the user, and its text the digest computed with our key: never pass it
        // on; the other authentication failures are the agent's USM report counters, named by net-snmp
        return err.info !== undefined
          ? new SnmpError(`${where}: authentication failed (check the v3 user, keys and protocols)`, 'auth', target)
          : new SnmpError(`${where}: ${escapeWireText(err.message)}`, 'auth', target);
      case INVALID.ECouldNotDecrypt:
        return new SnmpError(`${where}: decryption failed (check the v3 privacy protocol and key)`, 'auth', target);
      default:
        return new SnmpError(`${where}: ${escapeWireText(err.message)}`, 'protocol', target);
    }
  }
  // the socket (send failed, closed) or an encoding failure before the send: start with a new session
  const message = err instanceof Error ? err.message : String(err);
  return new SnmpError(`${where}: ${escapeWireText(message)}`, 'socket', target);
}

/** The end of an operation: an error, or its result. */
type Done<T> = SnmpDone<T>;

/** A net-snmp request on a session; module functions, not a closure per call (a GET runs once per unit-poll). */
type NetSnmpCall<T> = (session: RawSession, oids: string[], cb: Done<T>) => void;
const netSnmpGet: NetSnmpCall<RawVarbind[]> = (session, oids, cb) => session.get(oids, cb);
const netSnmpGetNext: NetSnmpCall<RawVarbind[]> = (session, oids, cb) => session.getNext(oids, cb);

/** a request of the link's own API as a promise (get, walk: the occasional callers) */
function promised<T>(request: (done: Done<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => request((err, result) => (err ? reject(err) : resolve(result as T))));
}

/**
 * One operation on one unit (the GET of a poll, a walk): the work the link's limiter counts, queued behind the
 * unit's operation in flight. An object rather than a chain of closures, because a GET runs once per unit-poll.
 */
abstract class UnitOperation implements LimitedWork {
  startedAt = 0;
  counted = false;
  olderWork: LimitedWork | undefined = undefined;
  newerWork: LimitedWork | undefined = undefined;
  /** the unit's state, set when the operation is queued */
  s!: TargetState;
  private ended = false;
  constructor(protected readonly link: SnmpClient) {}
  begin(): void {
    this.link.runOperation(this);
  }
  /** Starts the operation on its unit; it calls end() when it is done. */
  abstract run(s: TargetState): void;
  /** Fails it without running it (link closed, queue full), after run() threw, or when it failed. */
  abstract refuse(err: Error): void;
  /** Ends it, once: its slot is freed and the unit's next operation starts. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.link.operationEnded(this);
  }
}

/**
 * An operation whose caller hears of its end through `done`, the answer passed on and never stored here: the
 * operation lives for a round trip, so V8 may have promoted it, and an old object pointing at a young answer
 * keeps that answer alive through the next scavenges (why the link's hot path has no promise).
 */
abstract class AnsweredOperation extends UnitOperation {
  private settled = false;
  constructor(
    link: SnmpClient,
    private readonly done: Done<SnmpVarbind[]>,
  ) {
    super(link);
  }
  refuse(err: Error): void {
    this.settle(err);
  }
  /** Ends the operation and tells its caller. */
  protected answer(err: Error | null, varbinds?: SnmpVarbind[]): void {
    this.end();
    this.settle(err, varbinds);
  }
  /** `answer` as a callback, for the paths of several requests (made when one starts, not on every poll) */
  protected get answered(): Done<SnmpVarbind[]> {
    return (err, varbinds) => this.answer(err, varbinds);
  }
  /** The caller hears once; what its callback throws is reported, and never ends another operation. */
  private settle(err: Error | null, varbinds?: SnmpVarbind[]): void {
    if (this.settled) return;
    this.settled = true;
    try {
      this.done(err, varbinds);
    } catch (thrown) {
      this.link.reportError(thrown instanceof Error ? thrown : new Error(String(thrown)));
    }
  }
}

/**
 * The GET of a unit-poll: its OIDs in as few PDUs as the unit accepts. When they fit one PDU and the unit refused
 * none (nearly every poll), the operation is net-snmp's callback itself (`heard`), and the only closure made for
 * it: the general path's closures for the call guard, the answer's conversion and the operation's end, made at
 * send time and alive for the round trip, cost about 2 % of a unit-poll's CPU (scale benchmark, `--paired`:
 * 1.047 -> 1.025 of the bare loop over four processes each).
 */
class GetOperation extends AnsweredOperation {
  private readonly heard: Done<RawVarbind[]> = (err, raw) => {
    const s = this.s;
    if (!this.link.heardOnce(s, this.heard)) return;
    try {
      if (err) return this.link.chunkFailed(s, this.oids, this.link.failure(s, err), this.answered);
      const answer = convertedAnswer(s.target, this.oids, raw);
      if (answer instanceof Error) this.answer(answer);
      else this.answer(null, answer);
    } catch (thrown) {
      this.link.reportError(thrown instanceof Error ? thrown : new Error(String(thrown)));
    }
  };
  constructor(
    link: SnmpClient,
    private readonly oids: string[],
    done: Done<SnmpVarbind[]>,
  ) {
    super(link, done);
  }
  run(s: TargetState): void {
    if (this.oids.length <= s.maxVarbinds && s.missing === undefined) this.link.send(s, netSnmpGet, this.oids, this.heard);
    else this.link.getBatched(s, this.oids, this.answered);
  }
}

/** The walk of a subtree. */
class WalkOperation extends AnsweredOperation {
  constructor(
    link: SnmpClient,
    private readonly baseOid: string,
    private readonly maxRows: number,
    done: Done<SnmpVarbind[]>,
  ) {
    super(link, done);
  }
  run(s: TargetState): void {
    this.link.walkRows(s, this.baseOid, this.maxRows, this.answered);
  }
}

interface TargetState {
  target: SnmpTarget;
  /** targetKey(target), and whether the target is one of the link's units (its session stays open) */
  key: string;
  listed: boolean;
  session: RawSession | undefined;
  /** learned from tooBig answers */
  maxVarbinds: number;
  /** operations waiting behind the one in flight: one operation on the wire per unit at a time */
  queue: UnitOperation[];
  /** operations queued or in flight */
  queued: number;
  /** the callback of the net-snmp call in flight (one per unit at a time), for the datagram guard */
  pending: Done<unknown> | undefined;
  /** OIDs the unit refused with noSuchName (SNMPv1), left out of its GETs until `missingUntil` */
  missing: Set<string> | undefined;
  missingUntil: number;
}

/** how long a unit's refused OIDs are left out: an agent that gains an object is read again within this */
const MISSING_RECHECK_MS = 10 * 60_000;

/** net-snmp's answer to one GET as the link's varbinds, converted in place (net-snmp made them for this answer). */
function answerOf(target: SnmpTarget, oids: string[], raw: unknown): SnmpVarbind[] {
  // net-snmp checked the count; the shape is checked here too, so nothing odd reaches a device's decoder
  if (!Array.isArray(raw) || raw.length !== oids.length) throw new SnmpError(`${targetKey(target)}: response does not match the request`, 'protocol', target);
  for (let i = 0; i < raw.length; i++) {
    const r: unknown = raw[i];
    if (!isRawVarbind(r) || toSnmpVarbind(r, oids[i]) === undefined) throw new SnmpError(`${targetKey(target)}: response does not match the request`, 'protocol', target);
  }
  return raw as SnmpVarbind[];
}

/** answerOf, with what it throws as the result */
function convertedAnswer(target: SnmpTarget, oids: string[], raw: unknown): SnmpVarbind[] | Error {
  try {
    return answerOf(target, oids, raw);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function sameOids(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The rows of a GETBULK answer (net-snmp nests them under the one repeated OID). */
function bulkRows(res: unknown): unknown[] {
  const first = Array.isArray(res) ? res[0] : undefined;
  return Array.isArray(first) ? first.filter(isRawVarbind) : [];
}

/**
 * Takes a walk's rows from one answer into `rows`: the OID to ask from next, or undefined when the walk is over
 * (an empty answer, out of the subtree, end of MIB, an agent that does not move forward, or `maxRows` reached).
 */
function walkStep(batch: unknown[], base: string, askedFrom: string, rows: SnmpVarbind[], maxRows: number): string | undefined {
  if (!Array.isArray(batch) || batch.length === 0) return undefined;
  let oid = askedFrom;
  for (const raw of batch) {
    if (!isRawVarbind(raw)) return undefined;
    const vb = toSnmpVarbind(raw);
    if (vb === undefined || vb.error === 'endOfMibView' || !oidInSubtree(vb.oid, base) || compareOids(vb.oid, oid) <= 0) return undefined;
    rows.push(vb);
    oid = vb.oid;
    if (rows.length >= maxRows) return undefined;
  }
  return oid;
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
  /** request OIDs as given → as sent, '' for one that must not be sent (see requestOid) */
  private readonly checkedOids = new Map<string, string>();
  /** the GET's OIDs last checked, as given and as sent: every unit-poll of a link asks for the same list */
  private lastGiven: string[] = [];
  private lastSendable: string[] = [];
  /** listed units' states by the target object their polls pass (see state) */
  private readonly unitStates = new WeakMap<SnmpTarget, TargetState>();
  private receiver: SnmpTrapReceiver | undefined;
  private closed = false;
  /** the walks' GETBULK with the link's repetitions */
  private readonly getBulk: NetSnmpCall<unknown[]>;

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
    const repetitions = Math.max(1, this.opts.maxRepetitions);
    this.getBulk = (session, oids, cb) => session.getBulk(oids, 0, repetitions, cb);
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
    // a unit's poll passes the target object the link handed out: found without building its key
    const known = this.unitStates.get(target);
    if (known !== undefined && known.target.host === target.host && known.target.port === target.port) return known;
    const key = targetKey(target);
    let s = this.states.get(key);
    if (!s) {
      s = { target: { host: target.host, port: target.port }, key, listed: this.listed.has(key), session: undefined, maxVarbinds: Math.max(1, this.opts.maxVarbinds), queue: [], queued: 0, pending: undefined, missing: undefined, missingUntil: 0 };
      this.states.set(key, s);
    }
    // only a listed unit's state lives as long as the link (another target's goes when it is idle)
    if (s.listed) this.unitStates.set(target, s);
    return s;
  }

  /** an error not tied to one request (also a caller's callback that threw) to the link's onError; never throws */
  reportError(err: Error): void {
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
        const waiting = s.pending;
        try {
          onMsg(buffer as Buffer);
        } catch (err) {
          const detail = escapeWireText(err instanceof Error ? err.message : String(err));
          this.dropped(source(), 'malformed', detail);
          // net-snmp throws only past the point where it took the request with this id off its list (a Report
          // PDU on a v1/v2c session, a v3 header on a community one): nothing would ever answer that call
          if (waiting !== undefined && s.pending === waiting) waiting(new SnmpError(`${targetKey(s.target)}: malformed answer: ${detail}`, 'protocol', s.target));
        } finally {
          current = undefined;
        }
      });
    }
    if (session.dgram) {
      // socket errors come from the network too (forged ICMP): counted against the unit, rate-limited
      connectToUnit(session.dgram, s.target.host, s.target.port, (err) => this.dropped(targetKey(s.target), 'unexpected', escapeWireText((err as { code?: unknown }).code ?? err.message, 64)));
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

  /**
   * Queues an operation for the unit: one operation per unit on the wire at a time, each holding a slot of the
   * link's limiter while it runs.
   */
  private enqueue(target: SnmpTarget, op: UnitOperation): void {
    if (this.closed) return op.refuse(new SnmpError('link closed', 'closed', target));
    const s = this.state(target);
    if (s.queued >= this.opts.maxQueuePerTarget) return op.refuse(new SnmpError(`${targetKey(target)}: request queue full`, 'queueFull', target));
    op.s = s;
    s.queued++;
    s.queue.push(op);
    if (s.queued === 1) this.runNext(s);
  }

  private runNext(s: TargetState): void {
    const op = s.queue.shift() as UnitOperation;
    if (this.closed) {
      op.refuse(new SnmpError('link closed', 'closed', s.target));
      this.finished(s);
      return;
    }
    this.limiter.start(op);
  }

  /** The limiter gave the operation a slot (UnitOperation). */
  runOperation(op: UnitOperation): void {
    const s = op.s;
    if (this.closed) {
      op.refuse(new SnmpError('link closed', 'closed', s.target));
      op.end();
      return;
    }
    try {
      op.run(s);
    } catch (err) {
      op.refuse(err instanceof SnmpError ? err : new SnmpError(`${targetKey(s.target)}: ${escapeWireText(err instanceof Error ? err.message : String(err))}`, 'protocol', s.target));
      op.end();
    }
  }

  /** The operation ended (UnitOperation): its slot is free. */
  operationEnded(op: UnitOperation): void {
    this.limiter.release(op);
    this.finished(op.s);
  }

  /** An operation of the unit ended: start its next one, or let an idle target outside the list go. */
  private finished(s: TargetState): void {
    s.queued--;
    if (s.queued > 0) {
      this.runNext(s);
      return;
    }
    // a target outside the unit list (a walk from the discover dialog) keeps no socket once idle
    if (!s.listed && this.states.get(s.key) === s) {
      this.dropSession(s);
      this.states.delete(s.key);
    }
  }

  /** One net-snmp call; its callback is guarded and ends the call once, with a classified error. */
  private call<T>(s: TargetState, invoke: NetSnmpCall<T>, oids: string[], done: Done<T>): void {
    const heard: Done<T> = (err, result) => {
      if (!this.heardOnce(s, heard)) return;
      try {
        if (err) done(this.failure(s, err));
        else done(null, result);
      } catch (inner) {
        this.reportError(inner instanceof Error ? inner : new Error(String(inner)));
      }
    };
    this.send(s, invoke, oids, heard);
  }

  /**
   * Sends one net-snmp request for the unit; `heard` is its callback, and the unit's call in flight. (This and
   * the next three serve the link's operations, not its users.)
   */
  send<T>(s: TargetState, invoke: NetSnmpCall<T>, oids: string[], heard: Done<T>): void {
    s.pending = heard as Done<unknown>;
    try {
      invoke(this.openSession(s), oids, heard);
    } catch (thrown) {
      const err = thrown instanceof Error ? thrown : new Error(String(thrown));
      // thrown after it called back: the unit's next operation may already use the session, which stays
      if (s.pending !== heard) return this.reportError(err);
      this.dropSession(s);
      heard(err);
    }
  }

  /**
   * Whether this is the first word of the unit's call in flight, which it then ends: net-snmp may call back
   * again (an answer after a send error, the datagram guard), and a late word must not end a later call.
   */
  heardOnce(s: TargetState, heard: Done<never>): boolean {
    if (s.pending !== heard) return false;
    s.pending = undefined;
    return true;
  }

  /**
   * net-snmp's error as the link's. A socket or protocol failure may leave the session unusable (v3 engine
   * changed after an agent restart, port closed): start afresh next time. A timeout keeps it (a dead unit costs no
   * socket churn).
   */
  failure(s: TargetState, err: Error): SnmpError {
    const e = classify(err, s.target, this.opts.version);
    if (e.code === 'socket' || e.code === 'protocol' || e.code === 'auth') this.dropSession(s);
    return e;
  }

  /** GETs of `oids` in as few PDUs as the unit accepts (GetOperation). Callbacks, not promises: this runs once per unit-poll. */
  getBatched(s: TargetState, oids: string[], done: Done<SnmpVarbind[]>): void {
    if (oids.length <= s.maxVarbinds) this.getChunk(s, oids, done);
    else this.getInChunks(s, oids, 0, [], done);
  }

  private getInChunks(s: TargetState, oids: string[], from: number, out: SnmpVarbind[], done: Done<SnmpVarbind[]>): void {
    if (from >= oids.length) return done(null, out);
    const chunk = oids.slice(from, from + s.maxVarbinds);
    this.getChunk(s, chunk, (err, got) => {
      if (err) return done(err);
      for (const vb of got as SnmpVarbind[]) out.push(vb);
      this.getInChunks(s, oids, from + chunk.length, out, done);
    });
  }

  /** The GET of one batch. */
  private getChunk(s: TargetState, oids: string[], done: Done<SnmpVarbind[]>): void {
    if (s.missing === undefined) this.ask(s, oids, done);
    else this.getKnownMissing(s, oids, done);
  }

  /** One GET PDU. */
  private ask(s: TargetState, oids: string[], done: Done<SnmpVarbind[]>): void {
    this.call<RawVarbind[]>(s, netSnmpGet, oids, (err, raw) => {
      if (err) return this.chunkFailed(s, oids, err, done);
      const answer = convertedAnswer(s.target, oids, raw);
      if (answer instanceof Error) done(answer);
      else done(null, answer);
    });
  }

  /** A GET that leaves out the OIDs this unit refused before, and answers them noSuchObject itself. */
  private getKnownMissing(s: TargetState, oids: string[], done: Done<SnmpVarbind[]>): void {
    const missing = s.missing as Set<string>;
    if (Date.now() >= s.missingUntil) {
      // time to ask for everything again: an agent that gained an object is read again
      s.missing = undefined;
      return this.ask(s, oids, done);
    }
    const skip = oids.map((o) => missing.has(o));
    const asked = oids.filter((_, i) => !skip[i]);
    const merge: Done<SnmpVarbind[]> = (err, got) => {
      if (err) return done(err);
      let next = 0;
      done(null, oids.map((o, i) => (skip[i] ? missingVarbind(o) : (got as SnmpVarbind[])[next++])));
    };
    if (asked.length === 0) merge(null, []);
    else this.ask(s, asked, merge);
  }

  chunkFailed(s: TargetState, oids: string[], err: Error, done: Done<SnmpVarbind[]>): void {
    if (!(err instanceof SnmpError)) return done(err);
    if (err.code === 'tooBig' && oids.length > 1) {
      // the agent's answer would not fit: remember a smaller batch for this unit and split
      const half = Math.ceil(oids.length / 2);
      s.maxVarbinds = Math.max(1, Math.min(s.maxVarbinds, half));
      return this.getBatched(s, oids, done);
    }
    if (err.code === 'noSuchName') {
      // SNMPv1 fails the whole PDU for one unknown OID, and net-snmp gives the status, not the error index: halve
      // the request until each unknown OID stands alone, and leave those out of this unit's GETs for a while
      if (oids.length === 1) {
        if (s.missing === undefined) {
          s.missing = new Set();
          s.missingUntil = Date.now() + MISSING_RECHECK_MS;
        }
        s.missing.add(oids[0]);
        return done(null, [missingVarbind(oids[0])]);
      }
      const half = Math.ceil(oids.length / 2);
      return this.getChunk(s, oids.slice(0, half), (e1, first) => {
        if (e1) return done(e1);
        this.getChunk(s, oids.slice(half), (e2, second) => (e2 ? done(e2) : done(null, (first as SnmpVarbind[]).concat(second as SnmpVarbind[]))));
      });
    }
    done(err);
  }

  /** GET of many OIDs in as few PDUs as the agent accepts; per-OID errors are in the varbinds. */
  getThen(target: SnmpTarget, oids: string[], done: Done<SnmpVarbind[]>): void {
    if (oids.length === 0) return done(null, []);
    const sent = this.sendable(target, oids);
    if (sent instanceof SnmpError) return done(sent);
    this.enqueue(target, new GetOperation(this, sent, done));
  }

  get(target: SnmpTarget, oids: string[]): Promise<SnmpVarbind[]> {
    return promised((done) => this.getThen(target, oids, done));
  }

  /** checkOids for a GET, with the last list remembered */
  private sendable(target: SnmpTarget, oids: string[]): string[] | SnmpError {
    if (sameOids(oids, this.lastGiven)) return this.lastSendable;
    const out = this.checkOids(target, oids);
    if (out instanceof SnmpError) return out;
    // copies: a caller may change its array after the call
    this.lastGiven = oids.slice();
    this.lastSendable = out === oids ? this.lastGiven : out;
    return out;
  }

  /** The OIDs as net-snmp gets them (see requestOid), or the error for the first it must not be given. */
  private checkOids(target: SnmpTarget, oids: string[]): string[] | SnmpError {
    let out = oids;
    for (let i = 0; i < oids.length; i++) {
      const given = oids[i];
      let oid = this.checkedOids.get(given);
      if (oid === undefined) {
        oid = requestOid(given) ?? '';
        // bounded: a link polls a handful of OID lists; ad-hoc ones must not grow it forever
        if (this.checkedOids.size >= 4096) this.checkedOids.clear();
        this.checkedOids.set(given, oid);
      }
      if (oid === '') return new SnmpError(`${targetKey(target)}: not a numeric OID net-snmp can send: '${escapeWireText(given, 80)}'`, 'protocol', target);
      if (oid !== given) {
        if (out === oids) out = oids.slice();
        out[i] = oid;
      }
    }
    return out;
  }

  /** Walk of a subtree: GETBULK on v2c/v3, GETNEXT on v1; stops at the end of the subtree or of the MIB. */
  walkThen(target: SnmpTarget, baseOid: string, done: Done<SnmpVarbind[]>, maxRows = this.opts.maxWalkRows): void {
    const sent = this.checkOids(target, [typeof baseOid === 'string' ? baseOid.replace(/\.$/, '') : baseOid]);
    if (sent instanceof SnmpError) return done(sent);
    this.enqueue(target, new WalkOperation(this, sent[0], maxRows, done));
  }

  walk(target: SnmpTarget, baseOid: string, maxRows = this.opts.maxWalkRows): Promise<SnmpVarbind[]> {
    return promised((done) => this.walkThen(target, baseOid, done, maxRows));
  }

  /** The rows of a walk (WalkOperation): one GETBULK (GETNEXT on v1) after another until the subtree ends. */
  walkRows(s: TargetState, base: string, maxRows: number, done: Done<SnmpVarbind[]>): void {
    // made at the first answer, not at send time (see AnsweredOperation)
    let rows: SnmpVarbind[] | undefined;
    const ask = (oid: string): void => {
      const answered: Done<unknown[]> = (err, batch) => {
        if (err) return done(err);
        rows ??= [];
        let next: string | undefined;
        try {
          next = walkStep(batch as unknown[], base, oid, rows, maxRows);
        } catch (e) {
          return done(e instanceof Error ? e : new Error(String(e)));
        }
        if (next === undefined) done(null, rows);
        else ask(next);
      };
      if (this.opts.version === 'v1')
        // v1 ends the MIB with noSuchName
        this.call<RawVarbind[]>(s, netSnmpGetNext, [oid], (err, batch) => (err instanceof SnmpError && err.code === 'noSuchName' ? answered(null, []) : answered(err, batch)));
      else this.call<unknown[]>(s, this.getBulk, [oid], (err, res) => answered(err, err ? undefined : bulkRows(res)));
    };
    ask(base);
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
