import { expect } from 'chai';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { combineExamples, exampleFiles } from '../../bin/demo';
import { lockDemoPorts } from '../helpers/demo-ports';
import { freeTcpPort, waitFor } from '../helpers/ports';

const DCPOWER = path.resolve(__dirname, '..', '..', 'bin', 'dcpower.js');

describe('dcpower demo (what npm start runs)', function () {
  this.timeout(120_000);
  let demo: ChildProcess;
  let userDir: string;
  let port: number;
  const log: string[] = [];
  let releasePorts: (() => void) | undefined;

  before(async () => {
    releasePorts = await lockDemoPorts();
    port = await freeTcpPort();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-demo-'));
    demo = spawn(process.execPath, [DCPOWER, 'demo', '--port', String(port), '--user-dir', userDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      log.push(...chunk.toString().split('\n'));
    };
    demo.stdout?.on('data', collect);
    demo.stderr?.on('data', collect);
    try {
      await waitFor(() => log.some((l) => l.includes('Started flows')), 90_000, 'the demo to start its flows');
    } catch (err) {
      throw new Error(`${(err as Error).message}\ndemo output:\n${log.slice(-40).join('\n')}`);
    }
  });

  after(async () => {
    if (demo && demo.exitCode === null) {
      const exited = new Promise((r) => demo.once('exit', r));
      demo.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
    releasePorts?.();
  });

  it('serves the editor on 127.0.0.1 with this package loaded', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { Accept: 'application/json' } });
    expect(res.status).to.equal(200);
    const sets = (await res.json()) as Array<{ module: string; enabled: boolean; loaded: boolean; err?: string }>;
    const ours = sets.filter((s) => s.module === '@dcpower/node-red-nodes');
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      'node-red': { nodes: Record<string, string> };
    };
    expect(ours.length).to.equal(Object.keys(pkg['node-red'].nodes).length);
    for (const set of ours) expect(set.err, `${JSON.stringify(set)}`).to.equal(undefined);
  });

  it('deploys every example flow', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } });
    const flows = (await res.json()) as Array<{ id: string }>;
    const expected = combineExamples(exampleFiles()).map((n) => n.id);
    expect(flows.map((n) => n.id)).to.include.members(expected);
  });

  it('runs the example flows against the simulators without errors for 8 s', async () => {
    await new Promise((r) => setTimeout(r, 8000));
    const errors = log.filter((l) => /\[error\]/.test(l));
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });
});
