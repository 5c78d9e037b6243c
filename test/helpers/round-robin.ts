// A round-robin load balancer, as nginx's default upstream would be: each request (not each connection) goes to
// the next instance, Host header and all, so two requests in a row never reach the same one. It remembers who
// served what, for the test to show that every step changed instance.
import { createServer, type Server } from 'node:http';
import { passTo } from './instances.ts';

export interface Upstream {
  name: string;
  url: string;
}

export interface RoundRobin {
  url: string;
  /** One entry per request: the upstream that answered it, the method and the path (without the query). */
  served: Array<{ upstream: string; method: string; path: string }>;
  /** Makes the next request go to this upstream (the rotation goes on from there). */
  skipTo(name: string): void;
  close(): Promise<void>;
}

/** Listens on port (the issuer's) on 127.0.0.1. */
export async function startRoundRobin(upstreams: Upstream[], port: number): Promise<RoundRobin> {
  let next = 0;
  const served: RoundRobin['served'] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = upstreams[next++ % upstreams.length]!;
    served.push({ upstream: upstream.name, method: incoming.method ?? 'GET', path: (incoming.url ?? '/').split('?')[0]! });
    passTo(upstream.url, incoming, outgoing);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    skipTo(name) {
      next = upstreams.findIndex((upstream) => upstream.name === name);
      if (next < 0) throw new Error(`no upstream ${name}`);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
