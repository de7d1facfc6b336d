/**
 * `dcpower decode` as users run it: the built CLI in a child process, every captured vector, JSON output
 * checked against the same expectations as the codec test; a bad checksum prints an error and exits non-zero.
 */
import { expect } from 'chai';
import { execFile } from 'child_process';
import * as path from 'path';
import { checkVector, loadVectors, PROTOCOL_OF, Vector } from '../unit/jk-vectors';

const DCPOWER = path.resolve(__dirname, '..', '..', 'bin', 'dcpower.js');

function dcpower(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DCPOWER, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function args(v: Vector, hex: string): string[] {
  const out = ['decode', PROTOCOL_OF[v.protocol], hex, '--json'];
  if (v.request_hex) out.push('--request', v.request_hex);
  return out;
}

describe('dcpower decode (built CLI)', function () {
  this.timeout(120_000);
  const vectors = loadVectors();

  it('decodes every captured vector to its expected values', async () => {
    // a few at a time: each is a node process
    const queue = [...vectors];
    const failures: string[] = [];
    const worker = async () => {
      for (let v = queue.shift(); v; v = queue.shift()) {
        const hex = v.hex + (v.ack_hex_separate ?? '');
        const res = await dcpower(args(v, hex));
        try {
          expect(res.code, res.stderr).to.equal(0);
          const out = JSON.parse(res.stdout) as object;
          checkVector(v, out);
        } catch (err) {
          failures.push(`${v.id}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(failures).to.deep.equal([]);
  });

  it('takes the responder address of a JK-PB frame from its acknowledgement', async () => {
    const v = vectors.find((x) => x.id === 'jk02-rs485-02-pb-addr1-mppsolar') as Vector;
    const res = await dcpower(args(v, v.hex));
    const out = JSON.parse(res.stdout) as { address: number; frames: Array<{ frameType: string }> };
    expect(out.address).to.equal(1);
    expect(out.frames.map((f) => f.frameType)).to.deep.equal(['status', 'ack']);
  });

  it('exits non-zero with an error on a bad checksum, a modbus reply without its request and an unknown protocol', async () => {
    const v = vectors.find((x) => x.id === 'jk02-05-32s-charging-31A') as Vector;
    const bad = v.hex.slice(0, -2) + (v.hex.endsWith('00') ? '01' : '00');
    const res = await dcpower(['decode', 'jk02', bad]);
    expect(res.code).to.equal(1);
    expect(res.stderr).to.match(/bad_checksum/);
    expect(res.stdout).to.equal('');
    const noRequest = await dcpower(['decode', 'jk-modbus', '0103020cd8bd1e']);
    expect(noRequest.code).to.equal(1);
    expect(noRequest.stderr).to.match(/request/);
    const unknown = await dcpower(['decode', 'pylon', '00']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/unknown protocol/);
  });

  it('prints readable text without --json and never the device passwords', async () => {
    const v = vectors.find((x) => x.id === 'jk02-devinfo-01-pb-addr3') as Vector;
    const res = await dcpower(['decode', 'jk02', v.hex]);
    expect(res.code).to.equal(0);
    expect(res.stdout).to.include('JK_PB2A16S20P');
    expect(res.stdout).not.to.include('136913');
  });
});
