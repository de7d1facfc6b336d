import { expect } from 'chai';
import * as sinon from 'sinon';
import { Poller } from '../../../lib/poller';

describe('lib/poller Poller', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => clock.restore());

  it('re-arms only after a poll completes, so polls never overlap', async () => {
    let active = 0;
    let maxActive = 0;
    let polls = 0;
    const poller = new Poller(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        polls++;
        await new Promise((r) => setTimeout(r, 2500)); // slower than the interval
        active--;
        return true;
      },
      { intervalMs: 1000 },
    );
    poller.start();
    await clock.tickAsync(10_000);
    poller.stop();
    expect(maxActive).to.equal(1);
    // each cycle = 2500 ms poll + 1000 ms interval
    expect(polls).to.equal(3);
  });

  it('poll now during a poll runs one more poll right after, not several', async () => {
    let polls = 0;
    const poller = new Poller(
      async () => {
        polls++;
        await new Promise((r) => setTimeout(r, 100));
        return true;
      },
      { intervalMs: 60_000 },
    );
    poller.start();
    await clock.tickAsync(10);
    poller.pollNow();
    poller.pollNow();
    poller.pollNow();
    await clock.tickAsync(300);
    poller.stop();
    expect(polls).to.equal(2);
  });

  it('backs off after failures and resets on success', async () => {
    const at: number[] = [];
    let good = false;
    const poller = new Poller(
      async () => {
        at.push(Date.now());
        return good;
      },
      { intervalMs: 1000, backoff: { initialMs: 1000, maxMs: 8000 } },
    );
    poller.start();
    await clock.tickAsync(1000 + 2000 + 4000 + 8000 + 8000 + 1);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(gaps).to.deep.equal([1000, 2000, 4000, 8000, 8000]);
    good = true;
    await clock.tickAsync(8000);
    const before = at.length;
    await clock.tickAsync(3000);
    expect(at.length - before).to.equal(3);
    poller.stop();
  });

  it('reports stale once when no good poll happened within the stale time', async () => {
    const stale: number[] = [];
    const poller = new Poller(async () => false, { intervalMs: 1000, staleMs: 5000, onStale: (age) => stale.push(age) });
    poller.start();
    await clock.tickAsync(20_000);
    poller.stop();
    expect(stale).to.have.length(1);
    expect(stale[0]).to.be.at.least(5000);
  });

  it('a throwing poll is reported and polling goes on', async () => {
    const errors: string[] = [];
    let polls = 0;
    const poller = new Poller(
      async () => {
        polls++;
        throw new Error('decoder bug');
      },
      { intervalMs: 1000, onError: (e) => errors.push(e.message) },
    );
    poller.start();
    await clock.tickAsync(3500);
    poller.stop();
    expect(polls).to.equal(4);
    expect(errors[0]).to.equal('decoder bug');
  });

  it('stop leaves no timer behind', async () => {
    const poller = new Poller(async () => true, { intervalMs: 1000, staleMs: 3000 });
    poller.start();
    await clock.tickAsync(2500);
    poller.stop();
    expect(clock.countTimers()).to.equal(0);
  });
});
