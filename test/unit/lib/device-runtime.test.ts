/**
 * The device runtime (lib/device/) with fake links and fake timers: per-device schedules (a dead device costs
 * only itself), errors once per device and kind, one status per change, the fleet summary, closing, the typed
 * link lookup and the one config-number rule.
 */
import { expect } from 'chai';
import * as sinon from 'sinon';
import { configNumber, configSeconds } from '../../../lib/config-number';
import { getLink, linkError, offerLink } from '../../../lib/device/links';
import { DeviceRuntime, fleetStatus, summarize, within } from '../../../lib/device/runtime';
import type { NodeStatus } from '../../../lib/status';
import { statusVocabulary } from '../../../lib/status';
import type { SnmpEndpoint } from '../../../lib/snmp/types';

class FakeNode {
  readonly statuses: NodeStatus[] = [];
  readonly errors: Array<{ err: Error; msg?: object }> = [];
  closeHandler: ((removed: boolean, done: () => void) => void) | undefined;
  status(s: NodeStatus): void {
    this.statuses.push(s);
  }
  error(err: Error, msg?: object): void {
    this.errors.push({ err, msg });
  }
  on(_event: 'close', handler: (removed: boolean, done: () => void) => void): void {
    this.closeHandler = handler;
  }
}

/** a link whose devices answer after `delayMs`, or never (a dead device times out after `timeoutMs`) */
class FakeLink {
  readonly polls = new Map<string, number>();
  readonly dead = new Set<string>();
  constructor(private readonly delayMs = 10, private readonly timeoutMs = 2000) {}
  read(device: string): Promise<number> {
    this.polls.set(device, (this.polls.get(device) ?? 0) + 1);
    const dead = this.dead.has(device);
    return new Promise((resolve, reject) => setTimeout(() => (dead ? reject(new Error(`${device}: no reply`)) : resolve(42)), dead ? this.timeoutMs : this.delayMs));
  }
}

const t = (key: string, subs?: Record<string, string | number>): string => (subs ? `${key} ${JSON.stringify(subs)}` : key);

