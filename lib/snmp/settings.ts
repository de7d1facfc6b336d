/** Settings of an snmp-endpoint link as the dialog, the admin endpoint and `dcpower walk` give them. */
import {
  AUTH_PROTOCOLS,
  PRIV_PROTOCOLS,
  SnmpAuthProtocol,
  SnmpPrivProtocol,
  SnmpSecurityLevel,
  SnmpSessionOptions,
  SnmpVersion,
} from './session';
import type { SnmpVarbind } from './types';
import { typeName, varbindText } from './varbinds';

export interface SnmpEndpointConfig {
  id?: string;
  name?: string;
  targets: string;
  port: string | number;
  version: string;
  user: string;
  securityLevel: string;
  authProtocol: string;
  privProtocol: string;
  context: string;
  timeout: string | number;
  retries: string | number;
  maxVarbinds: string | number;
  maxRepetitions: string | number;
  concurrency: string | number;
  trapEnabled: boolean;
  trapPort: string | number;
  trapAddress: string;
}

export function num(value: unknown, fallback: number, min: number, max: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= min && n <= max ? Math.round(n) : fallback;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

const VERSIONS: SnmpVersion[] = ['v1', 'v2c', 'v3'];
const LEVELS: SnmpSecurityLevel[] = ['noAuthNoPriv', 'authNoPriv', 'authPriv'];

/** Session settings from the dialog's (or a request's) fields, every value range-checked. */
export function sessionOptions(config: Partial<Record<keyof SnmpEndpointConfig, unknown>>): SnmpSessionOptions {
  return {
    version: oneOf(config.version, VERSIONS, 'v2c'),
    user: typeof config.user === 'string' ? config.user : '',
    securityLevel: oneOf(config.securityLevel, LEVELS, 'authPriv'),
    authProtocol: oneOf<SnmpAuthProtocol>(config.authProtocol, AUTH_PROTOCOLS, 'sha256'),
    privProtocol: oneOf<SnmpPrivProtocol>(config.privProtocol, PRIV_PROTOCOLS, 'aes'),
    context: typeof config.context === 'string' ? config.context : '',
    timeout: num(config.timeout, 2000, 100, 60000),
    retries: num(config.retries, 1, 0, 10),
    maxVarbinds: num(config.maxVarbinds, 24, 1, 200),
    maxRepetitions: num(config.maxRepetitions, 20, 1, 200),
    concurrency: num(config.concurrency, 64, 1, 2000),
  };
}

/** A row of a walk as the discover dialog and `dcpower walk` show it. */
export interface WalkRow {
  oid: string;
  type: string;
  value: string | number;
}

export function walkRows(varbinds: SnmpVarbind[]): WalkRow[] {
  return varbinds.map((vb) => ({
    oid: vb.oid,
    type: typeName(vb.type),
    value: typeof vb.value === 'number' ? vb.value : varbindText(vb),
  }));
}

