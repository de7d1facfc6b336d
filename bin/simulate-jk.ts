/** `dcpower simulate jk`: the JK simulator (nodes/jk-bms/simulator.ts) from the command line. */
import { bitsPerByteOf, JK_FAULTS, JK_SCENARIOS, JkChemistry, JkFault, JkFaultName, JkScenario, JkSimulator, parsePackList } from '../nodes/jk-bms/simulator';
import { JK_PROTOCOL_IDS, JkProtocolId } from '../nodes/jk-bms/protocol';
import { parse, printJson, Running, runUntilInterrupted } from './cli';

export const usage = [
  'usage: dcpower simulate jk [--port 8899 | --serial /dev/pts/N] [options]',
  '',
  'Simulates JK BMS packs answering NW read-all, JK-PB FC10 triggers (JK02 frames + ack), JK Modbus FC03',
  'reads and switch writes, and DZ11 balancer requests. A pack at address 0 is the JK-PB bus master: it polls',
  'the others and broadcasts its own frames (the node must listen, not poll). Replies are paced at --baud.',
  '',
  'options:',
  '  --host <ip>            TCP listen address (default 127.0.0.1)',
  '  --port <n>             TCP port (default 8899 when no --serial)',
  '  --serial <path>        serial device instead of TCP, e.g. one end of a socat pty pair',
  '  --baud <n>             pacing (and serial) baud (default 115200)',
  '  --format 8N1           serial format: bits per byte for pacing (default 8N1 = 10 bits)',
  '  --turnaround-ms <n>    delay before a reply (default 5)',
  '  --packs <list>         addresses, e.g. 1-4,7 (default 1)',
  '  --cells <n>            cells per pack (default 16)',
  '  --chemistry <c>        lifepo4 | li-ion | lto (default lifepo4)',
  '  --capacity <Ah>        (default 280)',
  '  --variant 24s|32s      JK02 cell-info layout (default 32s)',
  '  --probes <n>           battery temperature probes per pack, 2-4 (default 4: T1, T2, T4, T5 as a JK-PB has;',
  '                         NW and JK02 24S frames carry T1 and T2 only)',
  '  --protocols <list>     protocols answered (default jk-nw,jk02,jk-modbus,jk-balancer)',
  '  --master-cycle-ms <n>  bus-master cycle when pack 0 is present (default 4400)',
  `  --fault <name[@addr]>  repeatable: ${JK_FAULTS.join(', ')}`,
  '  --fault-rate <0..1>    fraction of replies a fault affects (default 1)',
  `  --scenario <s[@addr]>  repeatable: ${JK_SCENARIOS.join(', ')}`,
  '                         (each produces one alarm of the JK presets; full-charge must raise none)',
  '  --late-ms <n>          delay of the late fault (default 1500)',
  '  --json                 print the listening address as JSON',
].join('\n');

export function run(argv: string[]): Promise<number> {
  return runUntilInterrupted(() => start(argv));
}

/** Starts the simulator the options describe; resolves once it listens. */
export async function start(argv: string[]): Promise<Running> {
  const { values } = parse(argv, {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    serial: { type: 'string' },
    baud: { type: 'string', default: '115200' },
    format: { type: 'string', default: '8N1' },
    'turnaround-ms': { type: 'string', default: '5' },
    packs: { type: 'string', default: '1' },
    cells: { type: 'string', default: '16' },
    chemistry: { type: 'string', default: 'lifepo4' },
    capacity: { type: 'string', default: '280' },
    variant: { type: 'string', default: '32s' },
    probes: { type: 'string', default: '4' },
    protocols: { type: 'string', default: 'jk-nw,jk02,jk-modbus,jk-balancer' },
    'master-cycle-ms': { type: 'string', default: '4400' },
    fault: { type: 'string', multiple: true },
    'fault-rate': { type: 'string', default: '1' },
    scenario: { type: 'string', multiple: true },
    'late-ms': { type: 'string', default: '1500' },
    json: { type: 'boolean', default: false },
  });
  const number = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new RangeError(`--${name} ${v} is outside ${min}-${max}`);
    return n;
  };
  const chemistry = String(values.chemistry) as JkChemistry;
  if (!['lifepo4', 'li-ion', 'lto'].includes(chemistry)) throw new RangeError(`--chemistry ${chemistry}`);
  const variant = String(values.variant);
  if (variant !== '24s' && variant !== '32s') throw new RangeError(`--variant ${variant}`);
  const protocols = String(values.protocols).split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of protocols) if (!(JK_PROTOCOL_IDS as readonly string[]).includes(p)) throw new RangeError(`--protocols ${p}: one of ${JK_PROTOCOL_IDS.join(', ')}`);
  const rate = number('fault-rate', values['fault-rate'], 0, 1);
  const faults: JkFault[] = (values.fault ?? []).map((spec) => {
    const [name, at] = spec.split('@');
    if (!JK_FAULTS.includes(name as JkFaultName)) throw new RangeError(`--fault ${name}: one of ${JK_FAULTS.join(', ')}`);
    return { name: name as JkFaultName, address: at === undefined ? undefined : number('fault', at, 0, 247), rate };
  });
  const sim = new JkSimulator({
    host: values.host,
    port: values.serial ? undefined : number('port', values.port ?? '8899', 0, 65535),
    serial: values.serial,
    baud: number('baud', values.baud, 300, 4000000),
    bitsPerByte: bitsPerByteOf(String(values.format)),
    turnaroundMs: number('turnaround-ms', values['turnaround-ms'], 0, 10000),
    packs: parsePackList(String(values.packs)),
    cellCount: number('cells', values.cells, 1, 32),
    chemistry,
    capacity: number('capacity', values.capacity, 1, 100000),
    variant,
    probes: number('probes', values.probes, 2, 4),
    masterCycleMs: number('master-cycle-ms', values['master-cycle-ms'], 100, 600000),
    lateMs: number('late-ms', values['late-ms'], 0, 600000),
    faults,
    protocols: protocols as JkProtocolId[],
  });
  for (const spec of values.scenario ?? []) {
    const [name, at] = spec.split('@');
    if (!(JK_SCENARIOS as readonly string[]).includes(name)) throw new RangeError(`--scenario ${name}: one of ${JK_SCENARIOS.join(', ')}`);
    const targets = at === undefined ? [...sim.packs.keys()] : [number('scenario', at, 0, 247)];
    for (const address of targets) sim.setScenario(address, name as JkScenario);
  }
  const where = await sim.start();
  const packs = [...sim.packs.keys()];
  if (values.json) printJson({ device: 'jk', host: where.port ? values.host : undefined, port: where.port, serial: where.serial, packs });
  else process.stdout.write(`[jk simulator] packs ${packs.join(',')} on ${where.serial ?? `${values.host}:${where.port}`}${packs.includes(0) ? ' (pack 0 is bus master)' : ''}\n`);
  return { stop: () => sim.stop() };
}
