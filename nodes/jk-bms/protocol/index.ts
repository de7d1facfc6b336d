/**
 * The JK protocol contract the jk-bms node, the rs485-bus framer, the simulator and `dcpower decode` use.
 * Types live in types.ts; the codecs (nw, jk02, modbus, balancer) and the auto-detection (detect) are
 * registered here as they land.
 */
export * from './types';
