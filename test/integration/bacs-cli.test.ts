/** `dcpower simulate bacs` as a user runs it: a separate process, read by mbpoll and snmpget, stopped by SIGTERM. */
import { expect } from 'chai';
import { ChildProcess, execFile, spawn } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { freeUdpPort, waitFor } from '../helpers/ports';

const run = promisify(execFile);
const DCPOWER = path.resolve(__dirname, '..', '..', 'bin', 'dcpower.js');

function start(args: string[]): Promise<{ child: ChildProcess; info: { port: number; modules: number; strings: number } }> {
  const child = spawn(process.execPath, [DCPOWER, 'simulate', 'bacs', '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  return waitFor(() => {
    try {
      return JSON.parse(out) as { port: number; modules: number; strings: number };
    } catch {
      return undefined;
    }
  }, 20000, 'the simulator to print its address').then((info) => ({ child, info }));
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
}

describe('dcpower simulate bacs (CLI)', function () {
  this.timeout(60000);
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if ((await stop(c)) === null) c.kill('SIGKILL');
  });

  it('serves 512 modules, a lost module and SNMP, and exits cleanly on SIGTERM', async () => {
    const snmpPort = await freeUdpPort();
    const { child, info } = await start(['--strings', '8', '--modules', '512', '--lose-module', '3', '--snmp-port', String(snmpPort)]);
    children.push(child);
    expect(info).to.include({ strings: 8, modules: 512 });
    const general = await run('mbpoll', ['-m', 'tcp', '-a', '1', '-0', '-1', '-r', '1000', '-c', '5', '-p', String(info.port), '127.0.0.1']);
    const values = [...general.stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)].map((m) => Number(m[2]) & 0xffff);
    expect(values.slice(3)).to.deep.equal([8, 512]);
    expect(values[0] & 0x0004).to.equal(0x0004); // MODULE_LOST
    const lastModule = await run('mbpoll', ['-m', 'tcp', '-a', '1', '-0', '-1', '-r', String(2000 + 511 * 5), '-c', '5', '-p', String(info.port), '127.0.0.1']);
    expect([...lastModule.stdout.matchAll(/^\[(\d+)\]:/gm)]).to.have.length(5);
    const lost = await run('mbpoll', ['-m', 'tcp', '-a', '1', '-0', '-1', '-t', '4:hex', '-r', String(2000 + 2 * 5), '-c', '1', '-p', String(info.port), '127.0.0.1']);
    expect(lost.stdout.toLowerCase()).to.contain('0xffff');
    const snmp = await run('snmpget', ['-v2c', '-c', 'public', '-Oqv', `127.0.0.1:${snmpPort}`, '1.3.6.1.2.1.33.5.1.3.0']);
    expect(snmp.stdout.trim()).to.equal('512');
    expect(await stop(child)).to.equal(0);
  });

  it('injects faults from the command line: exception 6 on every second request', async () => {
    const { child, info } = await start(['--fault', 'exception:6', '--fault-every', '2']);
    children.push(child);
    const read = () =>
      run('mbpoll', ['-m', 'tcp', '-a', '1', '-0', '-1', '-r', '1000', '-c', '5', '-p', String(info.port), '127.0.0.1']).then(
        (r) => r.stdout,
        (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
      );
    const outputs = [await read(), await read()];
    expect(outputs.some((o) => /\[1000\]/.test(o))).to.equal(true);
    expect(outputs.some((o) => /busy|exception|error/i.test(o) && !/\[1000\]/.test(o))).to.equal(true);
  });

  it('refuses an unknown fault with a clear message', async () => {
    const result = await run(process.execPath, [DCPOWER, 'simulate', 'bacs', '--fault', 'melt']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.match(/unknown fault 'melt'/);
  });
});
