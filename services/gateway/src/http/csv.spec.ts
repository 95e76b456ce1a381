import { describe, expect, it } from 'vitest';
import { csv, number, text } from './csv';

describe('csv', () => {
  it('writes a header and rows, CRLF-ended, quoting only what needs it (RFC 4180)', () => {
    const out = csv(
      ['name', 'amount'],
      [
        [text('plain'), number('12.50')],
        [text('a, b'), number('0')],
        [text('say "hi"\nbye'), number('-1.125')],
      ],
    );
    expect(out).toBe('name,amount\r\nplain,12.50\r\n"a, b",0\r\n"say ""hi""\nbye",-1.125\r\n');
  });

  it('writes text that a spreadsheet would run as a formula with a leading apostrophe', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) {
      const value = `${start}HYPERLINK("http://x")`;
      const [, row] = csv(['v'], [[text(value)]]).split('\r\n');
      const written = row!.startsWith('"') ? row!.slice(1, -1).replace(/""/g, '"') : row!;
      expect(written, JSON.stringify(start)).toBe(`'${value}`);
    }
    expect(csv(['v'], [[text('a=b')], [text('')]])).toBe('v\r\na=b\r\n\r\n');
  });

  it('never guards a number, and refuses anything but decimal text as one', () => {
    expect(csv(['v'], [[number('-5')]])).toBe('v\r\n-5\r\n');
    for (const bad of ['=1+1', '1e5', '', ' 1', '1,5']) expect(() => csv(['v'], [[number(bad)]]), bad).toThrow('not a decimal number');
  });

  it('guards the header like any text', () => {
    expect(csv(['=x'], [])).toBe("'=x\r\n");
  });
});
