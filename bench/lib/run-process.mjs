// Whole-process measurements: wall time from spawn to exit, and peak RSS from GNU time when it is installed
// (else the child's own `process.resourceUsage().maxRSS`, which only node children can report).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GNU_TIME = '/usr/bin/time';
export const HAS_GNU_TIME = existsSync(GNU_TIME);
let sequence = 0;

/**
 * Runs one command to completion. `stdout: 'capture'` collects it (for node children that report JSON);
 * otherwise it goes to /dev/null, as a baseline run on the command line would.
 * Resolves `{ ms, peakRssKb, stdout }`; rejects with the stderr tail on a non-zero exit.
 */
export function runProcess(command, args, { cwd, env = process.env, stdout = 'ignore' } = {}) {
  const rssFile = HAS_GNU_TIME ? path.join(os.tmpdir(), `packer-bench-rss-${process.pid}-${sequence++}`) : undefined;
  const [file, argv] = rssFile ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', stdout === 'capture' ? 'pipe' : 'ignore', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout?.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ms = performance.now() - started;
      let peakRssKb = Number.NaN;
      if (rssFile) {
        try {
          // GNU time prefixes "Command exited with non-zero status N" on failure; the number is the last line.
          const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
          peakRssKb = Number(lines.at(-1));
        } catch {
          // no report: leave NaN
        }
        rmSync(rssFile, { force: true });
      }
      if (code !== 0) {
        const tail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-15).join('\n');
        reject(new Error(`${[command, ...args].join(' ').slice(0, 200)} exited with ${signal ?? code}:\n${tail}`));
        return;
      }
      resolve({ ms, peakRssKb, stdout: Buffer.concat(out).toString('utf8') });
    });
  });
}

// The body runs inside an async function of a CommonJS `node -e` script and loads packages with `await import(url)`.
// Not `--input-type=module`: worker threads inherit that flag, which turns eval'd CommonJS worker sources
// (hashFiles' pool) into ES modules that fail on `require`.
const wrap = (body) => `
const report = (values) => process.stdout.write('\\n@@bench ' + JSON.stringify({ ...values, maxRSS: process.resourceUsage().maxRSS }) + '\\n');
(async () => {
${body}
})().catch((error) => { console.error(error); process.exit(1); });
`;

/**
 * Runs a script body in a fresh `node -e` and returns the whole process's wall time and peak RSS plus whatever
 * the body passed to `report()`. The body may `await`; it imports the compiled packages by absolute URL.
 */
export async function runNodeScript(body, options = {}) {
  const run = await runProcess(process.execPath, ['-e', wrap(body)], { ...options, stdout: 'capture' });
  const line = run.stdout.split('\n').findLast((text) => text.startsWith('@@bench '));
  const reported = line ? JSON.parse(line.slice('@@bench '.length)) : {};
  return {
    ms: run.ms,
    peakRssKb: Number.isFinite(run.peakRssKb) ? run.peakRssKb : (reported.maxRSS ?? Number.NaN),
    reported,
  };
}
