import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Points the project's audio kind at a declared tool that sleeps `seconds` and writes nothing: a build is still
 * running when a test's Ctrl-C comes, whatever the machine, and a cancel that works ends it far sooner.
 */
export async function useSlowAudioTool(root: string, seconds: number): Promise<void> {
  const configFile = path.join(root, 'packer.json');
  const config = JSON.parse(await readFile(configFile, 'utf8')) as {
    kinds: Record<string, { processor: string }>;
    tools: Record<string, unknown>;
  };
  config.tools = { slow: { command: 'sleep', args: [String(seconds)], timeoutMs: 60_000 } };
  config.kinds.audio!.processor = 'slow';
  await writeFile(configFile, JSON.stringify(config, null, 2));
}
