// The daemon as one ES module file (issue 11, warm open): `npm run build` runs this after `tsc -b`. Loading ~360
// modules (our compiled packages, zod, json-rpc-2.0, picomatch) one by one cost 0.2-0.4 s of every start; the bundle
// is one file, plus the chunks that stay lazy (the build, the WebSocket listener). dist/bin/packer-daemon.js runs it
// only while every input is as recorded in the manifest written here (src/bin/fresh-bundle.ts), so a `tsc -b`
// without this step falls back to the module graph, never to a stale bundle.
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('./dist/', import.meta.url));
/** Where the bundle goes: dist/ (a test builds one elsewhere under dist/ with PACKER_BUNDLE_OUT). */
const out = process.env.PACKER_BUNDLE_OUT ? path.resolve(process.env.PACKER_BUNDLE_OUT) : dist;
const MANIFEST = 'bundle-daemon-main.inputs.json';
/** Inlined: pure JS, loaded at start. Everything else stays an import: native modules (lmdb, @parcel/watcher) and
 * what the daemon loads only when needed (execa, ws, chokidar as a fallback watcher). */
const INLINED = /^(?:@packer\/(?:core|client)|zod|json-rpc-2\.0|picomatch)(?:\/|$)/;

const mark = (file) => {
  const stat = statSync(file);
  return [path.relative(out, file), stat.size, stat.mtimeMs];
};

export default {
  input: { 'daemon-main': path.join(dist, 'bin/daemon-main.js') },
  platform: 'node',
  external: (id, importer) =>
    id.startsWith('node:') ||
    (importer !== undefined && !id.startsWith('.') && !path.isAbsolute(id) && !INLINED.test(id)),
  output: {
    dir: out,
    format: 'esm',
    entryFileNames: 'bundle-[name].js',
    chunkFileNames: 'bundle-[name]-[hash].js',
  },
  plugins: [
    {
      name: 'packer-bundle-manifest',
      buildStart() {
        // The manifest and the old chunks: a failed build leaves no bundle that looks fresh.
        for (const name of readdirSync(out)) if (name.startsWith('bundle-')) rmSync(path.join(out, name));
      },
      writeBundle(_options, bundle) {
        const chunks = Object.values(bundle).filter((item) => item.type === 'chunk');
        const inputs = new Set(chunks.flatMap((chunk) => chunk.moduleIds).filter((id) => path.isAbsolute(id)));
        const manifest = {
          entry: chunks.find((chunk) => chunk.isEntry).fileName,
          outputs: chunks.map((chunk) => mark(path.join(out, chunk.fileName))),
          inputs: [...inputs].sort().map(mark),
        };
        writeFileSync(path.join(out, MANIFEST), `${JSON.stringify(manifest)}\n`);
      },
    },
  ],
};
