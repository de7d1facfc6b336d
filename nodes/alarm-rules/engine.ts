/**
 * The alarm engine: pure TypeScript, no Node-RED. Each (rule, source topic, element index) is one alarm with
 * the ISA-18.2 states (docs/alarm-management.md §1.1). Time comes from an injectable scheduler so tests
 * drive delays, shelving expiry and re-alarms with fake timers.
 *
 * Model: an alarm keeps orthogonal facts (condition after hysteresis, active after delays, acknowledged,
 * latched, shelved, suppressed, out of service); the reported state is derived from them with the overrides
 * first. Only a change of the reported state produces an event (one output message), so a shelved, suppressed or
 * out-of-service alarm keeps being evaluated silently and shows its real state when it comes back.
 *
 * Hot path: messages are routed by a per-topic plan (matching rules and their alarm slots, built once per
 * topic); paths are precompiled key arrays; a value that changes no state allocates nothing.
 */
import { Agg, CompiledRule, compileRules, isCompiledRule, Kind, Template } from './rules';
import { walk } from './path';
import type { AlarmRuleConfig, AlarmSeverity } from '../../lib/alarm-types';

export type AlarmStateName =
  | 'normal'
  | 'active-unacknowledged'
  | 'active-acknowledged'
  | 'returned-unacknowledged'
  | 'latched'
  | 'shelved'
  | 'suppressed'
  | 'out-of-service';

const STATE_NAMES: AlarmStateName[] = [
  'normal',
  'active-unacknowledged',
  'active-acknowledged',
  'returned-unacknowledged',
  'latched',
  'shelved',
  'suppressed',
  'out-of-service',
];

const enum S {
  Normal = 0,
  ActiveUnack = 1,
  ActiveAck = 2,
  ReturnedUnack = 3,
  Latched = 4,
  Shelved = 5,
  Suppressed = 6,
  OutOfService = 7,
}

const enum Shelve {
  None = 0,
  Timed = 1,
  OneShot = 2,
}

export type AlarmEventKind =
  | 'raise'
  | 'clear'
  | 'ack'
  | 'reset'
  | 'shelve'
  | 'unshelve'
  | 'suppress'
  | 'unsuppress'
  | 'disable'
  | 'enable'
  | 'realarm';

export type AlarmIndex = number | string | null;

/** What output 1 carries as payload, one per change of an alarm's state. */
export interface AlarmEvent {
  id: string;
  rule: string;
  name: string;
  topic: string;
  index: AlarmIndex;
  state: AlarmStateName;
  active: boolean;
  acknowledged: boolean;
  severity: AlarmSeverity;
  value: unknown;
  valueAtRaise: unknown;
  valueAtClear: unknown;
  alarmValue: number | boolean | string | null;
  clearValue: number | null;
  /** ms since the epoch when the alarm entered this state */
  since: number;
  /** ms the alarm has been active (until its clear, once cleared) */
  duration: number;
  text: string;
  /** what caused this message */
  event: AlarmEventKind;
  quality: 'good' | 'bad';
  /** re-alarms since the alarm was last raised (OPC UA ReAlarmRepeatCount) */
  realarmCount: number;
  /** reference rules: the element's own reading and the median it was compared with (`value` is the deviation, %) */
  reading?: number;
  reference?: number;
}

/** One row of output 2's alarm table. */
export interface AlarmRow {
  id: string;
  rule: string;
  name: string;
  topic: string;
  index: AlarmIndex;
  state: AlarmStateName;
  severity: AlarmSeverity;
  active: boolean;
  acknowledged: boolean;
  value: unknown;
  valueAtRaise: unknown;
  valueAtClear: unknown;
  since: number;
  text: string;
  quality: 'good' | 'bad';
  chattering: boolean;
  /** times raised in the last 10 minutes */
  count10m: number;
  /** re-alarms since the alarm was last raised (OPC UA ReAlarmRepeatCount) */
  realarmCount: number;
}

export interface AlarmCounts {
  tracked: number;
  active: number;
  unacknowledged: number;
  shelved: number;
  suppressed: number;
  outOfService: number;
  latched: number;
  badQuality: number;
  chattering: number;
  /** raises of all alarms in the last 10 minutes (the ISA-18.2 rate KPI) */
  raised10m: number;
  /** the most severe of the active or unacknowledged alarms shown, or null */
  worst: AlarmSeverity | null;
}

export interface AlarmTable {
  rows: AlarmRow[];
  counts: AlarmCounts;
}

export interface Scheduler {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Real time; looks the globals up at call time so sinon fake timers installed later still apply. */
export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface EngineOptions {
  scheduler?: Scheduler;
  /** events produced by timers (delays, shelving expiry, re-alarm, stale) */
  onEvents?: (events: AlarmEvent[]) => void;
  /** bad input for an alarm, once per bad spell */
  onWarn?: (alarmId: string, reason: string) => void;
  /**
   * A source (topic) became unavailable (`quality` comm_error or stale) or came back: once per change, however
   * many alarms it feeds, so a dead device is one log line, not one per rule
   */
  onSource?: (topic: string, state: 'lost' | 'back', quality: string) => void;
  /** raises within chatterWindow that make an alarm chattering (default 3) */
  chatterCount?: number;
  /** seconds (default 60) */
  chatterWindow?: number;
  /** longest timed shelving in seconds (default 8 h) */
  maxShelve?: number;
  /** shelving time when a shelve command gives none, seconds (default 1 h) */
  defaultShelve?: number;
}

export interface AlarmCommand {
  command: string;
  /** exact alarm id or a glob over ids; absent = every alarm (of `rule` if given) */
  alarmId?: string;
  rule?: string;
  /** shelve: seconds */
  duration?: number;
  /** shelve: until the alarm next returns to normal */
  oneShot?: boolean;
}

export type CommandResult = { ok: true; events: AlarmEvent[]; matched: number } | { ok: false; error: string };

export const COMMANDS = ['ack', 'shelve', 'unshelve', 'suppress', 'unsuppress', 'reset', 'enable', 'disable', 'report'];

/** Serialisable state (JSON) of every alarm that is not plain normal. */
export interface SavedAlarm {
  rule: string;
  topic: string;
  index: AlarmIndex;
  condition: boolean;
  active: boolean;
  acked: boolean;
  latched: boolean;
  shelve: number;
  shelveUntil: number;
  suppressed: boolean;
  oos: boolean;
  value: unknown;
  valueAtRaise: unknown;
  valueAtClear: unknown;
  since: number;
  raisedAt: number;
  clearedAt: number;
  /** recent raise times (for chattering), oldest first */
  raises?: number[];
  /** raises per minute of the last 10 minutes: [minute, count, minute, count, ...] */
  minutes?: number[];
  /** re-alarms since the last raise */
  realarmCount?: number;
  /** when the alarm was last annunciated (raise, re-alarm, return to service): the re-alarm time counts from it */
  alarmedAt?: number;
}

export interface EngineSnapshot {
  version: 1;
  savedAt: number;
  alarms: SavedAlarm[];
}

const TEN_MIN = 600_000;
/** most elements one wildcard tracks per (rule, topic) */
export const MAX_ELEMENTS = 100_000;
const MAX_TIMER = 2_147_000_000;
const EMPTY: AlarmEvent[] = [];
Object.freeze(EMPTY);

/**
 * Re-alarm bookkeeping. Only alarms whose rule re-alarms need it, so it is allocated on their first annunciation:
 * a time kept in every record would cost each of 100,000 alarms a boxed double.
 */
class Realarm {
  timer: unknown = null;
  /** re-alarms since the last raise (OPC UA ReAlarmRepeatCount) */
  count = 0;
  /** when the alarm was last annunciated (raise, re-alarm, return to service): the re-alarm time counts from it */
  at = 0;
}

/** What a reference rule compared: the element's reading and the median of its array. Only such rules have one. */
class Deviation {
  constructor(
    public reading: number,
    public reference: number,
  ) {}
}

/** One tracked alarm. All fields are set in the constructor so every record has the same hidden class. */
class AlarmRecord {
  condition = false;
  active = false;
  acked = true;
  latched = false;
  shelve: Shelve = Shelve.None;
  shelveUntil = 0;
  suppressed = false;
  oos = false;
  bad = false;
  warned = false;
  reported: S = S.Normal;
  /** last value of a state or stale rule */
  value: unknown = null;
  /** last value of a high/low rule: a field that only ever holds numbers is updated in place, no allocation */
  num = NaN;
  valueAtRaise: unknown = null;
  valueAtClear: unknown = null;
  since: number;
  raisedAt = 0;
  clearedAt = 0;
  lastSeen: number;
  delayTimer: unknown = null;
  delayFor = false;
  realarm: Realarm | null = null;
  deviation: Deviation | null = null;
  shelveTimer: unknown = null;
  staleTimer: unknown = null;
  /** the last chatterCount raise times (a ring), allocated on the first raise */
  raises: Float64Array | null = null;
  raisePos = 0;
  /** raises per minute over 10 minutes: [0..9] minute numbers, [10..19] counts; allocated on the first raise */
  minutes: Float64Array | null = null;
  notable = false;

