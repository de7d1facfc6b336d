/**
 * `dcpower demo` (what `npm start` runs): the Node-RED the user has (in this repository, the 4.1 of its
 * devDependencies) on 127.0.0.1:1880 with a user directory of its own, this package linked in, the example
 * flows deployed, and `dcpower simulate all` for the devices they read. No child outlives the demo.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command, parse, untilInterrupted } from './cli';
import { WATCH_PARENT_ENV } from './watch-parent';

const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = '@dcpower/node-red-nodes';
const DASHBOARD = '@flowfuse/node-red-dashboard';

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  [key: string]: unknown;
}

/** All example files, in menu order. */
export function exampleFiles(dir = path.join(PACKAGE_ROOT, 'examples')): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...exampleFiles(full));
    else if (entry.name.endsWith('.json')) out.push(full);
  }
  return out;
}

/**
 * One flow file from all examples: each example on its own tab (the tab of the example if it has one), config
 * nodes shared by id so two examples can use the same simulator link.
 */
export function combineExamples(files: string[]): FlowNode[] {
  const flows: FlowNode[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const nodes = JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
    const ownTab = nodes.find((n) => n.type === 'tab');
    const tabId = ownTab?.id ?? `demo-tab-${path.basename(file, '.json')}`;
    if (!ownTab) flows.push({ id: tabId, type: 'tab', label: path.basename(file, '.json'), disabled: false, info: '' });
    for (const node of nodes) {
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      const isConfig = node.z === undefined && node.type !== 'tab' && !('wires' in node);
      flows.push(isConfig || node.type === 'tab' ? node : { ...node, z: node.z ?? tabId });
    }
  }
  return flows;
}

export interface DemoSettings {
  port: number;
  userDir: string;
  flows: FlowNode[];
}

export function writeUserDir({ port, userDir, flows }: DemoSettings): string {
  fs.mkdirSync(path.join(userDir, 'node_modules', '@dcpower'), { recursive: true });
  const link = path.join(userDir, 'node_modules', PACKAGE_NAME);
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(PACKAGE_ROOT, link, 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'dcpower-demo', private: true, dependencies: { [PACKAGE_NAME]: 'file:' + PACKAGE_ROOT } }, null, 2),
  );
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows, null, 2));
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: 'dcpower-demo',
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
  };
  const file = path.join(userDir, 'settings.js');
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  return file;
}

/** Inside an installed package the demo's files go to the home directory, never into node_modules. */
export function defaultUserDir(packageRoot = PACKAGE_ROOT): string {
  return packageRoot.split(path.sep).includes('node_modules') ? path.join(os.homedir(), '.dcpower-demo') : path.join(packageRoot, '.demo');
}

function redJsOf(nodeRedDir: string): string | undefined {
  const file = path.join(nodeRedDir, 'red.js');
  return fs.existsSync(file) ? file : undefined;
}

/**
 * The Node-RED the user has: `--node-red <dir or red.js>`, else one a project here depends on (this
 * repository's devDependency, a user directory's node_modules), else the global install (`npm root -g`, or
 * the `node-red` command on PATH).
 */
export function findNodeRed(explicit: string | undefined, userDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit) {
    const file = path.resolve(explicit);
    return file.endsWith('.js') ? (fs.existsSync(file) ? file : undefined) : redJsOf(file);
  }
  for (const from of [process.cwd(), userDir, PACKAGE_ROOT]) {
    try {
      return require.resolve('node-red/red.js', { paths: [from] });
    } catch {
      // not there: the next place
    }
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const bin = path.join(dir, 'node-red');
    if (!fs.existsSync(bin)) continue;
    const real = fs.realpathSync(bin);
    if (path.basename(real) === 'red.js') return real;
  }
  try {
    const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
    return redJsOf(path.join(globalRoot, 'node-red'));
  } catch {
    return undefined;
  }
}

/** Whether Node-RED will load the dashboard: it scans the node_modules it is installed in and the user directory's. */
function dashboardInstalled(redJs: string, userDir: string): boolean {
  return [path.dirname(redJs), userDir].some((from) => {
    try {
      require.resolve(`${DASHBOARD}/package.json`, { paths: [from] });
      return true;
    } catch {
      return false;
    }
  });
}

/** A child that exits by itself when the demo is gone, whatever ended it (bin/watch-parent.ts). */
function spawnWatched(args: string[]): ChildProcess {
  return spawn(process.execPath, ['-r', path.join(__dirname, 'watch-parent.js'), ...args], {
    stdio: 'inherit',
    env: { ...process.env, [WATCH_PARENT_ENV]: String(process.pid) },
  });
}

export const command: Command = {
  summary: 'run Node-RED with this package, the example flows and the device simulators',
  usage: [
    'usage: dcpower demo [--port 1880] [--user-dir DIR] [--node-red DIR] [--no-simulators]',
    '',
    'Starts Node-RED on 127.0.0.1:<port> with a user directory of its own (in this repository .demo/, in an',
    'installed package ~/.dcpower-demo), this package loaded, every example flow deployed on its own tab, and',
    '`dcpower simulate all` for the devices the examples read. Ctrl-C stops all.',
    '',
    '  --node-red DIR   the Node-RED to run (its folder or red.js); default: the one installed here or globally',
  ].join('\n'),
  async run(argv) {
    const { values } = parse(argv, {
      port: { type: 'string', default: '1880' },
      'user-dir': { type: 'string', default: defaultUserDir() },
      'node-red': { type: 'string' },
      'no-simulators': { type: 'boolean', default: false },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`--port ${values.port} is not a TCP port`);
    const userDir = path.resolve(String(values['user-dir']));
    // find Node-RED before starting anything, so a missing one leaves nothing running
    const redJs = findNodeRed(values['node-red'], userDir);
    if (!redJs) {
      process.stderr.write('dcpower demo: Node-RED not found; install it (npm install -g --unsafe-perm node-red) or name it with --node-red <dir>\n');
      return 1;
    }
    let files = exampleFiles();
    if (!dashboardInstalled(redJs, userDir)) {
      const needDashboard = files.filter((f) => fs.readFileSync(f, 'utf8').includes('"ui-base"'));
      files = files.filter((f) => !needDashboard.includes(f));
      for (const f of needDashboard) process.stdout.write(`[demo] ${path.basename(f, '.json')} left out: it needs ${DASHBOARD} (npm install ${DASHBOARD} in ${userDir})\n`);
    }
    const settingsFile = writeUserDir({ port, userDir, flows: combineExamples(files) });
    const children: ChildProcess[] = [];
    const dcpower = path.join(__dirname, 'dcpower.js');
    if (!values['no-simulators']) {
      process.stdout.write('[demo] simulators: dcpower simulate all\n');
      children.push(spawnWatched([dcpower, 'simulate', 'all']));
    }
    const red = spawnWatched([redJs, '--userDir', userDir, '--settings', settingsFile]);
    children.push(red);
    process.stdout.write(`[demo] Node-RED ${redJs}: http://127.0.0.1:${port}/\n`);
    const redExit = new Promise<number>((resolve) => red.once('exit', (code) => resolve(code ?? 0)));
    const code = await Promise.race([redExit, untilInterrupted().then(() => 0)]);
    // Node-RED first, so its flows close their links before the simulators they talk to go away.
    if (red.exitCode === null) {
      red.kill('SIGTERM');
      await Promise.race([redExit, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    return code;
  },
};
