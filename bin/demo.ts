/**
 * `dcpower demo` (what `npm start` runs): Node-RED 4.1 on 127.0.0.1:1880 with a user directory under .demo/,
 * this package linked in, the example flows deployed, and the device simulators the examples read from.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Command, parse, untilInterrupted } from './cli';

const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = '@dcpower/node-red-nodes';

/**
 * The simulators the example flows talk to. The examples' config nodes point at these loopback ports, so the
 * same ports appear in examples/*.json; change both together.
 */
export const DEMO_SIMULATORS: Array<{ name: string; args: string[] }> = [
  // an RS485-to-TCP gateway with two JK-PB packs (addresses 1-2): JK02 triggers and JK Modbus both answer
  { name: 'jk', args: ['simulate', 'jk', '--port', '18899', '--packs', '1-2'] },
  {
    name: 'jupiter',
    args: ['simulate', 'jupiter', '--units', '3', '--port', '16161', '--community', 'public', '--trap-target', '127.0.0.1:16200', '--trap-version', 'v2c'],
  },
  { name: 'bacs', args: ['simulate', 'bacs', '--strings', '2', '--modules', '40', '--port', '15020', '--cycle', '120'] },
];

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

export const command: Command = {
  summary: 'run Node-RED with this package, the example flows and the device simulators',
  usage: [
    'usage: dcpower demo [--port 1880] [--user-dir .demo] [--no-simulators]',
    '',
    'Starts Node-RED on 127.0.0.1:<port> with a fresh user directory, this package loaded, every example',
    'flow deployed on its own tab, and the built-in simulators the examples read from. Ctrl-C stops all.',
  ].join('\n'),
  async run(argv) {
    const { values } = parse(argv, {
      port: { type: 'string', default: '1880' },
      'user-dir': { type: 'string', default: path.join(PACKAGE_ROOT, '.demo') },
      'no-simulators': { type: 'boolean', default: false },
    });
    const port = Number(values.port);
    const userDir = path.resolve(String(values['user-dir']));
    const settingsFile = writeUserDir({ port, userDir, flows: combineExamples(exampleFiles()) });
    const children: ChildProcess[] = [];
    const dcpower = path.join(__dirname, 'dcpower.js');
    if (!values['no-simulators']) {
      for (const sim of DEMO_SIMULATORS) {
        process.stdout.write(`[demo] simulator ${sim.name}: dcpower ${sim.args.join(' ')}\n`);
        children.push(spawn(process.execPath, [dcpower, ...sim.args], { stdio: 'inherit' }));
      }
    }
    const redJs = require.resolve('node-red/red.js');
    const red = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', settingsFile], { stdio: 'inherit' });
    children.push(red);
    process.stdout.write(`[demo] Node-RED: http://127.0.0.1:${port}/\n`);
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