  constructor(
    readonly id: string,
    public rule: CompiledRule,
    readonly topic: string,
    readonly index: AlarmIndex,
    now: number,
  ) {
    this.since = now;
    this.lastSeen = now;
  }
}

/** Per (rule, topic): the alarms of that rule for that topic. */
interface RuleSlot {
  rule: CompiledRule;
  topic: string;
  scalar: AlarmRecord | null;
  /** single wildcard: alarms by element index */
  elements: Array<AlarmRecord | undefined> | null;
  /** nested wildcards: alarms by "i/j" */
  nested: Map<string, AlarmRecord> | null;
  capWarned: boolean;
}

/** The rules that match one topic, with their alarms: built on the first message of the topic. */
type TopicPlan = RuleSlot[];

function stateOf(a: AlarmRecord): S {
  if (a.oos) return S.OutOfService;
  if (a.suppressed) return S.Suppressed;
  if (a.shelve !== Shelve.None) return S.Shelved;
  if (a.latched) return S.Latched;
  if (a.active) return a.acked ? S.ActiveAck : S.ActiveUnack;
  return a.acked ? S.Normal : S.ReturnedUnack;
}

/** The alarm's last value, null before the first good one. */
function valueOf(a: AlarmRecord): unknown {
  const k = a.rule.kind;
  if (k === Kind.High || k === Kind.Low) return a.num === a.num ? a.num : null;
  return a.value;
}

function realarmCount(a: AlarmRecord): number {
  return a.realarm === null ? 0 : a.realarm.count;
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7)));
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * What each `{{field}}` of a message template reads from an alarm; an unknown field stays as written. A Map, so a
 * user's `{{constructor}}` finds nothing of Object's prototype.
 */
const TEMPLATE_FIELDS: ReadonlyMap<string, (a: AlarmRecord) => string> = new Map(Object.entries({
  name: (a) => a.rule.name,
  id: (a) => a.id,
  rule: (a) => a.rule.id,
  index: (a) => (a.index === null ? '' : String(a.index)),
  number: (a) => (typeof a.index === 'number' ? String(a.index + 1) : a.index === null ? '' : a.index),
  value: (a) => formatValue(valueOf(a)),
  valueAtRaise: (a) => formatValue(a.valueAtRaise),
  valueAtClear: (a) => formatValue(a.valueAtClear),
  unit: (a) => a.rule.unit,
  alarmValue: (a) => formatValue(a.rule.kind === Kind.State ? a.rule.stateValue : a.rule.alarmValue),
  clearValue: (a) => formatValue(a.rule.clearValue),
  severity: (a) => a.rule.severity,
  topic: (a) => a.topic,
  state: (a) => STATE_NAMES[a.reported],
  staleTime: (a) => formatValue(a.rule.staleMs / 1000),
  reading: (a) => (a.deviation === null ? '' : formatValue(a.deviation.reading) + (a.rule.unit !== '' && a.rule.unit !== '%' ? ' ' + a.rule.unit : '')),
  reference: (a) => (a.deviation === null ? '' : formatValue(a.deviation.reference) + (a.rule.unit !== '' && a.rule.unit !== '%' ? ' ' + a.rule.unit : '')),
}));

function roundDigits(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(12));
}

const SEVERITY_RANK: Record<AlarmSeverity, number> = { critical: 4, major: 3, minor: 2, warning: 1 };

export class AlarmEngine {
  private rules: CompiledRule[] = [];
  private rulesById = new Map<string, CompiledRule>();
  private plans = new Map<string, TopicPlan>();
  private readonly byId = new Map<string, AlarmRecord>();
  private readonly notable = new Set<AlarmRecord>();
  private readonly sched: Scheduler;
  private readonly chatterCount: number;
  private readonly chatterWindowMs: number;
  private readonly maxShelveMs: number;
  private readonly defaultShelveMs: number;
  /** events collected during the current call, allocated on the first */
  private out: AlarmEvent[] | null = null;
  private dirty = true;
  /** node-wide raise counts per minute, 10 buckets */
  private readonly minuteCounts = new Float64Array(10);
  private readonly minuteOf = new Float64Array(10).fill(-1);
  private closed = false;
  /** the time of the message being processed, read at most once per message; -1 = not read yet */
  private nowCache = -1;
  /** topics whose last message said the source is unavailable */
  private readonly lostSources = new Set<string>();

