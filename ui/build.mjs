// `npm run build` step 2: bundles the web UI (ui/src, TypeScript + Preact) with esbuild into
// dist/ui/, which the gateway serves at /ui/. One JS and one CSS file, no CDN, nothing fetched
// at run time. `--metafile` writes dist/ui/meta.json for the bundle-size benchmark.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../dist/ui');
const started = Date.now();

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const result = await esbuild.build({
  entryPoints: { app: path.join(here, 'src/main.tsx') },
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
fs.writeFileSync(path.join(out, 'meta.json'), JSON.stringify(result.metafile));
for (const f of ['index.html', 'favicon.svg'])
  fs.copyFileSync(path.join(here, 'public', f), path.join(out, f));
const js = fs.statSync(path.join(out, 'app.js')).size;
process.stdout.write(
  `ui: built dist/ui (app.js ${(js / 1024).toFixed(0)} KiB) in ${Date.now() - started} ms\n`,
);
