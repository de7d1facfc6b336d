/**
 * Validation and compilation of alarm rules. Everything that can be decided once per rule (path keys, topic
 * matcher, clear level, delays in ms, message template) is decided here, so the engine's hot path only
 * compares numbers. A malformed rule is refused with its id (or position) in the message.
 */
import type { AlarmRuleConfig, AlarmSeverity, RuleAggregate, RuleReference, RuleType } from '../../lib/alarm-types';
import { CompiledPath, compilePath, compileTopicFilter } from './path';

export const SEVERITIES: readonly AlarmSeverity[] = ['critical', 'major', 'minor', 'warning'];
export const RULE_TYPES: readonly RuleType[] = ['high', 'low', 'state', 'stale'];
export const AGGREGATES: readonly RuleAggregate[] = ['max', 'min', 'mean', 'spread'];
export const REFERENCES: readonly RuleReference[] = ['median'];

export const enum Kind {
  High = 0,
  Low = 1,
  State = 2,
  Stale = 3,
}

export const enum Agg {
  None = 0,
  Max = 1,
  Min = 2,
  Mean = 3,
  Spread = 4,
}

/** A template split into literal text and field names. */
export type Template = Array<{ text: string } | { field: string }>;

export interface CompiledRule {
  config: AlarmRuleConfig;
  id: string;
  name: string;
  severity: AlarmSeverity;
  kind: Kind;
  path: CompiledPath;
  aggregate: Agg;
  /** per-element deviation in percent from the median of the array, instead of the element itself */
  median: boolean;
  /** the path reads the message's own `quality`: a communication rule, evaluated while the source is lost */
  readsQuality: boolean;
  matchTopic: ((topic: string) => boolean) | null;
  alarmValue: number;
  /** level at which an active high/low alarm returns; NaN for state/stale */
  clearValue: number;
  /** true when there is no hysteresis: clear strictly inside the alarm value so one value cannot be both */
  clearStrict: boolean;
  strict: boolean;
  stateValue: boolean | number | string | undefined;
  staleMs: number;
  onDelayMs: number;
  offDelayMs: number;
  realarmMs: number;
  latch: boolean;
  requireAck: boolean;
  unit: string;
  /** the text while active (and latched) */
  template: Template;
  /** the text once cleared */
  clearTemplate: Template;
  /** the text of an alarm that has never been raised (the full table) */
  normalTemplate: Template;
}

export type CompileResult = { ok: true; rules: CompiledRule[] } | { ok: false; error: string; ruleId?: string };

// {{number}} counts elements from 1, as device screens number cells and blocks; {{index}} stays 0-based for flows
const DEFAULT_TEMPLATES: Record<RuleType, string> = {
  high: '{{name}} {{number}}: {{value}} {{unit}} above {{alarmValue}} {{unit}}',
  low: '{{name}} {{number}}: {{value}} {{unit}} below {{alarmValue}} {{unit}}',
  state: '{{name}} {{number}}: {{value}}',
  stale: '{{name}} {{number}}: no value for {{staleTime}} s',
};

const DEFAULT_CLEAR: Record<RuleType, string> = {
  high: '{{name}} {{number}} cleared: {{value}} {{unit}}',
  low: '{{name}} {{number}} cleared: {{value}} {{unit}}',
  state: '{{name}} {{number}} cleared: {{value}}',
  stale: '{{name}} {{number}} cleared: values again',
};

const DEFAULT_NORMAL: Record<RuleType, string> = {
  high: '{{name}} {{number}}: {{value}} {{unit}}',
  low: '{{name}} {{number}}: {{value}} {{unit}}',
  state: '{{name}} {{number}}: {{value}}',
  stale: '{{name}} {{number}}',
};

/** reference rules compare a percent deviation; the texts show the reading and the reference too */
const MEDIAN_TEMPLATES = {
  high: '{{name}} {{number}}: {{reading}}, {{value}} % above the median {{reference}}',
  low: '{{name}} {{number}}: {{reading}}, {{value}} % below the median {{reference}}',
  clear: '{{name}} {{number}} cleared: {{reading}}, {{value}} % from the median {{reference}}',
  normal: '{{name}} {{number}}: {{reading}}, {{value}} % from the median {{reference}}',
};

