// CSV files for download (RFC 4180): comma-separated, CRLF line ends, a field quoted when it holds a
// comma, a quote or a line end. A spreadsheet runs a cell that starts with = + - @ (or a tab or CR) as
// a formula, so such text is written with a leading apostrophe (OWASP "CSV injection"). Numbers are
// typed as numbers here, never guarded: a negative amount stays a number a spreadsheet can add up.

/** A cell: text (guarded against formulas) or a number already written as decimal text (never guarded). */
export type CsvCell = { readonly text: string } | { readonly number: string };

export const text = (value: string): CsvCell => ({ text: value });
export const number = (value: string): CsvCell => ({ number: value });

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

function field(cell: CsvCell): string {
  let value: string;
  if ('number' in cell) {
    // Only decimal text may pass as a number: anything else would bypass the formula guard.
    if (!DECIMAL.test(cell.number)) throw new Error(`not a decimal number: ${cell.number}`);
    value = cell.number;
  } else {
    value = FORMULA_START.test(cell.text) ? `'${cell.text}` : cell.text;
  }
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One line, ended by CRLF: for a file written a row at a time (a streamed export). */
export function csvLine(row: readonly CsvCell[]): string {
  return `${row.map(field).join(',')}\r\n`;
}

/** The header row and the rows, each line ended by CRLF. */
export function csv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header.map(text), ...rows].map(csvLine).join('');
}
