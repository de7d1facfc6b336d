import { expect } from 'chai';
import { escapeWireText } from '../../../lib/wire/wire-text';

describe('lib/wire-text escapeWireText', () => {
  it('escapes control characters, ESC sequences, DEL, C1, backslash and line breaks', () => {
    expect(escapeWireText('a\x1b[31mred\x1b[0m\r\nb\t\\\x00\x7f\x9b')).to.equal('a\\x1b[31mred\\x1b[0m\\r\\nb\\t\\\\\\x00\\x7f\\x9b');
  });

  it('escapes Unicode line separators and direction overrides but keeps ordinary text and emoji', () => {
    expect(escapeWireText('ok \u2028x\u202eevil\u2066 电池 🔋')).to.equal('ok \\u{2028}x\\u{202e}evil\\u{2066} 电池 🔋');
    expect(escapeWireText('lone \ud800 surrogate')).to.equal('lone \\u{d800} surrogate');
  });

  it('reads a Buffer byte for byte and caps the length without cutting an escape', () => {
    expect(escapeWireText(Buffer.from([0x41, 0x00, 0xff]))).to.equal('A\\x00\u00ff');
    const long = escapeWireText('\x01'.repeat(100), 10);
    expect(long).to.equal('\\x01\\x01…');
    expect(escapeWireText('x'.repeat(1000)).length).to.be.at.most(161);
  });
});
