// Import progress for an operator: one line rewritten in place on a terminal, a plain line now and then
// when the output is a log file or a pipe.
export interface ImportCounts {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  elapsedMs: number;
}

export interface ProgressDisplay {
  update(counts: ImportCounts): void;
  /** Clears the in-place line so the summary starts on a clean line. */
  done(): void;
}

const grouped = (n: number) => Math.round(n).toLocaleString('en-US');

export function describeCounts(c: ImportCounts): string {
  const rate = c.elapsedMs > 0 ? (c.read * 1000) / c.elapsedMs : 0;
  return `${grouped(c.read)} read (${grouped(rate)}/s): ${grouped(c.inserted)} inserted, ${grouped(c.updated)} updated, ${grouped(c.unchanged)} unchanged, ${grouped(c.rejected)} rejected`;
}

export function progressDisplay(stream: NodeJS.WriteStream, options: { intervalMs?: number } = {}): ProgressDisplay {
  const tty = stream.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 250 : 10_000);
  // Off a terminal the first line comes an interval after the first batch, not after start: a slow start
  // (migrations, a busy machine) is no progress to report.
  let last = tty ? 0 : undefined;
  return {
    update(counts) {
      const now = Date.now();
      last ??= now;
      if (now - last < interval) return;
      last = now;
      stream.write(tty ? `\r\x1b[2K${describeCounts(counts)}` : `${describeCounts(counts)}\n`);
    },
    done() {
      if (tty && last !== undefined && last > 0) stream.write('\r\x1b[2K');
    },
  };
}
