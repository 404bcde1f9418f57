import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ProjectConfig } from '../contract/config-schema.js';
import { PackerError } from '../contract/errors.js';
import { issueField, parseJsonFile } from './json-file.js';

export const CONFIG_FILE = 'packer.json';

/** Environment variables that override `packer.json` fields, applied before validation. */
const ENV_OVERRIDES: ReadonlyArray<{ name: string; apply(raw: Record<string, unknown>, value: string): void }> = [
  { name: 'PACKER_NAME', apply: (raw, value) => (raw.name = value) },
  { name: 'PACKER_ASSET_ROOTS', apply: (raw, value) => (raw.assetRoots = splitList(value)) },
  {
    name: 'PACKER_IGNORE',
    apply: (raw, value) => (raw.ignore = [...(Array.isArray(raw.ignore) ? raw.ignore : []), ...splitList(value)]),
  },
  { name: 'PACKER_BUILD_DIR', apply: (raw, value) => (raw.buildDir = value) },
  {
    name: 'PACKER_IDLE_TIMEOUT_MS',
    apply: (raw, value) => {
      const daemon = (raw.daemon ??= {}) as Record<string, unknown>;
      daemon.idleTimeoutMs = Number(value);
    },
  },
  // The remote cache from the environment: CI sets the URL, mode and secrets here, out of the committed file.
  {
    name: 'PACKER_REMOTE_CACHE',
    apply: (raw, value) => {
      if (value.trim().toLowerCase() === 'off') delete raw.remoteCache;
      else remoteCacheOf(raw).url = value.trim();
    },
  },
  { name: 'PACKER_REMOTE_CACHE_MODE', apply: (raw, value) => (remoteCacheOf(raw).mode = value.trim()) },
  {
    name: 'PACKER_REMOTE_CACHE_HEADER',
    apply: (raw, value) => {
      const headers = headersOf(remoteCacheOf(raw));
      for (const line of value.split(/\r?\n/).filter((item) => item.trim() !== '')) {
        const colon = line.indexOf(':');
        // A line without a name cannot be sent; an empty name fails validation without echoing the secret.
        headers[colon > 0 ? line.slice(0, colon).trim() : ''] = colon > 0 ? line.slice(colon + 1).trim() : '';
      }
    },
  },
  {
    name: 'PACKER_REMOTE_CACHE_TOKEN',
    apply: (raw, value) => (headersOf(remoteCacheOf(raw)).Authorization = `Bearer ${value.trim()}`),
  },
];

function remoteCacheOf(raw: Record<string, unknown>): Record<string, unknown> {
  if (!raw.remoteCache || typeof raw.remoteCache !== 'object' || Array.isArray(raw.remoteCache)) raw.remoteCache = {};
  return raw.remoteCache as Record<string, unknown>;
}

function headersOf(remote: Record<string, unknown>): Record<string, unknown> {
  if (!remote.headers || typeof remote.headers !== 'object' || Array.isArray(remote.headers)) remote.headers = {};
  return remote.headers as Record<string, unknown>;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Validates a parsed `packer.json` object; the error names the file and the first bad field. */
export function validateConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = {}): ProjectConfig {
  const withEnv =
    raw && typeof raw === 'object' && !Array.isArray(raw) ? structuredClone(raw as Record<string, unknown>) : raw;
  const applied: string[] = [];
  if (withEnv && typeof withEnv === 'object' && !Array.isArray(withEnv)) {
    for (const override of ENV_OVERRIDES) {
      const value = env[override.name];
      if (value !== undefined && value !== '') {
        override.apply(withEnv as Record<string, unknown>, value);
        applied.push(override.name);
      }
    }
  }
  const result = ProjectConfig.safeParse(withEnv);
  if (result.success) return result.data;
  throw configError(result.error, file, applied);
}

function configError(error: z.ZodError, file: string, envApplied: string[]): PackerError {
  const first = error.issues[0];
  const field = first ? issueField(first) : '(root)';
  const envNote = envApplied.length ? ` (environment overrides in effect: ${envApplied.join(', ')})` : '';
  return new PackerError(
    'INVALID_CONFIG',
    `${file}: field "${field}" is invalid: ${first?.message ?? 'unknown problem'}${envNote}.`,
    {
      file,
      field,
      issues: error.issues.map((issue) => ({ path: issueField(issue), message: issue.message })),
      hint: `Fix "${field}" in ${file}.`,
    },
  );
}

/** Reads and validates `<root>/packer.json`, with `PACKER_*` environment overrides. */
export function loadConfig(projectRoot: string, env: NodeJS.ProcessEnv = process.env): ProjectConfig {
  const file = path.join(projectRoot, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PackerError(
      'INVALID_CONFIG',
      `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      {
        file,
        hint: 'Run `packer init` to create a packer.json, or pass -C <project dir>.',
      },
      { cause: error },
    );
  }
  return validateConfig(parseJsonFile(text, file, 'INVALID_CONFIG'), file, env);
}
