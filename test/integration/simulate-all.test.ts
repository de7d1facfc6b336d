/** `dcpower simulate all` as a user runs it: every example's device answers; Ctrl-C or SIGTERM stops all. */
import { expect } from 'chai';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { ALL_READY } from '../../bin/simulate-all';
import { lockDemoPorts } from '../helpers/demo-ports';
import { modbusRequest } from '../helpers/modbus-raw';
import { portOpen } from '../helpers/mosquitto';
import { waitFor } from '../helpers/ports';

const DCPOWER = path.resolve(__dirname, '..', '..', 'bin', 'dcpower.js');

function start(): { child: ChildProcess; output: string[] } {
  const child = spawn(process.execPath, [DCPOWER, 'simulate', 'all'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  return { child, output };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('dcpower simulate all', function () {
  this.timeout(60_000);
  let release: (() => void) | undefined;
  before(async () => {
    release = await lockDemoPorts();
  });
  after(() => release?.());

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`serves the JK gateway, the BACS controller and the Jupiter units, and stops on ${signal}`, async () => {
      const { child, output } = start();
      await waitFor(() => output.join('').includes(ALL_READY) || child.exitCode !== null, 30_000, 'ready');
      expect(child.exitCode, output.join('')).to.equal(null);
      expect(await portOpen(18899), 'JK gateway').to.equal(true);
      const bacs = await modbusRequest(15020, 1, Buffer.from([0x03, 0x03, 0xe8, 0x00, 0x05])); // registers 1000-1004
      expect(bacs[0]).to.equal(0x03);
      // an independent SNMP peer reads each Jupiter unit
      for (const port of [16161, 16162, 16163]) {
        const sysDescr = execFileSync('snmpget', ['-v2c', '-c', 'public', '-On', '-t', '2', '-r', '1', `127.0.0.1:${port}`, '1.3.6.1.2.1.1.1.0'], { encoding: 'utf8' });
        expect(sysDescr).to.match(/^\.1\.3\.6\.1\.2\.1\.1\.1\.0 = STRING: /);
      }
      child.kill(signal);
      expect(await exitOf(child)).to.equal(0);
      expect(await portOpen(18899), 'JK gateway closed').to.equal(false);
    });
  }

  it('fails, and leaves nothing listening, when a port is taken', async () => {
    const squatter = net.createServer().listen(15020, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const { child, output } = start();
      const code = await Promise.race([exitOf(child), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
      if (code === 'hung') child.kill('SIGKILL');
      expect(code, output.join('')).to.equal(1);
      expect(output.join('')).to.match(/15020|EADDRINUSE/);
      expect(await portOpen(18899), 'the JK gateway started before it was stopped again').to.equal(false);
    } finally {
      squatter.close();
    }
  });
});
