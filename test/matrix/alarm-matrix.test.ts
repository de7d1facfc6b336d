/**
 * The alarm outcome matrix (test/matrix/cases.ts) through the engine: for every rule of every preset, its raise
 * case raises it, its clear case (after the raise) clears it with a text that says so, and its quiet case — a normal
 * operating point of the device — raises nothing, delays included (an injected clock runs them). The rules are the
 * presets' own objects, one engine per rule, so a case proves that rule and no other.
 */
import { expect } from 'chai';
import { readFileSync } from 'fs';
import * as path from 'path';
import { AlarmEngine, type AlarmEvent, type Scheduler } from '../../nodes/alarm-rules/engine';
import { compilePath } from '../../nodes/alarm-rules/path';
import { PRESETS } from '../helpers/presets';
import type { AlarmRuleConfig } from '../../lib/alarm-types';
import { matrixCases, ruleOf, type Case, type Input } from './cases';
import { renderMatrix } from './render';
import { EXAMPLE_PRESETS, EXAMPLES_DIR, syncedExample } from './examples';
import { findPreset } from '../helpers/presets';

/** A clock the test moves: timers fire when advance() passes them. */
class ManualClock implements Scheduler {
  private t = 1_700_000_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
}

/** A message that carries `input` where the rule's path reads. */
export function messageFor(rule: AlarmRuleConfig, input: Input): Record<string, unknown> {
  const compiled = compilePath(rule.path);
  if (!compiled.ok) throw new Error(compiled.error);
  const p = compiled.path;
  const topic = rule.topic ? rule.topic.replace(/\*/g, 'x') : 'site/device';
  const msg: Record<string, unknown> = { topic, payload: {}, quality: 'good' };
  let value: unknown = input;
  if (p.each !== null) {
    if (!Array.isArray(input)) throw new Error(`${rule.id}: a wildcard path needs an array input`);
    const rest = p.each.keys;
    value = input.map((v) => rest.reduceRight<unknown>((inner, key) => ({ [key]: inner }), v));
  }
  let target: Record<string, unknown> = msg;
  p.keys.forEach((key, i) => {
    if (i === p.keys.length - 1) target[String(key)] = value;
    else {
      const nextTarget = (target[String(key)] as Record<string, unknown> | undefined) ?? {};
      target[String(key)] = nextTarget;
      target = nextTarget;
    }
  });
  return msg;
}

interface Run {
  engine: AlarmEngine;
  clock: ManualClock;
  events: AlarmEvent[];
  feed(c: Case): void;
}

function run(rule: AlarmRuleConfig): Run {
  const clock = new ManualClock();
  const events: AlarmEvent[] = [];
  const engine = new AlarmEngine([{ ...rule, disabled: undefined }], { scheduler: clock, onEvents: (e) => events.push(...e) });
  const wait = Math.max(rule.onDelay ?? 0, rule.offDelay ?? 0) * 1000 + 1000;
  return {
    engine,
    clock,
    events,
    feed(c: Case): void {
      // the value holds for the delays, as a device polled every few seconds would report it
      const msg = messageFor(rule, c.input);
      events.push(...engine.process(msg));
      clock.advance(wait);
      events.push(...engine.process(messageFor(rule, c.input)));
    },
  };
}

function activeIds(engine: AlarmEngine): string[] {
  return engine.table(true).rows.filter((r) => r.active).map((r) => String(r.index === null ? '-' : Number(r.index) + 1));
}

const CASES = matrixCases();

describe('alarm outcome matrix (engine)', () => {
  it('has a raise, a clear and a quiet case for every rule of every preset, each with a source', () => {
    const have = new Set(CASES.map((c) => `${c.preset}/${c.rule}`));
    const want = PRESETS.flatMap((p) => p.rules.map((r) => `${p.id}/${r.id}`));
    expect([...have].sort()).to.deep.equal([...want].sort());
    expect(CASES).to.have.length(want.length);
    for (const c of CASES) for (const k of ['raise', 'clear', 'quiet'] as const) expect(c[k].source.ref, `${c.rule} ${k}`).to.not.equal('');
  });

  for (const c of CASES) {
    describe(`${c.preset} / ${c.rule}`, () => {
      const rule = ruleOf(c.preset, c.rule);

      it(`raises: ${c.raise.what}`, () => {
        const r = run(rule);
        r.feed(c.raise);
        const raised = r.events.filter((e) => e.event === 'raise');
        expect(raised, 'one raise').to.have.length(c.raise.element === undefined ? 1 : raised.length);
        expect(raised.length).to.be.greaterThan(0);
        if (c.raise.element !== undefined) expect(activeIds(r.engine)).to.deep.equal([String(c.raise.element)]);
        for (const e of raised) expect(e.text, 'raise wording').to.not.match(/cleared/);
        if (c.raise.element !== undefined) expect(raised[0].text, '1-based number').to.match(new RegExp(` ${c.raise.element}(:| |$)`));
      });

      it(`clears: ${c.clear.what}`, () => {
        const r = run(rule);
        r.feed(c.raise);
        r.events.length = 0;
        r.feed(c.clear);
        expect(activeIds(r.engine), 'nothing active').to.deep.equal([]);
        const cleared = r.events.filter((e) => e.event === 'clear');
        expect(cleared.length, 'a clear event').to.be.greaterThan(0);
        for (const e of cleared) expect(e.text, 'a clear says it cleared').to.match(/cleared/);
      });

      it(`stays quiet: ${c.quiet.what}`, () => {
        const r = run(rule);
        r.feed(c.quiet);
        r.feed(c.quiet);
        expect(r.events.filter((e) => e.event === 'raise'), 'no raise').to.deep.equal([]);
        expect(activeIds(r.engine)).to.deep.equal([]);
      });
    });
  }

  it('docs/alarm-matrix.md is what the data generates (npm run build && node scripts/alarm-matrix.js)', () => {
    const committed = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'alarm-matrix.md'), 'utf8');
    expect(committed === renderMatrix(), 'docs/alarm-matrix.md differs from the matrix data: regenerate it').to.equal(true);
  });

  describe('example flows carry the presets\' own rules (node scripts/sync-examples.js writes them)', () => {
    for (const e of EXAMPLE_PRESETS) {
      it(`${e.file} ${e.node} = preset ${e.preset}`, () => {
        const flow = JSON.parse(readFileSync(path.join(EXAMPLES_DIR, e.file), 'utf8')) as Array<{ id: string; rules?: unknown }>;
        expect(flow.find((n) => n.id === e.node)?.rules).to.deep.equal(findPreset(e.preset)?.rules);
        expect(readFileSync(path.join(EXAMPLES_DIR, e.file), 'utf8') === syncedExample(e.file), 'file as the script writes it').to.equal(true);
      });
    }
  });
});
