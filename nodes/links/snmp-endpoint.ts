/**
 * snmp-endpoint: the config node that owns one SNMP target set (docs/design.md §1.3). Device nodes
 * (jupiter-hvdc, bacs) register with it and ask for values through the SnmpEndpoint interface of
 * lib/snmp/types.ts; the sessions, batching, concurrency bound and trap receiver live here, once per link.
 */
import type { NodeAPI, Node, NodeDef } from '../../lib/red';
import { ErrorOnce, asError } from '../../lib/red';
import type { SnmpDone, SnmpEndpoint, SnmpTarget, SnmpTrap, SnmpVarbind } from '../../lib/snmp/types';
import { DropReport, SnmpClient, SnmpCredentials } from '../../lib/snmp/session';
import { SnmpEndpointConfig, num, sessionOptions, walkRows } from '../../lib/snmp/settings';
import { parseTargets, targetKey, targetName } from '../../lib/snmp/targets';
import { DEFAULT_TRAP_PORT } from '../../lib/snmp/receiver';
import { OVERFLOW_SOURCE } from '../../lib/report-limiter';
import { offerLink } from '../../lib/device/links';
import englishCatalogue from './locales/en-US/snmp-endpoint.json';

interface Credentials {
  community?: string;
  authKey?: string;
  privKey?: string;
}

type EndpointNode = Node<Credentials> & SnmpEndpoint & { client: SnmpClient | undefined };

/** where the trap receiver listens when the dialog leaves it empty: only this host can reach it */
const DEFAULT_TRAP_ADDRESS = '127.0.0.1';

/** walks with settings sent in the request (no deployed link) running at once; more are refused */
const MAX_ADHOC_WALKS = 4;

function isLoopback(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === 'localhost';
}

