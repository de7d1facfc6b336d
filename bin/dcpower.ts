#!/usr/bin/env node
/**
 * dcpower: commissioning and debugging without the editor (docs/design.md §4).
 * Each command lives in its own module and is loaded only when used, so `dcpower decode` does not load SNMP.
 */
import type { Command } from './cli';

interface CommandEntry {
  name: string;
  summary: string;
  load: () => Command;
}

/* eslint-disable @typescript-eslint/no-var-requires */
const COMMANDS: CommandEntry[] = [
  { name: 'decode', summary: 'decode one captured JK frame (hex) and print the reading', load: () => require('./decode').command },
  { name: 'simulate', summary: 'run a device simulator until interrupted', load: () => require('./simulate').command },
  { name: 'scan', summary: 'find the JK packs on an RS485 bus (serial port or TCP gateway)', load: () => require('./scan').command },
  { name: 'demo', summary: 'run Node-RED with this package, the example flows and the device simulators', load: () => require('./demo').command },
  { name: 'walk', summary: 'SNMP walk of a unit into an editable profile (rows of oid, type, value)', load: () => require('./walk').command },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: dcpower <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'dcpower <command> --help shows the options of one command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`dcpower: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const command = entry.load();
  if (!command.handlesHelp && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    process.stderr.write(`dcpower ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(String(err) + '\n');
    process.exitCode = 1;
  },
);
