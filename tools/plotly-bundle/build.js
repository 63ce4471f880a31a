// Build tunecraft's partial plotly.js bundle: `npm ci && npm run build` in this folder.
//
// Writes ../../tunecraft/viz/assets/plotly-tunecraft.min.js (plotly.js's core with the bar
// and contour traces, minified as plotly.js's own build does, with esbuild) and, beside it,
// plotly-tunecraft.LICENSE: the licence of every package the bundle holds. Prints the
// bundle's sha256, which tunecraft/viz/plotlyjs.py records.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const VERSION = require('plotly.js/package.json').version;
const ASSETS = path.join(__dirname, '..', '..', 'tunecraft', 'viz', 'assets');
const OUT = path.join(ASSETS, 'plotly-tunecraft.min.js');
const BANNER = `/**
* plotly.js (tunecraft partial bundle: scatter, bar, contour - minified) v${VERSION}
* Copyright 2012-2026, Plotly, Inc.
* All rights reserved.
* Licensed under the MIT license
* Built by tunecraft's tools/plotly-bundle; licences of the bundled packages: plotly-tunecraft.LICENSE
*/`;

function packageOf(input) {  // node_modules/@scope/name/... or node_modules/name/...
  const parts = input.split('/');
  const i = parts.lastIndexOf('node_modules');
  if (i < 0) return null;
  return parts[i + 1].startsWith('@') ? parts.slice(i, i + 3).join('/') : parts.slice(i, i + 2).join('/');
}

function licenceText(dir) {
  const names = fs.readdirSync(dir).filter((f) => /^(licen[sc]e|copying)/i.test(f)).sort();
  if (names.length) return fs.readFileSync(path.join(dir, names[0]), 'utf8').trim();
  const pkg = require(path.join(dir, 'package.json'));
  return `Licensed under ${pkg.license || 'see the package'} (no licence file in the package)`;
}

// maplibre's stylesheet, required only for map traces: left out (no CSS file, no licence)
const noStylesheets = {
  name: 'no-stylesheets',
  setup(build) {
    build.onResolve({ filter: /\.css$/ }, (args) => ({ path: args.path, namespace: 'no-css' }));
    build.onLoad({ filter: /.*/, namespace: 'no-css' }, () => ({ contents: '', loader: 'js' }));
  },
};

esbuild.build({
  entryPoints: [path.join(__dirname, 'entry.js')],
  outfile: OUT,
  format: 'iife',
  globalName: 'Plotly',
  bundle: true,
  minify: true,
  metafile: true,
  banner: { js: BANNER },
  legalComments: 'none',  // the licences go to plotly-tunecraft.LICENSE instead
  plugins: [noStylesheets],
  alias: { stream: 'stream-browserify' },
  define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
  target: 'es2016',
  logLevel: 'warning',
}).then((result) => {
  const packages = new Set();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = bytesInOutput > 0 ? packageOf(input) : null;  // not the empty stylesheet
      if (pkg) packages.add(pkg);
    }
  }
  const notices = [...packages].sort().map((pkg) => {
    const dir = path.join(__dirname, pkg);
    const { name, version } = require(path.join(dir, 'package.json'));
    return `${'='.repeat(78)}\n${name} ${version}\n${'='.repeat(78)}\n${licenceText(dir)}\n`;
  });
  fs.writeFileSync(path.join(ASSETS, 'plotly-tunecraft.LICENSE'),
    `The bundle plotly-tunecraft.min.js holds these ${notices.length} packages, each under ` +
    `its licence below.\n\n${notices.join('\n')}`);
  const code = fs.readFileSync(OUT);
  const sha = crypto.createHash('sha256').update(code).digest('hex');
  console.log(`${path.relative(process.cwd(), OUT)}: ${code.length} bytes, ` +
              `${packages.size} packages, sha256 ${sha}`);
}).catch(() => process.exit(1));