  constructor(rules: AlarmRuleConfig[] | CompiledRule[] = [], private readonly options: EngineOptions = {}) {
    this.sched = options.scheduler ?? realScheduler;
    this.chatterCount = Math.max(2, Math.floor(options.chatterCount ?? 3));
    this.chatterWindowMs = Math.max(1, options.chatterWindow ?? 60) * 1000;
    this.maxShelveMs = Math.max(1, options.maxShelve ?? 8 * 3600) * 1000;
    this.defaultShelveMs = Math.min(this.maxShelveMs, Math.max(1, options.defaultShelve ?? 3600) * 1000);
    const res = this.setRules(rules);
    if (!res.ok) throw new Error(res.error);
  }

  // ---------------------------------------------------------------- rules

  /**
   * Replaces the rules. Alarms of rules that keep their id keep their state (a rule edited in place keeps its
   * acknowledgement history); the others are dropped. Refuses the whole list if one rule is malformed.
   */
  setRules(input: unknown): { ok: true } | { ok: false; error: string } {
    let compiled: CompiledRule[];
    if (Array.isArray(input) && input.length > 0 && input.every(isCompiledRule)) {
      compiled = input as CompiledRule[];
    } else {
      const res = compileRules(input);
      if (!res.ok) return res;
      compiled = res.rules;
    }
    const saved = this.byId.size > 0 ? this.exportState() : null;
    this.clearAlarms();
    this.rules = compiled;
    this.rulesById = new Map(compiled.map((r) => [r.id, r]));
    if (saved) this.importState(saved);
    return { ok: true };
  }

  getRules(): AlarmRuleConfig[] {
    return this.rules.map((r) => r.config);
  }

  get size(): number {
    return this.byId.size;
  }

  private clearAlarms(): void {
    for (const a of this.byId.values()) this.stopTimers(a);
    this.byId.clear();
    this.notable.clear();
    this.plans.clear();
    this.dirty = true;
  }

  // ---------------------------------------------------------------- evaluation

