/** `dcpower simulate bacs`: a GENEREX BACS controller on Modbus/TCP (nodes/bacs/simulator.ts). */
import { BACS_SCENARIOS, BacsScenario, BacsSimulator, MAX_MODULES, parseFault, RequestFault, SCENARIO_MODULE } from '../nodes/bacs/simulator';
import { BacsSnmpAgent } from '../nodes/bacs/simulator-snmp';
import { Command, parse, printJson, Running, runUntilInterrupted } from './cli';

export const command: Command = {
  summary: 'GENEREX BACS controller on Modbus/TCP (up to 512 modules)',
  usage: [
    'usage: dcpower simulate bacs [--strings 2] [--modules 40] [--host 127.0.0.1] [--port 15020] [--unit-id 1]',
    '                             [--cycle 0] [--fault <name>]... [--fault-every 1] [--lose-module <id>]...',
    '                             [--comm-lost] [--strict-gaps] [--snmp-port <udp port>] [--scenario <name>] [--json]',
    '',
    'Serves the BACS general block (1000-1004), string blocks (1010 + 5(s-1), strings 1-10) and the module',
    'block of the default, UNVERIFIED module template (base 2000, 5 registers per module) on FC 3 and FC 4.',
    '',
    '  --strings N        strings (default 2)',
    `  --modules M        modules in all, at most ${MAX_MODULES} (default 40)`,
    '  --cycle S          seconds per phase of float -> discharge -> recharge; 0 stays in float (default 0)',
    '  --fault F          drop | ignore | exception[:code] | slow[:ms] | wrong-length; repeatable, taken in turn',
    '  --fault-every N    apply the faults only to every N-th request (default 1: every request)',
    '  --lose-module ID   that module stops answering on the BACS bus (data not available, MODULE_LOST)',
    '  --comm-lost        status word 0x0000: the web manager lost its internal communication',
    '  --strict-gaps      the unused registers 1005-1009 answer exception 2',
    '  --snmp-port P      also serve the BACS SNMP module and string tables (community public) on UDP port P',
    `  --scenario S       ${BACS_SCENARIOS.join(' | ')}`,
    `                     each produces one alarm of the BACS presets on module ${SCENARIO_MODULE} (docs/alarm-matrix.md);`,
    '                     boost and sheet-example are normal operating points that must raise none',
    '  --json             print the listening address as JSON',
  ].join('\n'),
  run: (argv) => runUntilInterrupted(() => start(argv)),
};

/** Starts the controller the options describe; resolves once it listens. */
export async function start(argv: string[]): Promise<Running> {
  const { values } = parse(argv, {
    strings: { type: 'string', default: '2' },
    modules: { type: 'string', default: '40' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '15020' },
    'unit-id': { type: 'string', default: '1' },
    cycle: { type: 'string', default: '0' },
    fault: { type: 'string', multiple: true },
    'fault-every': { type: 'string', default: '1' },
    'lose-module': { type: 'string', multiple: true },
    'comm-lost': { type: 'boolean', default: false },
    'strict-gaps': { type: 'boolean', default: false },
    'snmp-port': { type: 'string' },
    scenario: { type: 'string', default: 'normal' },
    json: { type: 'boolean', default: false },
  });
  const int = (name: string, value: unknown, min: number, max: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const faults: RequestFault[] = [];
  for (const spec of values.fault ?? []) {
    const fault = parseFault(spec);
    if (!fault) throw new Error(`unknown fault '${spec}' (drop, ignore, exception[:code], slow[:ms], wrong-length)`);
    faults.push(fault);
  }
  const sim = new BacsSimulator({
    strings: int('strings', values.strings, 1, 64),
    modules: int('modules', values.modules, 0, MAX_MODULES),
    host: String(values.host),
    port: int('port', values.port, 0, 65535),
    unitId: int('unit-id', values['unit-id'], 0, 255),
    cycleSeconds: int('cycle', values.cycle, 0, 86400),
    strictGaps: values['strict-gaps'] === true,
  });
  sim.setFaults(faults, int('fault-every', values['fault-every'], 1, 1000000));
  for (const id of values['lose-module'] ?? []) sim.loseModule(int('lose-module', id, 1, MAX_MODULES));
  const scenario = String(values.scenario);
  if (!(BACS_SCENARIOS as readonly string[]).includes(scenario)) throw new Error(`--scenario must be one of ${BACS_SCENARIOS.join(', ')}`);
  if (scenario !== 'normal') sim.setScenario(scenario as BacsScenario);
  if (values['comm-lost']) sim.loseCommunication(true);
  const port = await sim.start();
  let agent: BacsSnmpAgent | undefined;
  if (values['snmp-port'] !== undefined) {
    agent = new BacsSnmpAgent(sim, { port: int('snmp-port', values['snmp-port'], 1, 65535), host: sim.options.host });
    await agent.start();
  }
  const info = {
    device: 'bacs',
    host: sim.options.host,
    port,
    unitId: sim.options.unitId,
    strings: sim.options.strings,
    modules: sim.options.modules,
    ...(values['snmp-port'] !== undefined ? { snmpPort: Number(values['snmp-port']) } : {}),
  };
  if (values.json) printJson(info);
  else process.stdout.write(`BACS simulator: ${info.strings} strings, ${info.modules} modules on ${info.host}:${port} unit ${info.unitId}${agent ? `, SNMP on udp ${values['snmp-port']}` : ''}\n`);
  return {
    async stop() {
      await agent?.stop();
      await sim.stop();
    },
  };
}
