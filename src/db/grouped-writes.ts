// Group commit for small, independent inserts: a row that comes while the previous insert is in flight waits for
// it and goes with the others that came meanwhile, in one statement. Alone, a row is written at once, so light
// load waits for nothing; under load the database sees one round trip and one commit for many answers.

const MOST_ROWS = 500;

interface Waiting<Row> {
  row: Row;
  written: () => void;
  failed: (error: unknown) => void;
}

/** `write(rows)` inserts rows in one statement; the function returned resolves once its row is written. */
export function groupedWrites<Row>(write: (rows: Row[]) => Promise<void>): (row: Row) => Promise<void> {
  const waiting: Array<Waiting<Row>> = [];
  let writing = false;

  async function writeAll() {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, MOST_ROWS);
      try {
        await write(batch.map((w) => w.row));
        for (const w of batch) w.written();
      } catch (error) {
        if (batch.length === 1) batch[0]!.failed(error);
        // One refused row must not take the others with it: each is tried alone.
        else for (const w of batch) await write([w.row]).then(w.written, w.failed);
      }
    }
    writing = false;
  }

  return (row) =>
    new Promise<void>((written, failed) => {
      waiting.push({ row, written, failed });
      if (!writing) void writeAll();
    });
}