  /**
   * Evaluates one message against every rule that matches its topic. Returns the events (state changes), or a
   * shared empty array when nothing changed.
   */
  process(msg: Record<string, unknown>): AlarmEvent[] {
    if (this.closed) return EMPTY;
    const t = msg.topic;
    const topic = typeof t === 'string' ? t : t === undefined || t === null ? '' : String(t);
    let plan = this.plans.get(topic);
    if (plan === undefined) plan = this.plan(topic);
    const slots = plan;
    if (slots.length === 0) return EMPTY;
    const q = msg.quality;
    const lost = q === 'stale' || q === 'comm_error';
    if (lost !== this.lostSources.has(topic)) {
      if (lost) this.lostSources.add(topic);
      else this.lostSources.delete(topic);
      this.options.onSource?.(topic, lost ? 'lost' : 'back', typeof q === 'string' ? q : 'good');
    }
    this.out = null;
    // the clock is read only if something needs the time (a change, a stale rule): most values change nothing
    this.nowCache = -1;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      // An unavailable source: its values are old or absent, so its alarms keep their state with quality bad.
      // Stale rules and rules on the message's own quality (the communication alarm) are what such a message is for.
      if (lost && slot.rule.kind !== Kind.Stale && !slot.rule.readsQuality) this.holdSlot(slot);
      else this.evalSlot(slot, msg, lost);
    }
    this.nowCache = -1;
    const ev = this.out;
    this.out = null;
    return ev ?? EMPTY;
  }

  private clock(): number {
    if (this.nowCache < 0) this.nowCache = this.sched.now();
    return this.nowCache;
  }

  /** Whether anything the table shows changed since takeTableDirty() was last called. */
  get tableDirty(): boolean {
    return this.dirty;
  }

  markTableDirty(): void {
    this.dirty = true;
  }

  /** Reads and resets the changed flag; the node sends output 2 when it was set. */
  takeTableDirty(): boolean {
    const d = this.dirty;
    this.dirty = false;
    return d;
  }

  private plan(topic: string): TopicPlan {
    const slots: RuleSlot[] = [];
    for (const rule of this.rules) {
      if (rule.matchTopic !== null && !rule.matchTopic(topic)) continue;
      slots.push({
        rule,
        topic,
        scalar: null,
        elements: rule.path.wildcards === 1 && rule.aggregate === Agg.None ? [] : null,
        nested: rule.path.wildcards > 1 ? new Map() : null,
        capWarned: false,
      });
    }
    // Topics that match nothing are cheap to remember, but unbounded topic names must not grow memory forever.
    if (slots.length === 0 && this.plans.size > 50_000) this.pruneEmptyPlans();
    this.plans.set(topic, slots);
    return slots;
  }

  private pruneEmptyPlans(): void {
    for (const [k, p] of this.plans) if (p.length === 0) this.plans.delete(k);
  }

  private evalSlot(slot: RuleSlot, msg: Record<string, unknown>, lost: boolean): void {
    const rule = slot.rule;
    const path = rule.path;
    if (path.each === null) {
      const v = path.get(msg);
      let a = slot.scalar;
      if (a === null) {
        // A message without the value creates no alarm unless the rule names this topic explicitly.
        if (v === undefined && !lost && rule.matchTopic === null) return;
        a = slot.scalar = this.create(slot, null, this.clock());
      }
      this.evalAlarm(a, v, lost);
      return;
    }
    const arr = path.get(msg);
    if (rule.aggregate !== Agg.None) {
      let a = slot.scalar;
      if (a === null) {
        if (arr === undefined && !lost && rule.matchTopic === null) return;
        a = slot.scalar = this.create(slot, null, this.clock());
      }
      this.evalAlarm(a, Array.isArray(arr) ? this.aggregate(rule, arr, path.each.keys) : undefined, lost);
      return;
    }
    if (slot.elements !== null) {
      const elements = slot.elements;
      if (!Array.isArray(arr)) {
        // the array is missing: every alarm already known for it gets the bad (or lost) value
        for (let i = 0; i < elements.length; i++) {
          const a = elements[i];
          if (a !== undefined) this.evalAlarm(a, undefined, lost);
        }
        return;
      }
      const restEmpty = path.each.keys.length === 0;
      const rest = path.each.get;
      if (rule.median) {
        this.evalAgainstMedian(slot, elements, arr, restEmpty ? null : rest);
        return;
      }
      // a message cannot make unbounded alarms: elements beyond the cap are not tracked (warned once)
      const count = arr.length <= MAX_ELEMENTS ? arr.length : MAX_ELEMENTS;
      if (count < arr.length && !slot.capWarned) {
        slot.capWarned = true;
        this.options.onWarn?.(slot.topic === '' ? rule.id : slot.topic + '/' + rule.id, `array of ${arr.length} elements: only the first ${MAX_ELEMENTS} are tracked`);
      }
      for (let i = 0; i < count; i++) {
        let a = elements[i];
        if (a === undefined) a = elements[i] = this.create(slot, i, this.clock());
        this.evalAlarm(a, restEmpty ? arr[i] : rest(arr[i]), lost);
      }
      return;
    }
    this.evalNested(slot, arr, path.each, '', lost);
  }

  /** Marks every alarm of a slot bad without evaluating or warning: the source said it cannot tell. */
  private holdSlot(slot: RuleSlot): void {
    const hold = (a: AlarmRecord | undefined): void => {
      if (a === undefined || a.bad) return;
      a.bad = true;
      // the spell is announced once per source (onSource); a later bad value after the return warns afresh
      a.warned = true;
      this.touch(a);
    };
    hold(slot.scalar ?? undefined);
    if (slot.elements !== null) for (let i = 0; i < slot.elements.length; i++) hold(slot.elements[i]);
    if (slot.nested !== null) for (const a of slot.nested.values()) hold(a);
  }

  private evalNested(
    slot: RuleSlot,
    arr: unknown,
    each: NonNullable<CompiledRule['path']['each']>,
    prefix: string,
    lost: boolean,
  ): void {
    if (!Array.isArray(arr)) return;
    const map = slot.nested as Map<string, AlarmRecord>;
    for (let i = 0; i < arr.length; i++) {
      if (map.size >= MAX_ELEMENTS && !map.has(prefix === '' ? String(i) : prefix + '/' + i)) break;
      const key = prefix === '' ? String(i) : prefix + '/' + i;
      const inner = walk(arr[i], each.keys);
      if (each.each !== null) {
        this.evalNested(slot, inner, each.each, key, lost);
        continue;
      }
      let a = map.get(key);
      if (a === undefined) {
        a = this.create(slot, key, this.clock());
        map.set(key, a);
      }
      this.evalAlarm(a, inner, lost);
    }
  }

  /**
   * Reference rules: each element's deviation from the median of the finite elements of the same message, in
   * percent of the median (12 significant digits, as for aggregates). A median at or below 0 is no reference:
   * every element is bad input.
   */
  private evalAgainstMedian(slot: RuleSlot, elements: Array<AlarmRecord | undefined>, arr: unknown[], rest: ((v: unknown) => unknown) | null): void {
    const count = arr.length <= MAX_ELEMENTS ? arr.length : MAX_ELEMENTS;
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const v = rest === null ? arr[i] : rest(arr[i]);
      if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
    }
    values.sort((x, y) => x - y);
    const mid = values.length >> 1;
    const median = values.length === 0 ? NaN : values.length % 2 === 1 ? values[mid] : roundDigits((values[mid - 1] + values[mid]) / 2);
    for (let i = 0; i < count; i++) {
      let a = elements[i];
      if (a === undefined) a = elements[i] = this.create(slot, i, this.clock());
      const v = rest === null ? arr[i] : rest(arr[i]);
      if (typeof v !== 'number' || !Number.isFinite(v) || !(median > 0)) {
        this.evalAlarm(a, v === undefined ? undefined : NaN, false);
        continue;
      }
      if (a.deviation === null) a.deviation = new Deviation(v, median);
      else {
        a.deviation.reading = v;
        a.deviation.reference = median;
      }
      this.evalAlarm(a, roundDigits(((v - median) / median) * 100), false);
    }
  }

  /** max/min/mean/spread of the elements; NaN when any element is not a finite number (bad input). */
  private aggregate(rule: CompiledRule, arr: unknown[], rest: Array<string | number>): number {
    if (arr.length === 0) return NaN;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < arr.length; i++) {
      const raw = rest.length === 0 ? arr[i] : walk(arr[i], rest);
      const x = typeof raw === 'number' ? raw : NaN;
      if (!Number.isFinite(x)) return NaN;
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
    }
    // mean and spread are rounded to 12 significant digits so that 3.5 - 3.2 is 0.3, not 0.2999999999999998,
    // and the exact-equality edge holds for differences as it does for readings
    switch (rule.aggregate) {
      case Agg.Max:
        return max;
      case Agg.Min:
        return min;
      case Agg.Mean:
        return roundDigits(sum / arr.length);
      default:
        return roundDigits(max - min);
    }
  }

  private create(slot: RuleSlot, index: AlarmIndex, now: number): AlarmRecord {
    const base = slot.topic === '' ? slot.rule.id : slot.topic + '/' + slot.rule.id;
    const id = index === null ? base : base + '/' + index;
    const a = new AlarmRecord(id, slot.rule, slot.topic, index, now);
    this.byId.set(id, a);
    if (slot.rule.kind === Kind.Stale) this.armStale(a, now + slot.rule.staleMs);
    return a;
  }

  private evalAlarm(a: AlarmRecord, v: unknown, lost: boolean): void {
    // out of service is not blind: the condition and its delays are still evaluated, only not annunciated
    const rule = a.rule;
    const kind = rule.kind;
    if (kind === Kind.Stale) {
      if (lost) {
        if (!a.condition) this.setCondition(a, true, this.clock());
        return;
      }
      if (v === undefined) return;
      const now = this.clock();
      a.lastSeen = now;
      a.value = v;
      if (a.condition) this.setCondition(a, false, this.clock());
      if (a.staleTimer === null) this.armStale(a, now + rule.staleMs);
      return;
    }
    let cond: boolean;
    if (kind === Kind.State) {
      if (v === undefined || v === null || typeof v === 'object' || (typeof v === 'number' && !Number.isFinite(v))) {
        this.markBad(a, v);
        return;
      }
      if (a.bad) this.markGood(a);
      a.value = v;
      cond = stateEquals(v, rule.stateValue);
    } else {
      let x: number;
      if (typeof v === 'number') x = v;
      else if (typeof v === 'string' && v.trim() !== '') x = Number(v);
      else x = NaN;
      if (x !== x || x === Infinity || x === -Infinity) {
        this.markBad(a, v);
        return;
      }
      if (a.bad) this.markGood(a);
      a.num = x;
      cond = a.condition;
      if (kind === Kind.High) {
        if (!cond) cond = rule.strict ? x > rule.alarmValue : x >= rule.alarmValue;
        else if (rule.clearStrict ? x < rule.clearValue : x <= rule.clearValue) cond = false;
      } else {
        if (!cond) cond = rule.strict ? x < rule.alarmValue : x <= rule.alarmValue;
        else if (rule.clearStrict ? x > rule.clearValue : x >= rule.clearValue) cond = false;
      }
    }
    if (cond !== a.condition) this.setCondition(a, cond, this.clock());
  }

  private markBad(a: AlarmRecord, v: unknown): void {
    if (!a.bad) {
      a.bad = true;
      this.touch(a);
    }
    // a sensor under maintenance (out of service) may send anything: warn once it is back in service
    if (a.warned || a.oos) return;
    a.warned = true;
    const what = v === undefined ? 'missing' : typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
    this.options.onWarn?.(a.id, `bad value ${what}: alarm state unchanged`);
  }

  private markGood(a: AlarmRecord): void {
    a.bad = false;
    a.warned = false;
    this.touch(a);
  }

  // ---------------------------------------------------------------- transitions

  private setCondition(a: AlarmRecord, cond: boolean, now: number): void {
    a.condition = cond;
    const rule = a.rule;
    if (a.delayTimer !== null && a.delayFor !== cond) this.cancelDelay(a);
    if (cond) {
      if (a.latched) {
        // back in alarm while latched: active again, acknowledgement kept, no new raise; standing again, so the
        // re-alarm time (stopped by the latch) runs from here
        a.latched = false;
        if (a.rule.realarmMs > 0) this.armRealarm(a, a.rule.realarmMs).at = now;
        this.emit(a, 'raise', now);
        return;
      }
      if (a.active) return; // e.g. an off-delay was pending
      if (rule.onDelayMs > 0) {
        if (a.delayTimer === null) this.armDelay(a, true, rule.onDelayMs);
        return;
      }
      this.raise(a, now);
    } else {
      if (!a.active || a.latched) return;
      if (rule.offDelayMs > 0) {
        if (a.delayTimer === null) this.armDelay(a, false, rule.offDelayMs);
        return;
      }
      this.returnToNormal(a, now);
    }
  }

  private armDelay(a: AlarmRecord, forCondition: boolean, ms: number): void {
    a.delayFor = forCondition;
    a.delayTimer = this.sched.setTimer(() => {
      a.delayTimer = null;
      this.fromTimer(() => {
        if (a.condition !== forCondition) return;
        const now = this.sched.now();
        if (forCondition) this.raise(a, now);
        else this.returnToNormal(a, now);
      });
    }, ms);
  }

  private cancelDelay(a: AlarmRecord): void {
    if (a.delayTimer !== null) this.sched.clearTimer(a.delayTimer);
    a.delayTimer = null;
  }

  private raise(a: AlarmRecord, now: number): void {
    a.active = true;
    a.latched = false;
    a.valueAtRaise = valueOf(a);
    a.valueAtClear = null;
    a.raisedAt = now;
    a.clearedAt = 0;
    if (a.realarm !== null) a.realarm.count = 0;
    // out of service the process state is kept but nothing is annunciated: no acknowledgement is owed and no
    // raise is counted until enable() shows the alarm
    if (!a.oos) this.annunciate(a, now);
    this.emit(a, 'raise', now);
  }

  /** A new activation as the operator sees it: unacknowledged, counted, the re-alarm time from now. */
  private annunciate(a: AlarmRecord, now: number): void {
    a.acked = false;
    this.countRaise(a, now);
    // a standing alarm returned to service is a new activation for the operator: its count starts again too
    if (a.realarm !== null) a.realarm.count = 0;
    if (a.rule.realarmMs > 0) this.armRealarm(a, a.rule.realarmMs).at = now;
  }

  private returnToNormal(a: AlarmRecord, now: number): void {
    a.valueAtClear = valueOf(a);
    if (a.rule.latch && !a.oos) {
      a.latched = true;
      // the process is back: a latched alarm waits for its reset, it is no longer a standing alarm to re-alarm
      this.stopRealarm(a);
      this.emit(a, 'clear', now);
      return;
    }
    a.active = false;
    a.clearedAt = now;
    if (!a.rule.requireAck) a.acked = true;
    this.stopRealarm(a);
    // one-shot shelving ends when the alarm returns to normal (OPC UA OneShotShelved)
    if (a.shelve === Shelve.OneShot) this.unshelveQuiet(a);
    this.emit(a, 'clear', now);
  }

  /**
   * Re-alarm (ISA-18.2 re-alarming alarm, OPC UA ReAlarmTime): an alarm still standing `realarm` seconds after it
   * was last annunciated is brought back to the operator, unacknowledged again, acknowledged or not. The time
   * counts from the raise or the previous re-alarm, not from the acknowledgement. A shelved or suppressed alarm
   * is skipped (the timer keeps its pace); one whose condition cleared (an off-delay pending) is no longer
   * standing; clear, latch, reset and out of service stop the timer.
   */
  private armRealarm(a: AlarmRecord, ms: number): Realarm {
    const r = a.realarm ?? (a.realarm = new Realarm());
    if (r.timer !== null) this.sched.clearTimer(r.timer);
    r.timer = this.sched.setTimer(() => {
      r.timer = null;
      this.fromTimer(() => {
        if (!a.active || a.oos || a.latched) return;
        const now = this.sched.now();
        if (a.condition && a.shelve === Shelve.None && !a.suppressed) {
          a.acked = false;
          r.count++;
          r.at = now;
          this.emit(a, 'realarm', now, true);
        }
        this.armRealarm(a, a.rule.realarmMs);
      });
    }, Math.max(0, Math.min(ms, MAX_TIMER)));
    return r;
  }

  private stopRealarm(a: AlarmRecord): void {
    const r = a.realarm;
    if (r === null || r.timer === null) return;
    this.sched.clearTimer(r.timer);
    r.timer = null;
  }

  private armStale(a: AlarmRecord, dueAt: number): void {
    if (a.staleTimer !== null) return;
    const ms = Math.max(1, Math.min(dueAt - this.sched.now(), MAX_TIMER));
    a.staleTimer = this.sched.setTimer(() => {
      a.staleTimer = null;
      if (this.closed) return;
      const now = this.sched.now();
      const due = a.lastSeen + a.rule.staleMs;
      if (now >= due) {
        this.fromTimer(() => {
          a.value = Math.round((now - a.lastSeen) / 1000);
          if (!a.condition) this.setCondition(a, true, now);
        });
      } else this.armStale(a, due);
    }, ms);
  }

  private stopTimers(a: AlarmRecord): void {
    this.cancelDelay(a);
    this.stopRealarm(a);
    if (a.shelveTimer !== null) this.sched.clearTimer(a.shelveTimer);
    a.shelveTimer = null;
    if (a.staleTimer !== null) this.sched.clearTimer(a.staleTimer);
    a.staleTimer = null;
  }

  /** Runs a timer's work and hands its events to onEvents. */
  private fromTimer(work: () => void): void {
    if (this.closed) return;
    const outer = this.out;
    this.out = null;
    try {
      work();
    } finally {
      const ev = this.out;
      this.out = outer;
      if (ev !== null || this.dirty) this.options.onEvents?.(ev ?? []);
    }
  }

  /** Fixed-size bookkeeping per raise (a ring and minute buckets), so a chattering alarm costs no allocation. */
  private countRaise(a: AlarmRecord, now: number): void {
    if (a.raises === null) {
      a.raises = new Float64Array(this.chatterCount).fill(-Infinity);
      a.minutes = new Float64Array(20).fill(-1);
      a.minutes.fill(0, 10);
    }
    a.raises[a.raisePos] = now;
    a.raisePos = (a.raisePos + 1) % a.raises.length;
    const minute = Math.floor(now / 60_000);
    const b = minute % 10;
    const m = a.minutes as Float64Array;
    if (m[b] !== minute) {
      m[b] = minute;
      m[10 + b] = 0;
    }
    m[10 + b]++;
    if (this.minuteOf[b] !== minute) {
      this.minuteOf[b] = minute;
      this.minuteCounts[b] = 0;
    }
    this.minuteCounts[b]++;
  }

  private chattering(a: AlarmRecord, now: number): boolean {
    // the oldest of the last chatterCount raises is where the ring writes next
    const ring = a.raises;
    if (ring === null) return false;
    return now - ring[a.raisePos] <= this.chatterWindowMs;
  }

  private count10m(a: AlarmRecord, now: number): number {
    const m = a.minutes;
    if (m === null) return 0;
    const minute = Math.floor(now / 60_000);
    let n = 0;
    for (let b = 0; b < 10; b++) if (m[b] > minute - 10) n += m[10 + b];
    return n;
  }

  private recentRaises(a: AlarmRecord): number[] | undefined {
    const ring = a.raises;
    if (ring === null) return undefined;
    const out: number[] = [];
    for (let i = 0; i < ring.length; i++) {
      const t = ring[(a.raisePos + i) % ring.length];
      if (t !== -Infinity) out.push(t);
    }
    return out;
  }

  private restoreRaises(a: AlarmRecord, raises: unknown, minutes: unknown): void {
    const times = Array.isArray(raises) ? raises.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)) : [];
    const mins = Array.isArray(minutes) ? minutes.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)) : [];
    if (times.length === 0 && mins.length === 0) return;
    a.raises = new Float64Array(this.chatterCount).fill(-Infinity);
    a.minutes = new Float64Array(20).fill(-1);
    a.minutes.fill(0, 10);
    for (const t of times.slice(-this.chatterCount)) {
      a.raises[a.raisePos] = t;
      a.raisePos = (a.raisePos + 1) % a.raises.length;
    }
    for (let i = 0; i + 1 < mins.length; i += 2) {
      const b = ((mins[i] % 10) + 10) % 10;
      if (a.minutes[b] === mins[i]) a.minutes[10 + b] += mins[i + 1];
      else if (a.minutes[b] < mins[i]) {
        a.minutes[b] = mins[i];
        a.minutes[10 + b] = mins[i + 1];
      }
    }
  }

  private raised10m(now: number): number {
    const minute = Math.floor(now / 60_000);
    let n = 0;
    for (let b = 0; b < 10; b++) if (this.minuteOf[b] > minute - 10) n += this.minuteCounts[b];
    return n;
  }

  /** Marks the table changed and keeps the set of alarms worth showing or saving. */
  private touch(a: AlarmRecord): void {
    this.dirty = true;
    const notable = a.reported !== S.Normal || a.bad || a.active || !a.acked || a.raises !== null;
    if (notable !== a.notable) {
      a.notable = notable;
      if (notable) this.notable.add(a);
      else this.notable.delete(a);
    }
  }

  /** Records an event if the reported state changed (or `force`, for re-alarms). */
  private emit(a: AlarmRecord, kind: AlarmEventKind, now: number, force = false): void {
    const s = stateOf(a);
    const changed = s !== a.reported;
    a.reported = s;
    if (changed) a.since = now;
    this.touch(a);
    if (!changed && !force) return;
    const ev = this.eventOf(a, kind, now);
    if (this.out === null) this.out = [ev];
    else this.out.push(ev);
  }

  private eventOf(a: AlarmRecord, kind: AlarmEventKind, now: number): AlarmEvent {
    const r = a.rule;
    const numeric = r.kind === Kind.High || r.kind === Kind.Low;
    return {
      id: a.id,
      rule: r.id,
      name: r.name,
      topic: a.topic,
      index: a.index,
      state: STATE_NAMES[a.reported],
      active: a.active,
      acknowledged: a.acked,
      severity: r.severity,
      value: valueOf(a),
      valueAtRaise: a.valueAtRaise,
      valueAtClear: a.valueAtClear,
      alarmValue: numeric ? r.alarmValue : r.kind === Kind.State ? (r.stateValue ?? null) : r.staleMs / 1000,
      clearValue: numeric ? r.clearValue : null,
      since: a.since,
      duration: a.raisedAt === 0 ? 0 : (a.active ? now : a.clearedAt || now) - a.raisedAt,
      text: this.text(a),
      event: kind,
      quality: a.bad ? 'bad' : 'good',
      realarmCount: realarmCount(a),
      ...(a.deviation !== null ? { reading: a.deviation.reading, reference: a.deviation.reference } : {}),
    };
  }

  /** The rule's message template filled for this alarm. */
  text(a: AlarmRecord): string {
    // the raise wording while the alarm stands (or is latched); a clear says it cleared
    const tpl: Template = a.active ? a.rule.template : a.raisedAt > 0 || a.valueAtRaise !== null ? a.rule.clearTemplate : a.rule.normalTemplate;
    let s = '';
    for (const part of tpl) {
      if ('text' in part) {
        s += part.text;
        continue;
      }
      const field = TEMPLATE_FIELDS.get(part.field);
      s += field ? field(a) : '{{' + part.field + '}}';
    }
    // empty fields (no index, no unit) leave doubled or dangling spaces
    return s.replace(/\s+/g, ' ').replace(/\s+([:,.])/g, '$1').trim();
  }

  // ---------------------------------------------------------------- commands

  /** Applies an operator command to one alarm, a glob of alarms, one rule's alarms or all. */
  command(cmd: AlarmCommand): CommandResult {
    if (!COMMANDS.includes(cmd.command)) {
      return { ok: false, error: `unknown command "${String(cmd.command)}"; expected one of ${COMMANDS.join(', ')}` };
    }
    const targets = this.select(cmd);
    if (cmd.alarmId !== undefined && targets.length === 0) return { ok: false, error: `no alarm matches "${cmd.alarmId}"` };
    if (cmd.rule !== undefined && !this.rulesById.has(cmd.rule)) return { ok: false, error: `no rule "${cmd.rule}"` };
    let shelveMs = this.defaultShelveMs;
    if (cmd.command === 'shelve' && cmd.duration !== undefined) {
      if (typeof cmd.duration !== 'number' || !Number.isFinite(cmd.duration) || cmd.duration <= 0) {
        return { ok: false, error: 'shelve duration must be a positive number of seconds' };
      }
      shelveMs = Math.min(cmd.duration * 1000, this.maxShelveMs);
    }
    const now = this.sched.now();
    this.out = null;
    for (const a of targets) {
      switch (cmd.command) {
        case 'ack':
          this.ack(a, now);
          break;
        case 'shelve':
          this.shelveAlarm(a, cmd.oneShot === true ? Shelve.OneShot : Shelve.Timed, shelveMs, now);
          break;
        case 'unshelve':
          if (a.shelve !== Shelve.None) {
            this.unshelveQuiet(a);
            this.emit(a, 'unshelve', now);
          }
          break;
        case 'suppress':
          if (!a.suppressed) {
            a.suppressed = true;
            this.emit(a, 'suppress', now);
          }
          break;
        case 'unsuppress':
          if (a.suppressed) {
            a.suppressed = false;
            this.emit(a, 'unsuppress', now);
          }
          break;
        case 'reset':
          this.reset(a, now);
          break;
        case 'disable':
          this.disable(a, now);
          break;
        case 'enable':
          this.enable(a, now);
          break;
        default: // report: the node sends the table
          break;
      }
    }
    const events = this.out ?? [];
    this.out = null;
    return { ok: true, events, matched: targets.length };
  }

  private select(cmd: AlarmCommand): AlarmRecord[] {
    const all = Array.from(this.byId.values());
    let list = cmd.rule !== undefined ? all.filter((a) => a.rule.id === cmd.rule) : all;
    if (cmd.alarmId !== undefined) {
      const exact = this.byId.get(cmd.alarmId);
      if (exact) list = list.includes(exact) ? [exact] : [];
      else if (/[*?#+]/.test(cmd.alarmId)) {
        const rx = new RegExp(
          '^' + cmd.alarmId.replace(/[\\^$.|()[\]{}]/g, '\\$&').replace(/\*\*|#/g, '\u0000').replace(/[*+]/g, '[^/]*').replace(/\?/g, '.').replace(/\u0000/g, '.*') + '$',
        );
        list = list.filter((a) => rx.test(a.id));
      } else list = [];
    }
    return list;
  }

  private ack(a: AlarmRecord, now: number): void {
    if (a.acked || a.oos) return;
    a.acked = true;
    // the re-alarm timer keeps running: re-alarming exists to bring back a standing alarm once acknowledged
    this.emit(a, 'ack', now, true);
  }

  private reset(a: AlarmRecord, now: number): void {
    if (!a.latched) return;
    // reset of a latched alarm whose condition has cleared: back to normal, the reset acknowledges it
    a.latched = false;
    a.active = false;
    a.acked = true;
    a.clearedAt = now;
    this.stopRealarm(a);
    this.emit(a, 'reset', now);
  }

  private shelveAlarm(a: AlarmRecord, mode: Shelve, ms: number, now: number): void {
    if (a.oos) return;
    if (a.shelveTimer !== null) this.sched.clearTimer(a.shelveTimer);
    a.shelveTimer = null;
    a.shelve = mode;
    a.shelveUntil = mode === Shelve.Timed ? now + ms : 0;
    if (mode === Shelve.Timed) this.armShelveExpiry(a, ms);
    this.emit(a, 'shelve', now, true);
  }

  private armShelveExpiry(a: AlarmRecord, ms: number): void {
    a.shelveTimer = this.sched.setTimer(() => {
      a.shelveTimer = null;
      this.fromTimer(() => {
        if (a.shelve !== Shelve.Timed) return;
        this.unshelveQuiet(a);
        this.emit(a, 'unshelve', this.sched.now());
      });
    }, Math.max(0, Math.min(ms, MAX_TIMER)));
  }

  private unshelveQuiet(a: AlarmRecord): void {
    if (a.shelveTimer !== null) this.sched.clearTimer(a.shelveTimer);
    a.shelveTimer = null;
    a.shelve = Shelve.None;
    a.shelveUntil = 0;
  }

  /**
   * Out of service (ISA-18.2 state H): not annunciated, not blind. The condition, its on/off delays and stale
   * timers keep running, so `active` follows the process; what the operator owed (acknowledgement, a latch, the
   * shelving, re-alarms) is dropped, as ISA-18.2 returns an alarm to service through normal.
   */
  private disable(a: AlarmRecord, now: number): void {
    if (a.oos) return;
    this.stopRealarm(a);
    this.unshelveQuiet(a);
    a.oos = true;
    a.acked = true;
    if (a.latched) {
      // a latch holds a cleared condition for the operator; out of service there is no operator to hold it for
      a.latched = false;
      a.active = false;
      a.clearedAt = now;
    }
    this.emit(a, 'disable', now);
  }

  /**
   * Return to service shows the process as it is at once: an alarm whose condition held through its on-delay
   * (while out of service or before) is annunciated afresh, unacknowledged; a raise still waiting for its
   * on-delay comes when the delay ends, as it would have in service.
   */
  private enable(a: AlarmRecord, now: number): void {
    if (!a.oos) return;
    a.oos = false;
    if (a.active) this.annunciate(a, now);
    this.emit(a, 'enable', now);
  }

  // ---------------------------------------------------------------- table

  /** The alarm table for output 2: alarms active, unacknowledged or with bad input (`all` = every alarm). */
  table(all = false): AlarmTable {
    const now = this.sched.now();
    const rows: AlarmRow[] = [];
    const counts: AlarmCounts = {
      tracked: this.byId.size,
      active: 0,
      unacknowledged: 0,
      shelved: 0,
      suppressed: 0,
      outOfService: 0,
      latched: 0,
      badQuality: 0,
      chattering: 0,
      raised10m: this.raised10m(now),
      worst: null,
    };
    let worst = 0;
    const source = all ? this.byId.values() : this.notable.values();
    for (const a of source) {
      const s = a.reported;
      const chatter = this.chattering(a, now);
      const hidden = s === S.Shelved || s === S.Suppressed || s === S.OutOfService;
      // shelved and suppressed alarms are not annunciated: they count only as shelved / suppressed
      if (a.active && !hidden) counts.active++;
      if (!a.acked && !hidden) counts.unacknowledged++;
      if (s === S.Shelved) counts.shelved++;
      if (s === S.Suppressed) counts.suppressed++;
      if (s === S.OutOfService) counts.outOfService++;
      if (s === S.Latched) counts.latched++;
      if (a.bad) counts.badQuality++;
      if (chatter) counts.chattering++;
      const shown = all || (!hidden && (a.active || !a.acked || a.bad));
      if (!shown) continue;
      if (!hidden && (a.active || !a.acked)) {
        const rank = SEVERITY_RANK[a.rule.severity];
        if (rank > worst) {
          worst = rank;
          counts.worst = a.rule.severity;
        }
      }
      rows.push({
        id: a.id,
        rule: a.rule.id,
        name: a.rule.name,
        topic: a.topic,
        index: a.index,
        state: STATE_NAMES[s],
        severity: a.rule.severity,
        active: a.active,
        acknowledged: a.acked,
        value: valueOf(a),
        valueAtRaise: a.valueAtRaise,
        valueAtClear: a.valueAtClear,
        since: a.since,
        text: this.text(a),
        quality: a.bad ? 'bad' : 'good',
        chattering: chatter,
        count10m: this.count10m(a, now),
        realarmCount: realarmCount(a),
      });
    }
    if (all) counts.tracked = this.byId.size;
    rows.sort((x, y) => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity] || y.since - x.since);
    return { rows, counts };
  }

  /** One alarm's current event shape (for tests and the report command). */
  get(id: string): AlarmEvent | undefined {
    const a = this.byId.get(id);
    return a ? this.eventOf(a, 'raise', this.sched.now()) : undefined;
  }

  ids(): string[] {
    return Array.from(this.byId.keys());
  }

  // ---------------------------------------------------------------- persistence

  /** Plain JSON of every alarm that is not plain normal (normal alarms are re-created by the next value). */
  exportState(): EngineSnapshot {
    const alarms: SavedAlarm[] = [];
    const now = this.sched.now();
    const minute = Math.floor(now / 60_000);
    for (const a of this.notable) {
      const raises = this.recentRaises(a)?.filter((t) => now - t <= TEN_MIN);
      const minutes: number[] = [];
      if (a.minutes !== null) {
        for (let b = 0; b < 10; b++) if (a.minutes[b] > minute - 10 && a.minutes[10 + b] > 0) minutes.push(a.minutes[b], a.minutes[10 + b]);
      }
      // a normal alarm whose raises are all older than 10 minutes has nothing left to keep
      if (a.reported === S.Normal && !a.active && a.acked && minutes.length === 0) continue;
      alarms.push({
        rule: a.rule.id,
        topic: a.topic,
        index: a.index,
        condition: a.condition,
        active: a.active,
        acked: a.acked,
        latched: a.latched,
        shelve: a.shelve,
        shelveUntil: a.shelveUntil,
        suppressed: a.suppressed,
        oos: a.oos,
        value: valueOf(a),
        valueAtRaise: a.valueAtRaise,
        valueAtClear: a.valueAtClear,
        since: a.since,
        raisedAt: a.raisedAt,
        clearedAt: a.clearedAt,
        ...(raises && raises.length > 0 ? { raises } : {}),
        ...(minutes.length > 0 ? { minutes } : {}),
        ...(a.realarm !== null && a.realarm.count > 0 ? { realarmCount: a.realarm.count } : {}),
        ...(a.realarm !== null && a.realarm.at > 0 ? { alarmedAt: a.realarm.at } : {}),
      });
    }
    return { version: 1, savedAt: now, alarms };
  }

  /**
   * Restores saved alarms of rules that still exist. Pending on/off delays are not restored (the next value
   * re-evaluates them); timed shelving resumes with its remaining time or ends if it expired meanwhile.
   */
  importState(snapshot: unknown): number {
    if (typeof snapshot !== 'object' || snapshot === null) return 0;
    const list = (snapshot as { alarms?: unknown }).alarms;
    if (!Array.isArray(list)) return 0;
    const now = this.sched.now();
    let restored = 0;
    for (const item of list) {
      if (typeof item !== 'object' || item === null) continue;
      const s = item as Partial<SavedAlarm>;
      const rule = typeof s.rule === 'string' ? this.rulesById.get(s.rule) : undefined;
      if (!rule || typeof s.topic !== 'string') continue;
      const index = typeof s.index === 'number' || typeof s.index === 'string' ? s.index : null;
      const a = this.slotAlarm(rule, s.topic, index, now);
      if (!a) continue;
      a.active = s.active === true;
      a.acked = s.acked !== false;
      a.latched = s.latched === true && rule.latch;
      // pending delays are not restored: the condition is taken as the state shows it, so the next value
      // re-evaluates a raise or clear that was waiting for its delay
      a.condition = a.active && !a.latched;
      a.suppressed = s.suppressed === true;
      a.oos = s.oos === true;
      if (rule.kind === Kind.High || rule.kind === Kind.Low) a.num = typeof s.value === 'number' ? s.value : NaN;
      else a.value = s.value ?? null;
      a.valueAtRaise = s.valueAtRaise ?? null;
      a.valueAtClear = s.valueAtClear ?? null;
      a.since = typeof s.since === 'number' ? s.since : now;
      a.raisedAt = typeof s.raisedAt === 'number' ? s.raisedAt : 0;
      a.clearedAt = typeof s.clearedAt === 'number' ? s.clearedAt : 0;
      this.restoreRaises(a, s.raises, s.minutes);
      a.shelve = Shelve.None;
      if (s.shelve === Shelve.OneShot) a.shelve = Shelve.OneShot;
      else if (s.shelve === Shelve.Timed && typeof s.shelveUntil === 'number' && s.shelveUntil > now) {
        a.shelve = Shelve.Timed;
        a.shelveUntil = s.shelveUntil;
        this.armShelveExpiry(a, s.shelveUntil - now);
      }
      const count = typeof s.realarmCount === 'number' && Number.isInteger(s.realarmCount) && s.realarmCount > 0 ? s.realarmCount : 0;
      const at = typeof s.alarmedAt === 'number' && Number.isFinite(s.alarmedAt) ? s.alarmedAt : a.raisedAt;
      if (count > 0 || rule.realarmMs > 0) {
        const r = a.realarm ?? (a.realarm = new Realarm());
        r.count = count;
        r.at = at;
      }
      // the re-alarm keeps its pace across a restart or a msg.rules: the time left since the last annunciation,
      // at once if it fell due meanwhile
      if (a.active && !a.latched && !a.oos && rule.realarmMs > 0) {
        this.armRealarm(a, at > 0 ? at + rule.realarmMs - now : rule.realarmMs);
      }
      a.reported = stateOf(a);
      this.touch(a);
      restored++;
    }
    return restored;
  }

  /** Finds or creates the alarm of (rule, topic, index) through the topic plan, as a message would. */
  private slotAlarm(rule: CompiledRule, topic: string, index: AlarmIndex, now: number): AlarmRecord | null {
    const plan = this.plans.get(topic) ?? this.plan(topic);
    const slot = plan.find((s) => s.rule === rule);
    if (!slot) return null;
    if (index === null) {
      if (slot.elements !== null || slot.nested !== null) return null;
      return slot.scalar ?? (slot.scalar = this.create(slot, null, now));
    }
    if (typeof index === 'number' && slot.elements !== null) {
      return slot.elements[index] ?? (slot.elements[index] = this.create(slot, index, now));
    }
    if (slot.nested !== null) {
      const key = String(index);
      let a = slot.nested.get(key);
      if (!a) {
        a = this.create(slot, key, now);
        slot.nested.set(key, a);
      }
      return a;
    }
    return null;
  }

  /** Stops every timer; the engine ignores input afterwards. */
  close(): void {
    this.closed = true;
    for (const a of this.byId.values()) this.stopTimers(a);
  }
}

/** Equality for state rules, tolerant of how devices spell flags: `true`, 1 and "1" are the same contact. */
export function stateEquals(v: unknown, want: boolean | number | string | undefined): boolean {
  if (v === want) return true;
  if (typeof want === 'boolean') {
    if (typeof v === 'number') return (v !== 0) === want;
    if (typeof v === 'string') return v === String(want) || (v.trim() !== '' && Number(v) === (want ? 1 : 0));
    return false;
  }
  if (typeof want === 'number') {
    if (typeof v === 'boolean') return (v ? 1 : 0) === want;
    if (typeof v === 'string') return v.trim() !== '' && Number(v) === want;
    return false;
  }
  if (typeof want === 'string') return String(v) === want;
  return false;
}
