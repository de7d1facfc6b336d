import { expect } from 'chai';
import { scanBus } from '../../bin/scan';
import { JkSimulator } from '../../nodes/jk-bms/simulator';

describe('dcpower scan (against the JK simulator over TCP)', function () {
  this.timeout(30_000);
  it('finds exactly the packs present, with protocol and identity', async () => {
    const sim = new JkSimulator({ port: 0, packs: [2, 4], pacing: false, turnaroundMs: 1 });
    const { port } = await sim.start();
    try {
      const progress: number[] = [];
      const hits = await scanBus({
        link: { kind: 'tcp', host: '127.0.0.1', port: port as number },
        addresses: [1, 2, 3, 4, 5],
        protocol: 'auto',
        timeoutMs: 150,
        gapMs: 5,
        onProgress: (address) => progress.push(address),
      });
      expect(hits.map((h) => h.address)).to.deep.equal([2, 4]);
      expect(hits[0]).to.include({ protocol: 'jk02', model: 'JK_PB2A16S20P', cells: 16 });
      expect(progress).to.deep.equal([1, 2, 3, 4, 5]);
    } finally {
      await sim.stop();
    }
  });
});