describe('lib/device runtime', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => clock.restore());

  it('a dead device costs only itself: the live devices on the same link keep their interval', async () => {
    const node = new FakeNode();
    const runtime = new DeviceRuntime(node);
    const link = new FakeLink();
    link.dead.add('b');
    for (const device of ['a', 'b', 'c']) {
      runtime.schedule(
        device,
        async () => {
          try {
            await link.read(device);
            runtime.clear(device);
            return true;
          } catch (err) {
            runtime.report(device, '', err as Error);
            return false;
          }
        },
        { intervalMs: 1000, backoff: { initialMs: 1000, maxMs: 8000 } },
      );
    }
    await clock.tickAsync(20_000);
    // a live device: one poll per 1010 ms; the dead one: 2 s timeout plus its own growing back-off
    expect(link.polls.get('a')).to.be.at.least(19);
    expect(link.polls.get('c')).to.be.at.least(19);
    expect(link.polls.get('b')).to.be.at.most(5);
    expect(node.errors.map((e) => e.err.message), 'once per device and kind').to.deep.equal(['b: no reply']);
    await runtime.close();
  });

  it('never overlaps the polls of one device, and pollNow during a poll runs one more right after', async () => {
    const runtime = new DeviceRuntime(new FakeNode());
    let active = 0;
    let maxActive = 0;
    let polls = 0;
    runtime.schedule(
      'pack1',
      async () => {
        active++;
        polls++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 2500));
        active--;
        return true;
      },
      { intervalMs: 1000 },
    );
    await clock.tickAsync(100);
    runtime.pollNow('pack1');
    runtime.pollNow();
    await clock.tickAsync(5000);
    expect(maxActive).to.equal(1);
    expect(polls).to.equal(2); // the first, then one for both pollNow calls right after it
    await runtime.close();
  });

  it('bounds how many devices poll at once when asked (concurrency)', async () => {
    const runtime = new DeviceRuntime(new FakeNode(), { concurrency: 2 });
    let active = 0;
    let maxActive = 0;
    for (let i = 0; i < 6; i++) {
      runtime.schedule(
        `d${i}`,
        async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          await new Promise((r) => setTimeout(r, 100));
          active--;
          return true;
        },
        { intervalMs: 1000 },
      );
    }
    await clock.tickAsync(3000);
    expect(maxActive).to.equal(2);
    await runtime.close();
  });

  it('calls a device\'s own stale watchdog when it has had no good poll for staleMs', async () => {
    const runtime = new DeviceRuntime(new FakeNode());
    const stale: string[] = [];
    let good = true;
    runtime.schedule('a', async () => good, { intervalMs: 1000, staleMs: 3000, onStale: () => stale.push('a') });
    runtime.schedule('b', async () => true, { intervalMs: 1000, staleMs: 3000, onStale: () => stale.push('b') });
    await clock.tickAsync(2000);
    good = false;
    await clock.tickAsync(6000);
    expect(stale).to.deep.equal(['a']);
    await runtime.close();
  });

  it('reports an error once per device and kind, again after it cleared; a poll that throws is device/poll', async () => {
    const node = new FakeNode();
    const runtime = new DeviceRuntime(node, { errorMessage: (err, key) => ({ topic: `jk/${key}`, payload: err.message }) });
    expect(runtime.report('pack1', '', new Error('no reply'))).to.equal(true);
    expect(runtime.report('pack1', '', new Error('no reply'))).to.equal(false);
    expect(runtime.report('pack1', 'data', new Error('implausible'))).to.equal(true);
    expect(runtime.report('pack2', '', new Error('no reply'))).to.equal(true);
    runtime.clear('pack1');
    expect(runtime.hasError('pack1')).to.equal(false);
    expect(runtime.hasError('pack1', 'data')).to.equal(true);
    expect(runtime.report('pack1', '', new Error('no reply'))).to.equal(true);
    runtime.schedule('pack3', () => Promise.reject(new Error('boom')), { intervalMs: 1000 });
    await clock.tickAsync(3500);
    expect(node.errors.map((e) => (e.msg as { topic: string }).topic)).to.deep.equal(['jk/pack1', 'jk/pack1/data', 'jk/pack2', 'jk/pack1', 'jk/pack3/poll']);
    await runtime.close();
  });

  it('reports a setup error only after the flow has started (reportSoon)', async () => {
    const node = new FakeNode();
    const runtime = new DeviceRuntime(node);
    runtime.reportSoon('profile', '', new Error('bad profile'));
    expect(node.errors).to.have.length(0);
    await clock.tickAsync(300);
    expect(node.errors).to.have.length(1);
    await runtime.close();
  });

  it('shows a status only when it changes', async () => {
    const node = new FakeNode();
    const runtime = new DeviceRuntime(node);
    runtime.status({ fill: 'green', shape: 'dot', text: 'ok' });
    runtime.status({ fill: 'green', shape: 'dot', text: 'ok' });
    runtime.status({ fill: 'red', shape: 'ring', text: 'error' });
    expect(node.statuses).to.have.length(2);
    await runtime.close();
    runtime.status({ fill: 'green', shape: 'dot', text: 'ok' });
    expect(node.statuses, 'nothing after close').to.have.length(2);
  });

  it('closing stops every schedule and timer and runs every release once, even one that throws', async () => {
    const node = new FakeNode();
    const runtime = new DeviceRuntime(node);
    runtime.closeWith(node);
    let polls = 0;
    const released: string[] = [];
    runtime.schedule('a', async () => ++polls > 0, { intervalMs: 100, staleMs: 1000, onStale: () => released.push('stale') });
    runtime.timers.timeout(() => released.push('timer'), 5000);
    runtime.onClose(() => released.push('deregister'));
    runtime.onClose(() => {
      throw new Error('already gone');
    });
    runtime.onClose(async () => {
      released.push('unsubscribe');
    });
    await clock.tickAsync(250);
    let done = false;
    node.closeHandler?.(false, () => (done = true));
    await clock.tickAsync(0);
    expect(done).to.equal(true);
    const pollsAtClose = polls;
    await clock.tickAsync(10_000);
    expect(polls).to.equal(pollsAtClose);
    expect(released).to.deep.equal(['unsubscribe', 'deregister']);
    expect(runtime.timers.size).to.equal(0);
    expect(clock.countTimers()).to.equal(0);
  });

  it('within() settles after the bound when a release hangs', async () => {
    let settled = false;
    void within(2000, () => new Promise(() => undefined)).then(() => (settled = true));
    await clock.tickAsync(1999);
    expect(settled).to.equal(false);
    await clock.tickAsync(1);
    expect(settled).to.equal(true);
  });
});