/** English texts, for runtimes that have not loaded the catalogue (tests with node-red-node-test-helper) */
function fallbackText(key: string, subs: Record<string, string | number> = {}): string {
  let node: unknown = englishCatalogue;
  for (const part of key.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  if (typeof node !== 'string') return key;
  return node.replace(/__(\w+)__/g, (m, name: string) => (name in subs ? String(subs[name]) : m));
}

export = function (RED: NodeAPI): void {
  const text = (key: string, subs?: Record<string, string | number>): string => {
    const t = RED._(key, subs);
    return t === key ? fallbackText(key, subs) : t;
  };
  function SnmpEndpointNode(this: EndpointNode, config: SnmpEndpointConfig & NodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const users = new Map<string, { id: string }>();
    const topic = `snmp-endpoint/${config.name || node.id}`;
    const errors = new ErrorOnce((err) => node.error(err, { topic }));
    const options = sessionOptions(config);
    const defaultPort = num(config.port, 161, 1, 65535);
    const credentials: SnmpCredentials = {
      community: node.credentials?.community || (options.version === 'v3' ? undefined : 'public'),
      authKey: node.credentials?.authKey,
      privKey: node.credentials?.privKey,
    };
    let configError: string | undefined;
    let targets: SnmpTarget[] = [];
    const parsed = parseTargets(String(config.targets ?? ''), defaultPort);
    if (!parsed.ok) configError = text('snmp-endpoint.errors.badTargets', { entry: parsed.error.entry, reason: parsed.error.message });
    else targets = parsed.value;
    if (!configError && options.version === 'v3') {
      if (!options.user) configError = text('snmp-endpoint.errors.noUser');
      else if (options.securityLevel !== 'noAuthNoPriv' && !credentials.authKey) configError = text('snmp-endpoint.errors.noAuthKey');
      else if (options.securityLevel === 'authPriv' && !credentials.privKey) configError = text('snmp-endpoint.errors.noPrivKey');
    }

    const dropped = (r: DropReport): void => {
      const source = r.source === OVERFLOW_SOURCE ? text('snmp-endpoint.dropped.otherSources') : r.source;
      const kind = text(`snmp-endpoint.dropKind.${r.kind}`);
      const message = r.first
        ? text(r.detail ? 'snmp-endpoint.dropped.firstDetail' : 'snmp-endpoint.dropped.first', { source, kind, detail: r.detail ?? '' })
        : text('snmp-endpoint.dropped.more', { source, kind, count: r.count });
      // to Catch as well as the log: a flow may want to alert on hostile traffic; the limiter bounds both
      node.error(message, { topic, source: r.source, kind: r.kind, count: r.count, payload: message });
    };
    const client = new SnmpClient(targets, options, credentials, {
      // local socket problems (bind error) go to Catch once per distinct text
      onError: (err) => errors.report('transport', err),
      // datagrams from the network: first per source and kind, then a count per minute
      onDropped: dropped,
    });
    node.client = client;
    if (configError) {
      errors.report('config', new Error(configError));
      node.status({ fill: 'red', shape: 'ring', text: text('common.status.error', { reason: text('snmp-endpoint.status.badConfig') }) });
    }

    if (config.trapEnabled && !configError) {
      const trapAddress = typeof config.trapAddress === 'string' && config.trapAddress.trim() ? config.trapAddress.trim() : DEFAULT_TRAP_ADDRESS;
      const stored = node.credentials?.community;
      // `public` stands in for an empty community only where no other host can send: on loopback. A receiver
      // open to the network takes v1/v2c notifications only with a community the user stored.
      const communities = stored ? [stored] : options.version !== 'v3' && isLoopback(trapAddress) ? ['public'] : [];
      if (communities.length === 0 && options.version !== 'v3') node.warn(text('snmp-endpoint.errors.trapNoCommunity', { address: trapAddress }));
      client.startTrapReceiver({
        port: num(config.trapPort, DEFAULT_TRAP_PORT, 1, 65535),
        address: trapAddress,
        communities,
        users:
          options.version === 'v3' && options.user
            ? [{ name: options.user, level: options.securityLevel ?? 'authPriv', authProtocol: options.authProtocol, authKey: credentials.authKey, privProtocol: options.privProtocol, privKey: credentials.privKey }]
            : [],
      });
    }

    const refuse = (): Promise<never> => Promise.reject(new Error(configError));
    Object.defineProperty(node, 'configError', { get: () => configError, enumerable: true });
    Object.defineProperty(node, 'defaultPort', { value: defaultPort, enumerable: true });
    node.targets = () => targets.slice();
    node.targetName = (target: SnmpTarget) => targetName(target, defaultPort);
    node.get = (target: SnmpTarget, oids: string[]) => (configError ? refuse() : client.get(target, oids));
    node.walk = (target: SnmpTarget, baseOid: string) => (configError ? refuse() : client.walk(target, baseOid));
    node.getThen = (target: SnmpTarget, oids: string[], done: SnmpDone<SnmpVarbind[]>) => (configError ? done(new Error(configError)) : client.getThen(target, oids, done));
    node.walkThen = (target: SnmpTarget, baseOid: string, done: SnmpDone<SnmpVarbind[]>) => (configError ? done(new Error(configError)) : client.walkThen(target, baseOid, done));
    node.onTrap = (listener: (trap: SnmpTrap) => void) => client.onTrap(listener);
    node.register = (user: { id: string }) => {
      users.set(user.id, user);
    };
    node.deregister = (user: { id: string }) => {
      users.delete(user.id);
    };
    offerLink(node, 'snmp-endpoint', node);

    node.on('close', (_removed: boolean, done: () => void) => {
      users.clear();
      client.close().then(
        () => done(),
        (err: unknown) => {
          node.warn(asError(err).message);
          done();
        },
      );
    });
  }

  RED.nodes.registerType('snmp-endpoint', SnmpEndpointNode as unknown as (this: Node, config: NodeDef) => void, {
    credentials: {
      community: { type: 'password' },
      authKey: { type: 'password' },
      privKey: { type: 'password' },
    },
  });

  /**
   * The units a target list expands to, as the link will poll them, in order: the jupiter dialog names units by
   * their place in this list. `{ targets, port }` as the link's dialog holds them (saved or not).
   */
  RED.httpAdmin.post('/dcpower/snmp/targets', RED.auth.needsPermission('snmp-endpoint.read'), (req, res) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const defaultPort = num(body.port, 161, 1, 65535);
      const parsed = parseTargets(typeof body.targets === 'string' ? body.targets : '', defaultPort);
      if (!parsed.ok) {
        res.status(400).json({ error: text('snmp-endpoint.errors.badTargets', { entry: parsed.error.entry, reason: parsed.error.message }) });
        return;
      }
      res.json({ units: parsed.value.map((t) => ({ name: targetName(t, defaultPort), address: `${t.host}:${t.port}` })) });
    } catch (err) {
      res.status(500).json({ error: asError(err).message });
    }
  });

  /**
   * The jupiter dialog's "discover" button: walks one unit and returns rows (oid, type, value).
   * - With the `id` of a deployed link: only a unit of that link, with the link's stored credentials.
   * - Without `id`: any target, with the settings and credentials in the request only (used for this walk,
   *   never stored or logged); a missing community means `public`, as on a link.
   * Both send packets from the Node-RED host, and the first spends stored credentials: a write permission,
   * which Node-RED's `read` role does not have.
   */
  let adhocWalks = 0;
  RED.httpAdmin.post('/dcpower/snmp/walk', RED.auth.needsPermission('snmp-endpoint.write'), (req, res) => {
    void (async () => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const root = typeof body.root === 'string' && /^\.?\d+(\.\d+)*$/.test(body.root) ? body.root.replace(/^\./, '') : '1.3.6.1';
      const maxRows = num(body.maxRows, 5000, 1, 50000);
      const id = typeof body.id === 'string' ? body.id : '';
      const targetText = typeof body.target === 'string' ? body.target.trim() : '';
      if (id) {
        const deployed = RED.nodes.getNode(id) as EndpointNode | null;
        if (!deployed || deployed.type !== 'snmp-endpoint' || !deployed.client) {
          res.status(404).json({ error: text('snmp-endpoint.errors.walkNotDeployed') });
          return;
        }
        if (deployed.configError) {
          res.status(409).json({ error: deployed.configError });
          return;
        }
        const parsed = parseTargets(targetText, deployed.defaultPort);
        if (!parsed.ok || parsed.value.length !== 1) {
          res.status(400).json({ error: text('snmp-endpoint.errors.walkTarget') });
          return;
        }
        const target = parsed.value[0];
        const unit = deployed.targets().find((t) => targetKey(t) === targetKey(target));
        if (!unit) {
          // the stored credentials are for the link's own units, not for any host a request names
          res.status(403).json({ error: text('snmp-endpoint.errors.walkForeign', { target: targetText }) });
          return;
        }
        try {
          const varbinds = await deployed.client.walk(unit, root, maxRows);
          res.json({ target: targetText, root, rows: walkRows(varbinds) });
        } catch (err) {
          res.status(502).json({ error: asError(err).message });
        }
        return;
      }
      const defaultPort = num(body.port, 161, 1, 65535);
      const parsed = parseTargets(targetText, defaultPort);
      if (!parsed.ok || parsed.value.length !== 1) {
        res.status(400).json({ error: text('snmp-endpoint.errors.walkTarget') });
        return;
      }
      if (adhocWalks >= MAX_ADHOC_WALKS) {
        res.status(429).json({ error: text('snmp-endpoint.errors.walkBusy') });
        return;
      }
      const opts = sessionOptions(body as Partial<Record<keyof SnmpEndpointConfig, unknown>>);
      const creds = (body.credentials ?? {}) as Record<string, unknown>;
      // '__PWRD__' is the editor's stand-in for a stored secret: it never selects one here
      const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v !== '__PWRD__' ? v : undefined);
      const client = new SnmpClient([], opts, { community: str(creds.community) ?? 'public', authKey: str(creds.authKey), privKey: str(creds.privKey) });
      adhocWalks++;
      try {
        const varbinds = await client.walk(parsed.value[0], root, maxRows);
        res.json({ target: targetText, root, rows: walkRows(varbinds) });
      } catch (err) {
        res.status(502).json({ error: asError(err).message });
      } finally {
        adhocWalks--;
        await client.close();
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) res.status(500).json({ error: asError(err).message });
    });
  });
};
