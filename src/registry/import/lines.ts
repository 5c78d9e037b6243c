// Reads a text file as numbered lines, a chunk at a time, never holding more than one chunk and one line.
import { createReadStream } from 'node:fs';

export interface Line {
  /** 1-based line number in the file. */
  number: number;
  /** null when the line is longer than the limit: it was skipped, not kept. */
  text: string | null;
}

/** Longer than any real record; a runaway line (a file without newlines) must not fill memory. */
export const MAX_LINE_LENGTH = 1 << 20;

export async function* readLines(path: string, maxLength = MAX_LINE_LENGTH): AsyncGenerator<Line[]> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  let carry = '';
  let overlong = false;
  let number = 0;
  const finish = (piece: string): Line => {
    number += 1;
    if (overlong || piece.length > maxLength) {
      overlong = false;
      return { number, text: null };
    }
    let text = piece.endsWith('\r') ? piece.slice(0, -1) : piece;
    if (number === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    return { number, text };
  };
  for await (const chunk of stream as AsyncIterable<string>) {
    const lines: Line[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      lines.push(finish(overlong ? '' : carry + chunk.slice(start, nl)));
      carry = '';
      start = nl + 1;
    }
    if (!overlong) {
      carry += chunk.slice(start);
      if (carry.length > maxLength) {
        overlong = true;
        carry = '';
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (overlong || carry !== '') yield [finish(carry)];
}
