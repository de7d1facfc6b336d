/**
 * Text that came off the wire (a device's reply, a datagram from anyone) made safe for one log line: a
 * peer must not be able to end the line, move the cursor, recolour a terminal or reorder what an operator
 * reads (bidi overrides), nor fill the log with one long string.
 */

/** characters Unicode treats as line breaks or direction overrides: invisible in a log, but they reorder it */
const FORMAT_CHARS = /[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  switch (ch) {
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
  }
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return '\\x' + code.toString(16).padStart(2, '0');
  if (FORMAT_CHARS.test(ch) || (code >= 0xd800 && code <= 0xdfff)) return '\\u{' + code.toString(16).padStart(4, '0') + '}';
  return ch;
}

/**
 * Escapes C0/C1 control characters (ESC included), DEL, backslash, Unicode line separators, direction
 * overrides and lone surrogates; caps the result at `maxLength` characters plus an ellipsis. A Buffer is
 * read byte for byte (latin1), so every byte shows, printable or not.
 */
export function escapeWireText(input: unknown, maxLength = 160): string {
  const text = Buffer.isBuffer(input) ? input.toString('latin1') : String(input);
  let out = '';
  for (let i = 0; i < text.length; i++) {
    let ch = text[i];
    const code = ch.charCodeAt(0);
    // a valid surrogate pair is one character (an emoji): keep it whole
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        ch = text.slice(i, i + 2);
        i++;
      }
    }
    const piece = ch.length === 2 ? ch : escapeChar(ch);
    if (out.length + piece.length > maxLength) return out + '…';
    out += piece;
  }
  return out;
}
