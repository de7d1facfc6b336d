/** A socat pseudo-terminal pair for serial tests: two linked paths, killable and restartable ("unplug"). */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { waitFor } from './ports';

export class PtyPair {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-pty-'));
  readonly a = path.join(this.dir, 'a');
  readonly b = path.join(this.dir, 'b');
  private child: ChildProcess | undefined;

  static available(): boolean {
    return ['/usr/bin/socat', '/bin/socat', '/usr/local/bin/socat'].some((p) => fs.existsSync(p));
  }

  async start(): Promise<void> {
    if (this.child) return;
    const child = spawn('socat', [`pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: 'ignore' });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await waitFor(() => fs.existsSync(this.a) && fs.existsSync(this.b), 5000, 'socat pty pair');
  }

  /** Kills socat: both ends vanish as when a USB adapter is pulled. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await waitFor(() => !fs.existsSync(this.a), 3000, 'pty links to vanish').catch(() => undefined);
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
