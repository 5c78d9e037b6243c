// bench/results/YYYY-MM-DD-<machine>.md: what a benchmark printed, with versions, parameters and raw figures,
// so a later run on the same machine can be compared with this one.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function version(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(`${ROOT}node_modules/${name}/package.json`, 'utf8')) as { version: string };
  return manifest.version;
}

export async function writeResults(name: string, parameters: Record<string, unknown>, lines: string[], raw: unknown): Promise<string> {
  const machine = process.env.BENCH_MACHINE ?? `${availableParallelism()}-core`;
  const day = new Date().toISOString().slice(0, 10);
  const path = `${ROOT}bench/results/${day}-${machine}.md`;
  await mkdir(`${ROOT}bench/results`, { recursive: true });
  const versions = { node: process.version, 'oidc-provider': await version('oidc-provider'), fastify: await version('fastify'), pg: await version('pg'), argon2: await version('argon2') };
  await appendFile(path, [
    `## ${name} — ${new Date().toISOString()}`,
    '',
    `machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `parameters: ${JSON.stringify(parameters)}`,
    '',
    '```',
    ...lines,
    '```',
    '',
    '<details><summary>raw figures</summary>',
    '',
    '```json',
    JSON.stringify(raw, null, 2),
    '```',
    '</details>',
    '',
  ].join('\n'));
  return path;
}
