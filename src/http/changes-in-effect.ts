// A change staff make by hand (an operator suspends a client, an officer locks an account) is answered only once
// every instance, this one included, has dropped what it cached of it: the next request anywhere sees it.
import type { FastifyInstance } from 'fastify';
import type { Reach } from '../db/notifications.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** reach: src/db/notifications.ts reachEveryInstance on this instance's database. */
export function answerOnceInEffect(app: FastifyInstance, reach: () => Promise<Reach>): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (SAFE.has(request.method) || reply.statusCode >= 400) return payload;
    try {
      const { listening, heard } = await reach();
      if (heard < listening) request.log.warn({ listening, heard }, 'not every instance confirmed the change in time; the others apply it when its notice reaches them');
    } catch (error) {
      // The change itself committed (or was refused) before this; the answer still goes out.
      request.log.warn({ err: error }, 'could not confirm the change on every instance');
    }
    return payload;
  });
}
