/**
 * `dcpower simulate <device> [options]`: runs one device simulator until interrupted. One entry per device,
 * each loaded only when used: { device -> module exporting `command: Command` }.
 */
import { Command } from './cli';

/* eslint-disable @typescript-eslint/no-var-requires */
export const SIMULATORS: { [device: string]: () => Command } = {
  bacs: () => require('./simulate-bacs').command,
};

function usage(): string {
  const lines = ['usage: dcpower simulate <device> [options]', '', 'devices:'];
  for (const [name, load] of Object.entries(SIMULATORS)) lines.push(`  ${name.padEnd(14)}${load().summary}`);
  lines.push('', 'dcpower simulate <device> --help shows the options of one simulator.');
  return lines.join('\n');
}

export const command: Command = {
  summary: 'run a device simulator (a real TCP/serial/SNMP server) until interrupted',
  get usage(): string {
    return usage();
  },
  async run(argv) {
    const [device, ...rest] = argv;
    const load = device === undefined ? undefined : SIMULATORS[device];
    if (!load) {
      process.stderr.write(`${device === undefined ? 'no device given' : `unknown device '${device}'`}\n\n${usage()}\n`);
      return 2;
    }
    return load().run(rest);
  },
};
