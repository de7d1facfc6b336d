/** `dcpower simulate jupiter` and `dcpower walk` as a user runs them: real processes on loopback. */
import { expect } from 'chai';
import { ChildProcess, execFile, spawn } from 'child_process';
import * as path from 'path';
import { validateProfile } from '../../nodes/jupiter-hvdc/profile';
import { freeUdpPort } from '../helpers/ports';

const DCPOWER = path.resolve(__dirname, '..', '..', 'bin', 'dcpower.js');

function dcpower(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DCPOWER, ...args], { timeout: 30000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('dcpower simulate jupiter and dcpower walk (integration)', function () {
  this.timeout(60000);
  let sim: ChildProcess | undefined;
  let port = 0;

  before(async () => {
    port = await freeUdpPort();
    sim = spawn(process.execPath, [DCPOWER, 'simulate', 'jupiter', '--units', '2', '--port', String(port), '--community', 'cli-ro', '--v3-user', 'cliuser', '--v3-auth-key', 'cli-auth-key', '--v3-priv-key', 'cli-priv-key', '--scenario', 'rectifier-fault'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      sim?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
      sim?.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
    });
  });
  after(async () => {
    if (sim && sim.exitCode === null) {
      const exited = new Promise((r) => sim?.once('exit', r));
      sim.kill('SIGTERM');
      await exited;
    }
  });

  it('walk prints oid = TYPE: value lines for the second unit (v2c)', async () => {
    const r = await dcpower(['walk', `127.0.0.1:${port + 1}`, '--community', 'cli-ro', '--root', '1.3.6.1.2.1.1']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^1\.3\.6\.1\.2\.1\.1\.5\.0 = OctetString: jupiter-2$/m);
  });

  it('walk --json over v3 authPriv gives an importable profile with the rows; the keys stay out of it', async () => {
    const r = await dcpower(['walk', `127.0.0.1:${port}`, '--version', 'v3', '--user', 'cliuser', '--auth-key', 'cli-auth-key', '--priv-key', 'cli-priv-key', '--json']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.not.contain('cli-auth-key');
    expect(r.stdout).to.not.contain('cli-priv-key');
    const doc = JSON.parse(r.stdout) as { walk: { sysObjectID: string; rows: Array<{ oid: string; type: string; value: unknown }> }; upsMib: boolean };
    expect(validateProfile(doc).ok).to.equal(true);
    expect(doc.upsMib).to.equal(true);
    expect(doc.walk.sysObjectID).to.equal('1.3.6.1.4.1.32473.240');
    // rectifier 2 reports fault (2) in the simulator's vendor subtree
    expect(doc.walk.rows.find((row) => row.oid === '1.3.6.1.4.1.32473.240.2.1.2.2')?.value).to.equal(2);
    expect(doc.walk.rows.some((row) => row.oid === '1.3.6.1.2.1.33.1.6.2.1.2.1' && row.value === '1.3.6.1.2.1.33.1.6.3.13')).to.equal(true);
  });

  it('walk with a wrong community fails with a non-zero exit and a timeout message', async () => {
    const r = await dcpower(['walk', `127.0.0.1:${port}`, '--community', 'wrong', '--timeout', '300', '--retries', '0']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/timeout/);
  });

  it('simulate with an unknown device or scenario is refused', async () => {
    expect((await dcpower(['simulate', 'nonesuch'])).code).to.equal(2);
    const bad = await dcpower(['simulate', 'jupiter', '--scenario', 'meltdown']);
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.match(/scenario/);
  });
});
