/**
 * `dcpower simulate <device> [options]`: runs one of the package's device simulators until interrupted.
 * A table by device: each entry loads its simulator's command only when used.
 */
import { Command } from './cli';

interface SimulatorEntry {
  device: string;
  summary: string;
  load: () => Command;
}

/* eslint-disable @typescript-eslint/no-var-requires */
export const SIMULATORS: SimulatorEntry[] = [
  { device: 'jupiter', summary: 'Jupiter J540/J560 HVDC SNMP agents (v1/v2c/v3) on consecutive ports', load: () => require('./simulate-jupiter').command },
];

function usage(): string {
  const width = Math.max(...SIMULATORS.map((s) => s.device.length));
  return [
    'usage: dcpower simulate <device> [options]',
    '',
    'devices:',
    ...SIMULATORS.map((s) => `  ${s.device.padEnd(width)}  ${s.summary}`),
    '',
    ...SIMULATORS.flatMap((s) => ['', `--- ${s.device} ---`, s.load().usage]),
  ].join('\n');
}

export const command: Command = {
  summary: 'run a device simulator until interrupted',
  get usage() {
    return usage();
  },
  async run(argv) {
    const [device, ...rest] = argv;
    const entry = SIMULATORS.find((s) => s.device === device);
    if (!entry) {
      process.stderr.write(`dcpower simulate: unknown device '${device ?? ''}'\n\n${usage()}\n`);
      return 2;
    }
    return entry.load().run(rest);
  },
};