describe('lib/device fleet summary', () => {
  const vocabulary = statusVocabulary(t);
  const texts = { detail: (good: number, total: number) => `${good}/${total}`, noneGood: () => vocabulary.error('no reply') };

  it('green when all are good, yellow with the count when some are, stale when none is but some were, else the node\'s own', () => {
    const now = 1_000_000;
    const all = summarize([{ quality: 'good', lastGood: now - 10 }, { quality: 'good', lastGood: now - 5 }], now);
    expect(all).to.include({ total: 2, good: 2, lastGoodAt: now - 5 });
    expect(fleetStatus(vocabulary, all, texts, now)).to.include({ fill: 'green', shape: 'dot' });
    const some = summarize([{ quality: 'good', lastGood: now }, { quality: 'comm_error', lastGood: 0 }], now);
    expect(fleetStatus(vocabulary, some, texts, now)).to.include({ fill: 'yellow', shape: 'dot' });
    expect(fleetStatus(vocabulary, some, texts, now)?.text).to.match(/1\/2/);
    const stale = summarize([{ quality: 'stale', lastGood: now - 40_000 }, { quality: 'comm_error', lastGood: now - 1000 }], now);
    expect(fleetStatus(vocabulary, stale, texts, now)?.text).to.contain('"age":40');
    const failed = summarize([{ quality: 'comm_error', lastGood: 0 }], now);
    expect(fleetStatus(vocabulary, failed, texts, now)).to.include({ fill: 'red', shape: 'ring' });
    expect(fleetStatus(vocabulary, summarize([], now), texts, now)).to.equal(undefined);
  });
});

describe('lib/device links', () => {
  const fakeEndpoint = { targets: () => [], get: async () => [], walk: async () => [], onTrap: () => () => undefined } as unknown as SnmpEndpoint;
  const nodes = new Map<string, object>();
  const RED = { nodes: { getNode: (id: string) => nodes.get(id) ?? null } } as unknown as Parameters<typeof getLink>[0];

  it('returns the typed link a config node offered under its kind, or why there is none', () => {
    const configNode = {};
    offerLink(configNode, 'snmp-endpoint', fakeEndpoint);
    nodes.set('sl', configNode);
    nodes.set('other', {});
    const found = getLink(RED, 'sl', 'snmp-endpoint');
    expect(found.ok && found.link).to.equal(fakeEndpoint);
    expect(getLink(RED, 'sl', 'modbus-endpoint')).to.deep.equal({ ok: false, problem: 'wrongKind' });
    expect(getLink(RED, 'other', 'snmp-endpoint')).to.deep.equal({ ok: false, problem: 'wrongKind' });
    expect(getLink(RED, 'gone', 'rs485-bus')).to.deep.equal({ ok: false, problem: 'missing' });
    expect(getLink(RED, '', 'rs485-bus')).to.deep.equal({ ok: false, problem: 'unset' });
    expect(getLink(RED, undefined, 'rs485-bus')).to.deep.equal({ ok: false, problem: 'unset' });
    expect(linkError(t, 'missing', 'rs485-bus').message).to.equal('common.errors.noLink');
    expect(linkError(t, 'wrongKind', 'rs485-bus').message).to.contain('common.errors.wrongLink');
  });
});

describe('lib/device configNumber: one rule for every dialog number', () => {
  it('not a finite number takes the fallback; out of range is clamped; integer rounds', () => {
    const limits = { fallback: 5, min: 0.2, max: 100 };
    expect(configNumber('10', limits)).to.equal(10);
    expect(configNumber(10, limits)).to.equal(10);
    for (const bad of [undefined, null, '', '  ', 'abc', NaN, Infinity, -Infinity, {}, [], true]) expect(configNumber(bad, limits), String(bad)).to.equal(5);
    expect(configNumber('0', limits)).to.equal(0.2);
    expect(configNumber(-3, limits)).to.equal(0.2);
    expect(configNumber('1e9', limits)).to.equal(100);
    expect(configNumber('2.6', { fallback: 1, integer: true })).to.equal(3);
    expect(configNumber(7, { fallback: 1 })).to.equal(7);
    expect(configSeconds('1.5', { fallback: 10, min: 1 })).to.equal(1500);
    expect(configSeconds('0.5', { fallback: 10, min: 1 })).to.equal(1000);
  });
});
