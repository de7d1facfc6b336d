/**
 * `dcpower simulate all`: every simulator at exactly the addresses the example flows use, in one process, so
 * that an example imported from Import > Examples gives live data with nothing edited. Stopped by Ctrl-C or
 * SIGTERM; a simulator that cannot start (its port is taken) stops the others and the command fails.
 */
import { Command, parse, Running, runUntilInterrupted } from './cli';

export interface ExampleSimulator {
  name: string;
  /** what the examples read, for the one-line summary */
  serves: string;
  /** options of `dcpower simulate <name>` */
  args: string[];
  start(argv: string[]): Promise<Running>;
}

/* eslint-disable @typescript-eslint/no-var-requires */
/**
 * The simulators the example flows talk to. The examples' config nodes point at these loopback ports, so the
 * same ports appear in examples/*.json (a test checks the two agree); change both together.
 */
export const EXAMPLE_SIMULATORS: ExampleSimulator[] = [
  {
    // an RS485-to-TCP gateway with two JK-PB packs (addresses 1-2): JK02 triggers and JK Modbus both answer
    name: 'jk',
    serves: 'JK-PB packs 1-2 behind an RS485-to-TCP gateway on 127.0.0.1:18899',
    args: ['--port', '18899', '--packs', '1-2'],
    start: (argv) => (require('./simulate-jk') as typeof import('./simulate-jk')).start(argv),
  },
  {
    name: 'jupiter',
    serves: 'Jupiter units on udp 127.0.0.1:16161-16163 (v2c, community public), traps to 127.0.0.1:16200',
    args: ['--units', '3', '--port', '16161', '--community', 'public', '--trap-target', '127.0.0.1:16200', '--trap-version', 'v2c'],
    start: (argv) => (require('./simulate-jupiter') as typeof import('./simulate-jupiter')).start(argv),
  },
  {
    name: 'bacs',
    serves: 'BACS controller, 2 strings of 20 modules, on Modbus/TCP 127.0.0.1:15020',
    args: ['--strings', '2', '--modules', '40', '--port', '15020', '--cycle', '120'],
    start: (argv) => (require('./simulate-bacs') as typeof import('./simulate-bacs')).start(argv),
  },
];

/** The line `simulate all` prints once every simulator listens; tests and the demo wait for it. */
export const ALL_READY = 'dcpower simulate all: ready';

export async function startAll(): Promise<Running> {
  const started: Running[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
  };
  try {
    for (const sim of EXAMPLE_SIMULATORS) started.push(await sim.start(sim.args));
  } catch (err) {
    await stopAll();
    throw err;
  }
  process.stdout.write(`${ALL_READY}\n`);
  return { stop: stopAll };
}

export const command: Command = {
  summary: 'every simulator at the addresses the example flows use',
  usage: [
    'usage: dcpower simulate all',
    '',
    'Runs every device simulator at exactly the addresses the example flows read, until Ctrl-C or SIGTERM:',
    ...EXAMPLE_SIMULATORS.map((s) => `  ${s.name.padEnd(8)} ${s.serves}`),
    '',
    'From an installed package, in the Node-RED user directory: npx dcpower simulate all',
  ].join('\n'),
  async run(argv) {
    parse(argv, {});
    return runUntilInterrupted(startAll);
  },
};
