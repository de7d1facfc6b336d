import { expect } from 'chai';
import * as sinon from 'sinon';
import { LimitedReport, OVERFLOW_SOURCE, ReportLimiter } from '../../../lib/report-limiter';

describe('lib/report-limiter ReportLimiter', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => clock.restore());

  it('reports the first event of a source and kind at once and the rest as one count per window', () => {
    const out: LimitedReport[] = [];
    const limiter = new ReportLimiter((r) => out.push(r), { windowMs: 60_000 });
    for (let i = 0; i < 1000; i++) limiter.hit('10.0.0.1', 'malformed', `detail ${i}`);
    limiter.hit('10.0.0.1', 'community');
    expect(out).to.deep.equal([
      { source: '10.0.0.1', kind: 'malformed', count: 1, first: true, detail: 'detail 0' },
      { source: '10.0.0.1', kind: 'community', count: 1, first: true, detail: undefined },
    ]);
    clock.tick(60_000);
    expect(out.slice(2)).to.deep.equal([{ source: '10.0.0.1', kind: 'malformed', count: 999, first: false }]);
    // still active: counted, not news
    limiter.hit('10.0.0.1', 'malformed');
    clock.tick(60_000);
    expect(out.slice(3)).to.deep.equal([{ source: '10.0.0.1', kind: 'malformed', count: 1, first: false }]);
    // a quiet window forgets the key: the next event is reported at once again
    clock.tick(120_000);
    limiter.hit('10.0.0.1', 'malformed', 'again');
    expect(out[out.length - 1]).to.include({ first: true, detail: 'again' });
    limiter.close();
  });

  it('formats a detail only for a report it sends', () => {
    let calls = 0;
    const limiter = new ReportLimiter(() => undefined);
    for (let i = 0; i < 100; i++)
      limiter.hit('s', 'k', () => {
        calls++;
        return 'x';
      });
    expect(calls).to.equal(1);
    limiter.close();
  });

  it('stays bounded when every event has a new source (spoofed): past maxKeys they share one overflow source', () => {
    const out: LimitedReport[] = [];
    const limiter = new ReportLimiter((r) => out.push(r), { windowMs: 60_000, maxKeys: 8 });
    for (let i = 0; i < 10_000; i++) limiter.hit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i % 2 ? 'malformed' : 'community');
    expect(out).to.have.length(8 + 2);
    expect(out.slice(8).map((r) => r.source)).to.deep.equal([OVERFLOW_SOURCE, OVERFLOW_SOURCE]);
    expect(limiter.size).to.equal(10);
    limiter.close();
    const overflow = out.filter((r) => r.source === OVERFLOW_SOURCE && !r.first);
    expect(overflow.reduce((n, r) => n + r.count, 0)).to.equal(10_000 - 8 - 2);
  });

  it('close reports what is pending, stops its timer and ignores later events; a throwing reporter is contained', () => {
    const out: LimitedReport[] = [];
    let fail = true;
    const limiter = new ReportLimiter((r) => {
      if (fail) {
        fail = false;
        throw new Error('broken sink');
      }
      out.push(r);
    });
    limiter.hit('a', 'k');
    limiter.hit('a', 'k');
    limiter.hit('a', 'k');
    limiter.close();
    expect(out).to.deep.equal([{ source: 'a', kind: 'k', count: 2, first: false }]);
    limiter.hit('a', 'k');
    expect(clock.countTimers()).to.equal(0);
    expect(out).to.have.length(1);
  });
});
