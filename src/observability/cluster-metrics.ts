// With WORKERS > 1 the scrape reaches whichever worker the kernel hands the connection to; that worker asks the
// primary, which collects every worker's figures and sums them (prom-client's AggregatorRegistry.aggregate), so
// one scrape sees the whole instance; a figure of the whole database every worker reads alike (the SMS queue, the
// engine) declares aggregator 'max' instead. Workers answer collections from their own app's registry.
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';

const ASK = 'dinhdanh:metrics:ask';
const ANSWER = 'dinhdanh:metrics:answer';
const COLLECT = 'dinhdanh:metrics:collect';
const PART = 'dinhdanh:metrics:part';
/** A worker that does not answer in time (busy, dying) is left out of this scrape rather than holding it up. */
const COLLECT_MS = 2_000;

type Message = { type?: string; id?: string; text?: string; metrics?: unknown };

/** In a worker: answer the primary's collections from this registry. Returns how to ask for the whole instance. */
export function joinClusterMetrics(registry: Registry): (() => Promise<string>) | undefined {
  if (!cluster.isWorker || !process.send) return undefined;
  const waiting = new Map<string, (text: string) => void>();
  process.on('message', (message: Message) => {
    if (message?.type === COLLECT && message.id) {
      void registry.getMetricsAsJSON().then((metrics) => process.send?.({ type: PART, id: message.id, metrics }));
    } else if (message?.type === ANSWER && message.id) {
      waiting.get(message.id)?.(message.text ?? '');
      waiting.delete(message.id);
    }
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary did not answer for the cluster metrics'));
      }, COLLECT_MS * 2);
      waiting.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      process.send!({ type: ASK, id });
    });
}

/** In the primary: collect from every live worker when one asks, and hand it the sum. */
export function serveClusterMetrics(workers: () => Iterable<Worker>): void {
  cluster.on('message', (asker: Worker, message: Message) => {
    if (message?.type !== ASK || !message.id) return;
    const collection = randomUUID();
    const parts: unknown[] = [];
    const expected = [...workers()];
    const done = async () => {
      cluster.off('message', onPart);
      const text = await AggregatorRegistry.aggregate(parts as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
      if (asker.isConnected()) asker.send({ type: ANSWER, id: message.id, text });
    };
    const timer = setTimeout(() => void done(), COLLECT_MS);
    const onPart = (_worker: Worker, part: Message) => {
      if (part?.type !== PART || part.id !== collection) return;
      parts.push(part.metrics);
      if (parts.length === expected.length) {
        clearTimeout(timer);
        void done();
      }
    };
    cluster.on('message', onPart);
    for (const worker of expected) if (worker.isConnected()) worker.send({ type: COLLECT, id: collection });
  });
}