export function compileTemplate(text: string): Template {
  const out: Template = [];
  const re = /\{\{\s*([A-Za-z]+)\s*\}\}/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ field: m[1] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optNumber(r: Record<string, unknown>, key: string, label: string, problems: string[]): number | undefined {
  const v = r[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    problems.push(`${key} must be a finite number (got ${JSON.stringify(v)})`);
    return undefined;
  }
  void label;
  return n;
}

function optSeconds(r: Record<string, unknown>, key: string, problems: string[]): number {
  const n = optNumber(r, key, key, problems);
  if (n === undefined) return 0;
  if (n < 0) {
    problems.push(`${key} must not be negative`);
    return 0;
  }
  return Math.round(n * 1000);
}

function optBool(r: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = r[key];
  if (v === undefined || v === null || v === '') return dflt;
  return v === true || v === 'true' || v === 1;
}

/** Describes the rule in an error message: its id, else its position. */
function ruleLabel(r: unknown, index: number): string {
  if (isRecord(r) && typeof r.id === 'string' && r.id.trim() !== '') return `rule "${r.id}"`;
  return `rule #${index + 1}`;
}

/** Checks one rule; returns the problems found (empty when valid) and the compiled rule. */
export function compileRule(raw: unknown, index: number): { rule?: CompiledRule; problems: string[] } {
  const problems: string[] = [];
  if (!isRecord(raw)) return { problems: ['is not an object'] };
  const id = typeof raw.id === 'string' ? raw.id.trim() : '';
  if (id === '') problems.push('has no id');
  else if (/[\s/]/.test(id)) problems.push('id must not contain spaces or "/"');
  const name = typeof raw.name === 'string' && raw.name.trim() !== '' ? raw.name : id;
  const severity = raw.severity === undefined || raw.severity === '' ? 'warning' : raw.severity;
  if (!SEVERITIES.includes(severity as AlarmSeverity)) problems.push(`severity must be one of ${SEVERITIES.join(', ')}`);
  const type = raw.type;
  if (!RULE_TYPES.includes(type as RuleType)) problems.push(`type must be one of ${RULE_TYPES.join(', ')}`);
  const pathText = typeof raw.path === 'string' ? raw.path : '';
  const pathRes = compilePath(pathText === '' ? 'payload' : pathText);
  if (!pathRes.ok) problems.push(pathRes.error);
  if (raw.topic !== undefined && typeof raw.topic !== 'string') problems.push('topic must be a string');
  let aggregate = Agg.None;
  if (raw.aggregate !== undefined && raw.aggregate !== '' && raw.aggregate !== null) {
    const a = AGGREGATES.indexOf(raw.aggregate as RuleAggregate);
    if (a < 0) problems.push(`aggregate must be one of ${AGGREGATES.join(', ')}`);
    else aggregate = (a + 1) as Agg;
    if (pathRes.ok && pathRes.path.wildcards !== 1) problems.push('aggregate needs a path with exactly one [*]');
    if (type === 'state' || type === 'stale') problems.push(`aggregate does not apply to a ${String(type)} rule`);
  }
  let median = false;
  if (raw.reference !== undefined && raw.reference !== '' && raw.reference !== null) {
    if (!REFERENCES.includes(raw.reference as RuleReference)) problems.push(`reference must be one of ${REFERENCES.join(', ')}`);
    else median = true;
    if (pathRes.ok && pathRes.path.wildcards !== 1) problems.push('reference needs a path with exactly one [*]');
    if (type !== 'high' && type !== 'low') problems.push('reference applies to high and low rules only');
    if (aggregate !== Agg.None) problems.push('reference and aggregate exclude each other (one alarm per element against the median)');
  }
  const alarmValue = optNumber(raw, 'alarmValue', 'alarmValue', problems);
  const explicitClear = optNumber(raw, 'clearValue', 'clearValue', problems);
  const deadband = optNumber(raw, 'deadband', 'deadband', problems);
  const rangeMin = optNumber(raw, 'rangeMin', 'rangeMin', problems);
  const rangeMax = optNumber(raw, 'rangeMax', 'rangeMax', problems);
  let clearValue = NaN;
  let clearStrict = false;
  if (type === 'high' || type === 'low') {
    if (alarmValue === undefined) problems.push(`a ${type} rule needs an alarmValue`);
    else {
      const high = type === 'high';
      if (explicitClear !== undefined) {
        if (high ? explicitClear > alarmValue : explicitClear < alarmValue) {
          problems.push(
            `clearValue ${explicitClear} is on the wrong side of alarmValue ${alarmValue}: a ${type} alarm clears ` +
              (high ? 'at or below' : 'at or above') + ' its alarm value',
          );
        }
        clearValue = explicitClear;
      } else if (deadband !== undefined && deadband !== 0) {
        if (deadband < 0) problems.push('deadband must not be negative');
        let band = deadband;
        if (raw.deadbandMode === 'percent') {
          if (rangeMin === undefined || rangeMax === undefined || !(rangeMax > rangeMin)) {
            problems.push('a percent deadband needs rangeMin < rangeMax');
          } else band = ((rangeMax - rangeMin) * deadband) / 100;
        } else if (raw.deadbandMode !== undefined && raw.deadbandMode !== 'absolute' && raw.deadbandMode !== '') {
          problems.push('deadbandMode must be absolute or percent');
        }
        clearValue = high ? alarmValue - band : alarmValue + band;
      } else clearValue = alarmValue;
      clearStrict = clearValue === alarmValue;
    }
  }
  let stateValue: boolean | number | string | undefined;
  if (type === 'state') {
    const sv = raw.stateValue;
    if (typeof sv === 'boolean' || typeof sv === 'string' || (typeof sv === 'number' && Number.isFinite(sv))) stateValue = sv;
    else problems.push('a state rule needs a stateValue (boolean, number or string)');
  }
  let staleMs = 0;
  if (type === 'stale') {
    staleMs = optSeconds(raw, 'staleTime', problems);
    if (staleMs <= 0) problems.push('a stale rule needs a staleTime above 0 s');
  }
  const onDelayMs = optSeconds(raw, 'onDelay', problems);
  const offDelayMs = optSeconds(raw, 'offDelay', problems);
  const realarmMs = optSeconds(raw, 'realarm', problems);
  if (raw.message !== undefined && typeof raw.message !== 'string') problems.push('message must be a string');
  if (raw.clearMessage !== undefined && typeof raw.clearMessage !== 'string') problems.push('clearMessage must be a string');
  if (raw.unit !== undefined && typeof raw.unit !== 'string') problems.push('unit must be a string');
  if (problems.length > 0 || !pathRes.ok) return { problems };
  const ruleType = type as RuleType;
  const raiseDefault = median ? (ruleType === 'low' ? MEDIAN_TEMPLATES.low : MEDIAN_TEMPLATES.high) : DEFAULT_TEMPLATES[ruleType];
  const message = typeof raw.message === 'string' && raw.message.trim() !== '' ? raw.message : raiseDefault;
  const clearMessage =
    typeof raw.clearMessage === 'string' && raw.clearMessage.trim() !== '' ? raw.clearMessage : median ? MEDIAN_TEMPLATES.clear : DEFAULT_CLEAR[ruleType];
  const rule: CompiledRule = {
    config: raw as unknown as AlarmRuleConfig,
    id,
    name: String(name),
    severity: severity as AlarmSeverity,
    kind: RULE_TYPES.indexOf(ruleType) as Kind,
    path: pathRes.path,
    aggregate,
    median,
    readsQuality: pathRes.path.keys[0] === 'quality',
    matchTopic: compileTopicFilter(raw.topic as string | undefined),
    alarmValue: alarmValue ?? NaN,
    clearValue,
    clearStrict,
    strict: optBool(raw, 'strict', false),
    stateValue,
    staleMs,
    onDelayMs,
    offDelayMs,
    realarmMs,
    latch: optBool(raw, 'latch', false),
    requireAck: optBool(raw, 'requireAck', true),
    unit: typeof raw.unit === 'string' ? raw.unit : '',
    template: compileTemplate(message),
    clearTemplate: compileTemplate(clearMessage),
    normalTemplate: compileTemplate(median ? MEDIAN_TEMPLATES.normal : DEFAULT_NORMAL[ruleType]),
  };
  COMPILED.add(rule);
  return { rule, problems };
}

/** Rules this module compiled; anything else (a message that merely looks compiled) is compiled again. */
const COMPILED = new WeakSet<object>();

export function isCompiledRule(r: unknown): r is CompiledRule {
  return typeof r === 'object' && r !== null && COMPILED.has(r);
}

/** Compiles a whole rule list; the first malformed rule refuses the list, naming the rule. */
export function compileRules(raw: unknown): CompileResult {
  if (!Array.isArray(raw)) return { ok: false, error: 'rules must be an array of rule objects' };
  const rules: CompiledRule[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const { rule, problems } = compileRule(raw[i], i);
    const label = ruleLabel(raw[i], i);
    if (!rule) return { ok: false, error: `${label}: ${problems.join('; ')}`, ruleId: isRecord(raw[i]) ? String(raw[i].id ?? '') : undefined };
    if (seen.has(rule.id)) return { ok: false, error: `${label}: duplicate id`, ruleId: rule.id };
    seen.add(rule.id);
    if (rule.config.disabled === true) continue;
    rules.push(rule);
  }
  return { ok: true, rules };
}
