// The reject report: one NDJSON line per rejected input line (line number, reason code, message, and the
// personal ID when the line had a well-formed one). Never the line itself: it is personal data.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { LineReject } from './store.ts';

export interface RejectReport {
  /** Returns a promise only when the file is behind, so the caller can wait (back-pressure). */
  add(reject: LineReject): Promise<void> | undefined;
  close(): Promise<void>;
}

/** Creates (or empties) the report file, so a report never describes an earlier run. */
export async function openRejectReport(path: string): Promise<RejectReport> {
  const stream = createWriteStream(path);
  let failure: unknown;
  stream.on('error', (error) => (failure = error));
  await Promise.race([once(stream, 'open'), once(stream, 'error')]);
  if (failure) throw failure;
  return {
    add(reject) {
      const line = { line: reject.line, reason: reject.reason, message: reject.message, ...(reject.personalId ? { personal_id: reject.personalId } : {}) };
      if (stream.write(`${JSON.stringify(line)}\n`)) return undefined;
      return once(stream, 'drain').then(() => undefined);
    },
    async close() {
      stream.end();
      if (!stream.closed) await once(stream, 'close');
      if (failure) throw failure;
    },
  };
}
