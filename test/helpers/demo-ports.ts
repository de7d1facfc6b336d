/**
 * A lock on the fixed ports of the demo, held across processes by every test that starts the demo's simulators
 * or deploys the example flows.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const DEMO_PORTS_LOCK = path.join(os.tmpdir(), 'dcpower-demo-simulators.lock');

/**
 * The demo's simulators and the example flows listen on fixed ports (the examples name them: 18899, 15020,
 * 16161-16163, traps on 16200, the PLC bridge on 5020), so two test runs on one machine (two checkouts) would
 * take each other's ports: a test that starts them waits here until the other run has stopped them.
 * The lock is a directory holding the owner's pid; a lock whose owner has died, or that an earlier test of this
 * process left behind (mocha runs files one after another), is taken over.
 */
export async function lockDemoPorts(timeoutMs = 15 * 60_000): Promise<() => void> {
  const owner = path.join(DEMO_PORTS_LOCK, 'pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(DEMO_PORTS_LOCK);
      fs.writeFileSync(owner, String(process.pid));
      let held = true;
      return () => {
        // only once, and only our own lock
        if (held && fs.existsSync(owner) && fs.readFileSync(owner, 'utf8') === String(process.pid)) fs.rmSync(DEMO_PORTS_LOCK, { recursive: true, force: true });
        held = false;
      };
    } catch {
      const pid = Number(fs.existsSync(owner) ? fs.readFileSync(owner, 'utf8') : NaN);
      if (Number.isInteger(pid) && (pid === process.pid || !processAlive(pid))) fs.rmSync(DEMO_PORTS_LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`the demo simulators' ports are held by another test run (${DEMO_PORTS_LOCK})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
