import { expect } from 'chai';
import { QueueClosedError, QueueFullError, RequestTimeoutError, WorkQueue } from '../../../lib/fifo';

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('lib/fifo WorkQueue', () => {
  it('runs tasks one at a time in order', async () => {
    const queue = new WorkQueue({ capacity: 10 });
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick(5);
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([queue.enqueue(task('a')), queue.enqueue(task('b')), queue.enqueue(task('c'))]);
    expect(results).to.deep.equal(['a', 'b', 'c']);
    expect(log).to.deep.equal(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    queue.close();
  });

  it('refuses work beyond its capacity instead of growing', async () => {
    const queue = new WorkQueue({ capacity: 2 });
    const slow = () => tick(20);
    const running = queue.enqueue(slow);
    const waiting = [queue.enqueue(slow), queue.enqueue(slow)];
    let refused: unknown;
    await queue.enqueue(slow).catch((err) => (refused = err));
    expect(refused).to.be.instanceOf(QueueFullError);
    await Promise.all([running, ...waiting]);
    queue.close();
  });

  it('a task that never answers costs one timeout and the next task still runs', async () => {
    const queue = new WorkQueue({ capacity: 5, timeoutMs: 30 });
    let aborted = false;
    const dead = queue.enqueue(
      (signal) =>
        new Promise<string>(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
      { label: 'pack 3' },
    );
    const alive = queue.enqueue(async () => 'pack 4 data');
    let failure: unknown;
    await dead.catch((err) => (failure = err));
    expect(failure).to.be.instanceOf(RequestTimeoutError);
    expect((failure as Error).message).to.contain('pack 3');
    expect(aborted).to.equal(true);
    expect(await alive).to.equal('pack 4 data');
    queue.close();
  });

  it('coalesces identical waiting requests by key', async () => {
    const queue = new WorkQueue({ capacity: 5 });
    let calls = 0;
    const blocker = queue.enqueue(() => tick(10));
    const a = queue.enqueue(async () => ++calls, { key: 'poll 1' });
    const b = queue.enqueue(async () => ++calls, { key: 'poll 1' });
    expect(a).to.equal(b);
    await Promise.all([blocker, a, b]);
    expect(calls).to.equal(1);
    queue.close();
  });

  it('keeps the configured gap between requests', async () => {
    const queue = new WorkQueue({ capacity: 5, gapMs: 25 });
    const starts: number[] = [];
    await Promise.all([1, 2, 3].map(() => queue.enqueue(async () => starts.push(Date.now()))));
    expect(starts[1] - starts[0]).to.be.at.least(20);
    expect(starts[2] - starts[1]).to.be.at.least(20);
    queue.close();
  });

  it('rejects waiting requests on close and refuses new ones', async () => {
    const queue = new WorkQueue({ capacity: 5 });
    const running = queue.enqueue(() => tick(10));
    const waiting = queue.enqueue(async () => 1);
    queue.close();
    let err: unknown;
    await waiting.catch((e) => (err = e));
    expect(err).to.be.instanceOf(QueueClosedError);
    await queue.enqueue(async () => 1).catch((e) => (err = e));
    expect(err).to.be.instanceOf(QueueClosedError);
    await running;
  });

  it('turns a synchronous throw in a task into a rejection', async () => {
    const queue = new WorkQueue({ capacity: 5 });
    let err: unknown;
    await queue
      .enqueue(() => {
        throw new Error('boom');
      })
      .catch((e) => (err = e));
    expect((err as Error).message).to.equal('boom');
    expect(await queue.enqueue(async () => 'next')).to.equal('next');
    queue.close();
  });
});
