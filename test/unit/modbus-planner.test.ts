import { expect } from 'chai';
import { minimumRequests, normalizeRanges, planReads, RegisterRange } from '../../lib/wire/modbus-planner';

/** Independent oracle: every split of the sorted wanted addresses into consecutive groups. */
function bruteForce(addresses: number[], maxCount: number, maxGap = Infinity): { requests: number; registers: number } {
  const n = addresses.length;
  let best = { requests: Infinity, registers: Infinity };
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    let requests = 0;
    let registers = 0;
    let start = 0;
    let feasible = true;
    for (let i = 0; i < n && feasible; i++) {
      const cut = i === n - 1 || (mask & (1 << i)) !== 0;
      if (i > start && addresses[i] - addresses[i - 1] - 1 > maxGap) feasible = false;
      if (!cut) continue;
      const span = addresses[i] - addresses[start] + 1;
      if (span > maxCount) feasible = false;
      requests++;
      registers += span;
      start = i + 1;
    }
    if (!feasible) continue;
    if (requests < best.requests || (requests === best.requests && registers < best.registers)) best = { requests, registers };
  }
  return best;
}

function covered(plan: RegisterRange[], address: number): boolean {
  return plan.some((r) => address >= r.address && address < r.address + r.count);
}

/** deterministic pseudo-random numbers so a failure can be reproduced */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

describe('modbus planner', () => {
  it('merges overlapping and adjacent ranges and drops empty ones', () => {
    expect(normalizeRanges([{ address: 10, count: 5 }, { address: 15, count: 2 }, { address: 12, count: 1 }, { address: 3, count: 0 }])).to.deep.equal([
      { address: 10, count: 7 },
    ]);
  });

  it('returns no reads for nothing wanted', () => {
    expect(planReads([])).to.deep.equal([]);
    expect(minimumRequests([])).to.equal(0);
  });

  it('bridges a gap when that saves a request', () => {
    const plan = planReads([{ address: 1000, count: 5 }, { address: 1010, count: 50 }]);
    expect(plan.map(({ address, count }) => ({ address, count }))).to.deep.equal([{ address: 1000, count: 60 }]);
    expect(plan[0].wanted).to.deep.equal([{ address: 1000, count: 5 }, { address: 1010, count: 50 }]);
  });

  it('does not bridge a gap that cannot save a request', () => {
    // 1000..1004 and 1200..1204 cannot share a 125-register read
    const plan = planReads([{ address: 1000, count: 5 }, { address: 1200, count: 5 }]);
    expect(plan.map(({ address, count }) => ({ address, count }))).to.deep.equal([
      { address: 1000, count: 5 },
      { address: 1200, count: 5 },
    ]);
  });

  it('never reads more than 125 registers and splits long ranges into the minimum', () => {
    const plan = planReads([{ address: 0, count: 1000 }]);
    expect(plan).to.have.length(8);
    expect(plan.every((r) => r.count <= 125)).to.equal(true);
    expect(plan.reduce((sum, r) => sum + r.count, 0)).to.equal(1000);
  });

  it('respects maxGap (0 = never read an unwanted register)', () => {
    const plan = planReads([{ address: 0, count: 2 }, { address: 4, count: 2 }], { maxGap: 0 });
    expect(plan.map((r) => [r.address, r.count])).to.deep.equal([
      [0, 2],
      [4, 2],
    ]);
    const bridged = planReads([{ address: 0, count: 2 }, { address: 4, count: 2 }], { maxGap: 2 });
    expect(bridged.map((r) => [r.address, r.count])).to.deep.equal([[0, 6]]);
  });

  it('among plans with the fewest requests, reads the fewest registers', () => {
    // Greedy left-aligned windows would read 0..12 and 13 (14 registers); 0 and 10..13 (5 registers) also
    // takes two requests, so the planner must pick that.
    const wanted = [0, 10, 11, 12, 13];
    const plan = planReads(wanted.map((a) => ({ address: a, count: 1 })), { maxCount: 13 });
    expect(plan.map((r) => [r.address, r.count])).to.deep.equal([
      [0, 1],
      [10, 4],
    ]);
  });

  it('is provably minimal: matches exhaustive search on 2000 random cases', () => {
    const random = lcg(42);
    for (let t = 0; t < 2000; t++) {
      const maxCount = 2 + Math.floor(random() * 12);
      const maxGap = random() < 0.3 ? Math.floor(random() * 4) : Infinity;
      const set = new Set<number>();
      const size = 1 + Math.floor(random() * 12);
      while (set.size < size) set.add(Math.floor(random() * 60));
      const wanted = [...set].sort((a, b) => a - b);
      const ranges = wanted.map((a) => ({ address: a, count: 1 }));
      const plan = planReads(ranges, { maxCount, maxGap });
      const best = bruteForce(wanted, maxCount, maxGap);
      const label = JSON.stringify({ wanted, maxCount, maxGap });
      expect(plan.length, label).to.equal(best.requests);
      expect(plan.reduce((s, r) => s + r.count, 0), label).to.equal(best.registers);
      expect(minimumRequests(ranges, { maxCount, maxGap }), label).to.equal(best.requests);
      for (const a of wanted) expect(covered(plan, a), label).to.equal(true);
      for (const r of plan) {
        expect(r.count, label).to.be.at.most(maxCount);
        expect(set.has(r.address) && set.has(r.address + r.count - 1), label).to.equal(true);
      }
    }
  });

  describe('a 512-module BACS system', () => {
    // general block 1000-1004, ten string blocks 1010-1059, and a module block of 512 modules whose layout is
    // configurable: here 6 fields wanted out of a stride of 8 (gaps inside every module)
    const general = { address: 1000, count: 5 };
    const strings = { address: 1010, count: 50 };
    const modules: RegisterRange[] = [];
    for (let m = 0; m < 512; m++) modules.push({ address: 2000 + m * 8, count: 6 });
    const ranges = [general, strings, ...modules];

    it('reads everything in exactly the minimum number of requests', () => {
      const plan = planReads(ranges);
      // 4096 module registers from 2000 to 6093 (the last two of the last module are not wanted)
      const moduleSpan = 511 * 8 + 6;
      expect(plan).to.have.length(1 + Math.ceil(moduleSpan / 125));
      expect(plan).to.have.length(minimumRequests(ranges));
      for (const r of ranges) for (let a = r.address; a < r.address + r.count; a++) expect(covered(plan, a)).to.equal(true);
      expect(plan.every((r) => r.count <= 125)).to.equal(true);
    });

    it('with a stride equal to the fields (no gaps) needs ceil(registers / 125) reads', () => {
      const dense: RegisterRange[] = [];
      for (let m = 0; m < 512; m++) dense.push({ address: 2000 + m * 5, count: 5 });
      const plan = planReads([general, strings, ...dense]);
      expect(plan).to.have.length(1 + Math.ceil((512 * 5) / 125));
    });

    it('without bridging costs one read per module field group', () => {
      const plan = planReads(ranges, { maxGap: 0 });
      expect(plan).to.have.length(2 + 512);
      expect(minimumRequests(ranges, { maxGap: 0 })).to.equal(514);
    });

    it('plans 512 modules fast enough to do every poll', () => {
      const started = process.hrtime.bigint();
      planReads(ranges);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      expect(ms).to.be.below(2000);
    });
  });
});
