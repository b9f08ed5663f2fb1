// Bundles the web page into OUT (default ../build/web): OUT/index.html and
// OUT/assets/app-<hash>.js and .css. The hash in each name changes with the
// content, so the server can let browsers cache the assets forever while
// index.html is revalidated on every load.
//
// Usage: node build.mjs --out DIR

import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = path.dirname(fileURLToPath(import.meta.url));

function outDir() {
  const index = process.argv.indexOf('--out');
  if (index < 0 || !process.argv[index + 1]) {
    console.error('build.mjs: missing --out DIR (the folder to write index.html and assets/ to)');
    process.exit(2);
  }
  return path.resolve(process.argv[index + 1]);
}

async function main() {
  const out = outDir();
  // A fresh staging folder, renamed over the old output at the end, so a
  // server never reads a half-written page.
  const staging = `${out}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.join(staging, 'assets'), { recursive: true });

  const result = await build({
    entryPoints: { app: path.join(webDir, 'src', 'main.js') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome100', 'firefox100', 'safari15'],
    outdir: path.join(staging, 'assets'),
    entryNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    legalComments: 'linked',
  });

  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const script = outputs.find((name) => name.endsWith('.js'));
  const style = outputs.find((name) => name.endsWith('.css'));
  if (!script || !style) {
    throw new Error(`esbuild produced ${outputs.join(', ')}; expected one .js and one .css file`);
  }

  const template = await readFile(path.join(webDir, 'src', 'index.html'), 'utf8');
  const index = template
    .replace('<!-- STYLE -->', `<link rel="stylesheet" href="/assets/${style}">`)
    .replace('<!-- SCRIPT -->', `<script type="module" src="/assets/${script}"></script>`);
  await writeFile(path.join(staging, 'index.html'), index);

  await rm(out, { recursive: true, force: true });
  await rename(staging, out);
  console.log(`web: wrote ${out}/index.html, assets/${script}, assets/${style}`);
}

main().catch((error) => {
  console.error(`build.mjs: ${error.message}`);
  process.exit(1);
});
