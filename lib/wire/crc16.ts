/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), table-driven; appended low byte first on the wire. */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[i] = crc;
  }
  return table;
})();

export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/** Whether an RTU frame (unit id, PDU, CRC low byte first) carries the CRC of its bytes. */
export function crcValid(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  return crc16Modbus(frame, 0, frame.length - 2) === (frame[frame.length - 2] | (frame[frame.length - 1] << 8));
}
