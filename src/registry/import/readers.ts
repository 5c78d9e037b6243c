// Extract readers: a file becomes a stream of (line number, input record) or (line number, reason it is
// unreadable). Both formats go through the same line splitter, so a bad line can never swallow the next.
import { Readable } from 'node:stream';
import { parse, type Info } from 'csv-parse';
import { csvRowToInput, headerProblem } from './csv-columns.ts';
import type { Reject } from './fields.ts';
import { MAX_LINE_LENGTH, readLines } from './lines.ts';

export type Format = 'ndjson' | 'csv';
export type ReadItem = { line: number; input: unknown } | { line: number; reject: Reject };

/** An import that cannot go on (an unreadable file or header, another import running): not one line's fault. */
export class ImportError extends Error {}

const UNCLOSED_QUOTE: Reject = { reason: 'malformed_line', message: 'the line has an unclosed quote' };
const TOO_LONG: Reject = { reason: 'malformed_line', message: `the line is longer than ${MAX_LINE_LENGTH} characters` };

export function formatOf(path: string, explicit?: string): Format {
  if (explicit === 'ndjson' || explicit === 'csv') return explicit;
  if (explicit !== undefined) throw new ImportError(`unknown format "${explicit}" (ndjson or csv)`);
  return /\.csv$/i.test(path) ? 'csv' : 'ndjson';
}

export function readExtract(path: string, format: Format): AsyncIterable<ReadItem[]> {
  return format === 'csv' ? readCsv(path) : readNdjson(path);
}

async function* readNdjson(path: string): AsyncGenerator<ReadItem[]> {
  for await (const lines of readLines(path)) {
    const items: ReadItem[] = [];
    for (const { number, text } of lines) {
      if (text === null) items.push({ line: number, reject: TOO_LONG });
      else if (text.trim() === '') continue;
      else {
        try {
          items.push({ line: number, input: JSON.parse(text) });
        } catch {
          items.push({ line: number, reject: { reason: 'malformed_line', message: 'the line is not valid JSON' } });
        }
      }
    }
    if (items.length > 0) yield items;
  }
}

/**
 * csv-parse reads the rows, but only ever whole lines: a line with an unbalanced quote would otherwise run
 * into the following lines, so it is replaced by a placeholder and reported. One record per line, then,
 * and csv-parse's line count is the file's.
 */
async function* readCsv(path: string): AsyncGenerator<ReadItem[]> {
  const replaced = new Map<number, Reject>();
  async function* text(): AsyncGenerator<string> {
    for await (const lines of readLines(path)) {
      let out = '';
      for (const { number, text: line } of lines) {
        const problem = line === null ? TOO_LONG : hasUnclosedQuote(line) ? UNCLOSED_QUOTE : undefined;
        if (problem) replaced.set(number, problem);
        out += problem || line === null ? '-\n' : line.trim() === '' ? '\n' : `${line}\n`;
      }
      yield out;
    }
  }
  let columns = 0;
  const parser = Readable.from(text()).pipe(
    parse({
      columns: (header: string[]) => {
        const problem = headerProblem(header);
        if (problem) throw new ImportError(`line 1: ${problem}`);
        columns = header.length;
        return header;
      },
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: Info & { error?: unknown } }>) {
      const line = info.lines;
      const placeholder = replaced.get(line);
      if (placeholder) {
        replaced.delete(line);
        yield [{ line, reject: placeholder }];
      } else if (info.error !== undefined || Object.keys(record).length !== columns) {
        yield [{ line, reject: { reason: 'malformed_line', message: `the line does not have the header's ${columns} columns` } }];
      } else {
        yield [{ line, ...csvRowToInput(record) }];
      }
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    const cause = error as Error & { cause?: unknown };
    throw cause.cause instanceof ImportError ? cause.cause : new ImportError(`the CSV file cannot be read: ${cause.message}`);
  }
}

function hasUnclosedQuote(line: string): boolean {
  let quotes = 0;
  for (let i = line.indexOf('"'); i !== -1; i = line.indexOf('"', i + 1)) quotes += 1;
  return quotes % 2 === 1;
}
