/**
 * The schema of each device kind's reading (lib/schema.ts), for the nodes that take any device's envelope: the PLC
 * bridge's key lists and the uplink's metric types. A new device adds its schema here.
 */
import type { DeviceSchema } from '../lib/schema';
import type { DeviceKind } from '../lib/wire/envelope';
import { BACS_SCHEMA } from './bacs/schema';
import { JK_SCHEMA } from './jk-bms/schema';
import { JUPITER_SCHEMA } from './jupiter-hvdc/schema';

export const DEVICE_SCHEMAS: { readonly [kind in DeviceKind]: DeviceSchema } = {
  'jk-bms': JK_SCHEMA,
  // the balancers send the JK reading keys they have (cells, balance current, switches)
  'jk-balancer': JK_SCHEMA,
  bacs: BACS_SCHEMA,
  'jupiter-hvdc': JUPITER_SCHEMA,
};

/** the schema of a message's `device.kind`, when it names a device of this package */
export function schemaOfKind(kind: unknown): DeviceSchema | undefined {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(DEVICE_SCHEMAS, kind) ? DEVICE_SCHEMAS[kind as DeviceKind] : undefined;
}
