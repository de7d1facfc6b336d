import { expect } from 'chai';
import { scanBus } from '../../bin/scan';
import { JkSimulator } from '../../nodes/jk-bms/simulator';

describe('dcpower scan (against the JK simulator over TCP)', function () {
  this.timeout(30_000);
  it('finds exactly the packs present, with protocol and identity', async () => {
    const sim = new JkSimulator({ port: 0, packs: [2, 4], pacing: false, turnaroundMs: 1, protocols: ['jk02', 'jk-modbus'] });
    const { port } = await sim.start();
    try {
      const progress: Array<number | null> = [];
      const hits = await scanBus({
        link: { kind: 'tcp', host: '127.0.0.1', port: port as number },
        addresses: [1, 2, 3, 4, 5],
        protocol: 'auto',
        timeoutMs: 150,
        gapMs: 5,
        listenMs: 200,
        onProgress: (address) => progress.push(address),
      });
      expect(hits.map((h) => h.address)).to.deep.equal([2, 4]);
      expect(hits[0]).to.include({ protocol: 'jk02', model: 'JK_PB2A16S20P', cells: 16 });
      expect(progress).to.deep.equal([null, 1, 2, 3, 4, 5]);
    } finally {
      await sim.stop();
    }
  });

  it('probes NW with its defaults and lists one NW board once, whatever the addresses', async () => {
    const sim = new JkSimulator({ port: 0, packs: [1], pacing: false, turnaroundMs: 1, protocols: ['jk-nw'] });
    const { port } = await sim.start();
    try {
      const hits = await scanBus({ link: { kind: 'tcp', host: '127.0.0.1', port: port as number }, addresses: [1, 2, 3], protocol: 'auto', timeoutMs: 150, gapMs: 5, listenMs: 100 });
      expect(hits).to.have.length(1);
      expect(hits[0]).to.include({ address: null, protocol: 'jk-nw', cells: 16 });
      const forced = await scanBus({ link: { kind: 'tcp', host: '127.0.0.1', port: port as number }, addresses: [1, 2, 3], protocol: 'jk-nw', timeoutMs: 150, gapMs: 5, listenMs: 0 });
      expect(forced).to.have.length(1);
    } finally {
      await sim.stop();
    }
  });

  it('listens first: with a JK-PB master talking it sends nothing and lists the packs it hears', async () => {
    const sim = new JkSimulator({ port: 0, packs: [0, 3], pacing: false, turnaroundMs: 1, masterCycleMs: 300 });
    const { port } = await sim.start();
    try {
      const hits = await scanBus({ link: { kind: 'tcp', host: '127.0.0.1', port: port as number }, addresses: [1, 2, 3], protocol: 'auto', timeoutMs: 150, gapMs: 5, listenMs: 1000 });
      expect(sim.stats.requests, 'nothing sent').to.equal(0);
      expect(hits.map((h) => h.address)).to.deep.equal([0, 3]);
      expect(hits[0]).to.include({ protocol: 'jk02', listened: true });
    } finally {
      await sim.stop();
    }
  });
});
