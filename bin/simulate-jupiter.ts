/** `dcpower simulate jupiter`: N Jupiter SNMP agents on consecutive ports, with scenarios and traps. */
import { Command, parse, Running, runUntilInterrupted } from './cli';
import { JupiterFleet, Scenario, SCENARIOS, SimUser } from '../nodes/jupiter-hvdc/simulator';
import { parseTargets } from '../lib/snmp/targets';

export const USAGE = [
  'usage: dcpower simulate jupiter [--host 127.0.0.1] [--port 16161] [--units 1] [--community public]',
  '         [--v3-user NAME --v3-level authPriv --v3-auth-protocol sha256 --v3-auth-key KEY',
  '          --v3-priv-protocol aes --v3-priv-key KEY]',
  `         [--scenario ${SCENARIOS.join('|')}]`,
  '         [--speed 1] [--recover-after 20] [--trap-target host:port --trap-version v2c --trap-community public]',
  '         [--delay ms] [--max-varbinds N]',
  '',
  'Starts --units SNMP agents on consecutive UDP ports from --port, each a simulated Jupiter J540/J560 240 V',
  'HVDC unit: RFC 1628 UPS-MIB, ENTITY-SENSOR-MIB and the simulator\'s own vendor subtree',
  '1.3.6.1.4.1.32473.240 (RFC 5612 documentation enterprise number: not a Jupiter OID). v1 and v2c answer the',
  'community; v3 the user given. Scenarios change values and alarms over time; with --trap-target each unit',
  'sends UPS-MIB traps (alarm added/removed, on battery) from its own port. Prints "ready" when listening.',
  'Each scenario produces one alarm of the Jupiter preset (docs/alarm-matrix.md); the readings and flags of the',
  'simulator\'s own subtree reach the node with the profile SIM_PROFILE_ROWS describes. --speed runs scenario',
  'time faster (20: a discharge to low voltage in about 2 s).',
].join('\n');

export const command: Command = {
  summary: 'Jupiter HVDC SNMP agents',
  usage: USAGE,
  run: (argv) => runUntilInterrupted(() => start(argv)),
};

/** Starts the units the options describe; resolves once they listen. */
export async function start(argv: string[]): Promise<Running> {
  const { values } = parse(argv, {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '16161' },
    units: { type: 'string', default: '1' },
    community: { type: 'string', default: 'public' },
    'v3-user': { type: 'string' },
    'v3-level': { type: 'string', default: 'authPriv' },
    'v3-auth-protocol': { type: 'string', default: 'sha256' },
    'v3-auth-key': { type: 'string' },
    'v3-priv-protocol': { type: 'string', default: 'aes' },
    'v3-priv-key': { type: 'string' },
    scenario: { type: 'string', default: 'normal' },
    'recover-after': { type: 'string', default: '20' },
    speed: { type: 'string', default: '1' },
    'trap-target': { type: 'string' },
    'trap-version': { type: 'string', default: 'v2c' },
    'trap-community': { type: 'string', default: 'public' },
    delay: { type: 'string' },
    'max-varbinds': { type: 'string' },
  });
  const units = Number(values.units);
  const port = Number(values.port);
  if (!Number.isInteger(units) || units < 1 || units > 10000) throw new Error('--units must be 1..10000');
  if (!Number.isInteger(port) || port < 1 || port + units - 1 > 65535) throw new Error('--port out of range');
  const scenario = String(values.scenario) as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}`);
  const speed = Number(values.speed);
  if (!(speed > 0 && speed <= 1000)) throw new Error('--speed must be above 0 and at most 1000');
  const users: SimUser[] = [];
  if (values['v3-user']) {
    users.push({
      name: String(values['v3-user']),
      level: String(values['v3-level']) as SimUser['level'],
      authProtocol: String(values['v3-auth-protocol']) as SimUser['authProtocol'],
      authKey: values['v3-auth-key'] as string | undefined,
      privProtocol: String(values['v3-priv-protocol']) as SimUser['privProtocol'],
      privKey: values['v3-priv-key'] as string | undefined,
    });
  }
  let trap;
  if (values['trap-target']) {
    const t = parseTargets(String(values['trap-target']), 162);
    if (!t.ok || t.value.length !== 1) throw new Error('--trap-target must be host:port');
    const version = String(values['trap-version']);
    if (version !== 'v1' && version !== 'v2c' && version !== 'v3') throw new Error('--trap-version must be v1, v2c or v3');
    trap = { host: t.value[0].host, port: t.value[0].port, version: version as 'v1' | 'v2c' | 'v3', community: String(values['trap-community']), user: users[0] };
  }
  const fleet = new JupiterFleet({
    basePort: port,
    units,
    address: String(values.host),
    communities: [String(values.community)],
    users,
    scenario,
    recoverAfterS: Number(values['recover-after']),
    speed,
    delayMs: values.delay ? Number(values.delay) : undefined,
    maxVarbinds: values['max-varbinds'] ? Number(values['max-varbinds']) : undefined,
    trap,
  });
  await fleet.start();
  // units refresh on request; a timer keeps scenarios (and their traps) moving when nobody polls
  const ticker = setInterval(() => {
    for (const u of fleet.units) u.refresh();
  }, trap ? 1000 : 5000);
  process.stdout.write(
    `jupiter simulator: ${units} unit(s) on ${values.host}:${port}${units > 1 ? `-${port + units - 1}` : ''}, scenario ${scenario}` +
      `${trap ? `, traps ${trap.version} to ${trap.host}:${trap.port}` : ''}\nready\n`,
  );
  return {
    async stop() {
      clearInterval(ticker);
      await fleet.stop();
    },
  };
}
