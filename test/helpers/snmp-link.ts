/**
 * A test's SnmpLink from promise-returning get and walk: getThen and walkThen, the forms the device adapters call,
 * end in the same answers.
 */
import type { SnmpDone, SnmpLink, SnmpTarget, SnmpVarbind } from '../../lib/snmp/types';

type Request = (target: SnmpTarget, oidOrOids: never) => Promise<SnmpVarbind[]>;

export interface PromiseLinkParts {
  targets: () => SnmpTarget[];
  get?: (target: SnmpTarget, oids: string[]) => Promise<SnmpVarbind[]>;
  walk?: (target: SnmpTarget, baseOid: string) => Promise<SnmpVarbind[]>;
}

const notUsed = (): Promise<SnmpVarbind[]> => Promise.reject(new Error('not used'));

function then(request: Request, target: SnmpTarget, arg: unknown, done: SnmpDone<SnmpVarbind[]>): void {
  // done runs outside the promise chain, so what it throws fails the test instead of becoming an unhandled rejection
  request(target, arg as never).then(
    (answer) => setImmediate(done, null, answer),
    (err: unknown) => setImmediate(done, err instanceof Error ? err : new Error(String(err))),
  );
}

export function promiseLink(parts: PromiseLinkParts): SnmpLink {
  const get = parts.get ?? notUsed;
  const walk = parts.walk ?? notUsed;
  return {
    targets: parts.targets,
    get,
    walk,
    getThen: (target, oids, done) => then(get as Request, target, oids, done),
    walkThen: (target, baseOid, done) => then(walk as Request, target, baseOid, done),
    onTrap: () => () => undefined,
  };
}
