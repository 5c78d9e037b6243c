// Provider instances as an operator runs them (`node src/main.ts`, one process each) behind a load balancer
// the test steers: one public ISSUER, and the test decides which instance gets the next request.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort } from './provider.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  /** Everything the process wrote (JSON log lines, and a crash's stack trace on stderr). */
  output(): string;
  /** Ends the process (SIGTERM unless told otherwise) and waits for it; safe on an exited process. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `node src/main.ts` and returns once every worker listens. */
export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const instance = await launchInstance(name, env);
  await instance.ready();
  return instance;
}

/** Starts `node src/main.ts` and returns at once; ready() resolves when every worker listens. */
export async function launchInstance(name: string, env: Record<string, string>): Promise<Instance & { ready(timeoutMs?: number): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  // Ready when every worker listens: the primary starts the others once the first does, and a test that stops the
  // database meanwhile would be testing a start, not a running instance.
  const workers = () => Number(/"workers":(\d+)[^\n]*"msg":"starting workers"/.exec(output)?.[1] ?? 1);
  const listening = () => (output.includes('"msg":"starting workers"') ? output.split('"msg":"worker listening"').length - 1 : output.includes('Server listening') ? 1 : 0);
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async ready(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while (listening() < workers()) {
        if (child.exitCode !== null || Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`instance ${name} did not start:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

export interface LoadBalancer {
  url: string;
  /** Where the next requests go. */
  target: Instance;
  close(): Promise<void>;
}

/** Listens on port (the issuer's), and passes each request, Host header and all, to the current target; a new upstream connection every time. */
export async function startLoadBalancer(first: Instance, port: number): Promise<LoadBalancer> {
  const balancer: LoadBalancer = { url: `http://127.0.0.1:${port}`, target: first, close: () => new Promise((resolve) => server.close(() => resolve())) };
  const server: Server = createServer((incoming, outgoing) => passTo(balancer.target.url, incoming, outgoing));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return balancer;
}

/** Passes one request, Host header and all, to the upstream on a connection of its own; 502 if it is gone. */
export function passTo(upstreamUrl: string, incoming: IncomingMessage, outgoing: ServerResponse): void {
  const upstream = new URL(upstreamUrl);
  const proxied = forward(
    { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, connection: 'close' }, agent: false },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  proxied.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502).end('bad gateway');
    else outgoing.destroy();
  });
  incoming.pipe(proxied);
}
