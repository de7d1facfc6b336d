/**
 * `dcpower simulate <device> [options]`: runs a device simulator until interrupted (docs/design.md
 * §4). Each device is one entry of SIMULATORS, its code loaded only when used.
 */
import type { Command } from './cli';

export interface SimulatorEntry {
  device: string;
  summary: string;
  /** loads the device's runner: options in, exit code out */
  load: () => { usage: string; run(argv: string[]): Promise<number> };
}

/* eslint-disable @typescript-eslint/no-var-requires */
export const SIMULATORS: SimulatorEntry[] = [
  { device: 'jk', summary: 'JK BMS packs / JK-PB bus / DZ11 balancer on TCP or a serial path', load: () => require('./simulate-jk') },
  { device: 'jupiter', summary: 'Jupiter J540/J560 HVDC SNMP agents (v1/v2c/v3) on consecutive ports', load: () => require('./simulate-jupiter').command },
  { device: 'bacs', summary: 'GENEREX BACS controller on Modbus/TCP (and SNMP), up to 512 modules', load: () => require('./simulate-bacs').command },
  { device: 'all', summary: 'every simulator above at the addresses the example flows use', load: () => require('./simulate-all').command },
];

function usage(): string {
  const width = Math.max(...SIMULATORS.map((s) => s.device.length));
  return [
    'usage: dcpower simulate <device> [options]',
    '',
    'devices:',
    ...SIMULATORS.map((s) => `  ${s.device.padEnd(width)}  ${s.summary}`),
    '',
    'Common options: --host (default 127.0.0.1), --port, --serial <path>, --baud, --fault <name>.',
    'dcpower simulate <device> --help shows the options of one simulator.',
  ].join('\n');
}

export const command: Command = {
  summary: 'run a device simulator until interrupted',
  get usage() {
    return usage();
  },
  handlesHelp: true,
  async run(argv) {
    const [device, ...rest] = argv;
    if (device === undefined || device === '--help' || device === '-h') {
      process.stdout.write(usage() + '\n');
      return device === undefined ? 2 : 0;
    }
    const entry = SIMULATORS.find((s) => s.device === device);
    if (!entry) {
      process.stderr.write(`dcpower simulate: ${device ? `unknown device '${device}'` : 'which device?'}\n\n${usage()}\n`);
      return 2;
    }
    const simulator = entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(simulator.usage + '\n');
      return 0;
    }
    return simulator.run(rest);
  },
};
