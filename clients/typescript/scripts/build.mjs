// Builds the package into dist/: the kalam-link-wasm crate for wasm32-unknown-unknown
// (release), its JavaScript bindings with the wasm-bindgen CLI (`--target web`, which Node
// loads from bytes), and the hand-written ESM wrapper and type declarations from src/.
// The CommonJS build (dist/cjs) is the same wrapper with its imports and exports rewritten,
// over wasm-bindgen's `--target nodejs` bindings, which load the module when required.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const repo = resolve(pkg, '..', '..');
const target = process.env.CARGO_TARGET_DIR
  ? resolve(process.env.CARGO_TARGET_DIR)
  : join(repo, 'target');

function run(cmd, args, cwd) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (result.error) {
    console.error(`could not run ${cmd}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run('cargo', ['build', '--target', 'wasm32-unknown-unknown', '--release', '-p', 'kalam-link-wasm'], repo);
const wasm = join(target, 'wasm32-unknown-unknown', 'release', 'kalam_link_wasm.wasm');
if (!existsSync(wasm)) {
  console.error(`expected ${wasm} after the build`);
  process.exit(1);
}
const dist = join(pkg, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'wasm'), { recursive: true });
run('wasm-bindgen', ['--target', 'web', '--out-dir', join(dist, 'wasm'), '--out-name', 'kalam_link_wasm', wasm], pkg);
for (const file of ['index.js', 'index.d.ts']) {
  copyFileSync(join(pkg, 'src', file), join(dist, file));
}

const cjs = join(dist, 'cjs');
mkdirSync(join(cjs, 'wasm'), { recursive: true });
run('wasm-bindgen', ['--target', 'nodejs', '--out-dir', join(cjs, 'wasm'), '--out-name', 'kalam_link_wasm', wasm], pkg);
// The package is "type": "module"; this folder holds CommonJS.
writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
writeFileSync(join(cjs, 'index.cjs'), toCommonJs(readFileSync(join(pkg, 'src', 'index.js'), 'utf8')));
copyFileSync(join(pkg, 'src', 'index.d.ts'), join(cjs, 'index.d.ts'));
console.log(`built ${dist}`);

/** src/index.js as CommonJS; fails the build when the source no longer has the expected shape. */
function toCommonJs(source) {
  const replace = (text, from, to) => {
    if (!text.includes(from)) {
      console.error(`build: src/index.js no longer contains ${JSON.stringify(from)}; update toCommonJs`);
      process.exit(1);
    }
    return text.split(from).join(to);
  };
  let out = replace(
    source,
    "import init, { WasmClient } from './wasm/kalam_link_wasm.js';",
    "const { WasmClient } = require('./wasm/kalam_link_wasm.js');\n" +
      '// The nodejs bindings instantiate the module when required: nothing to initialize.\n' +
      'const init = async () => {};',
  );
  out = replace(out, 'import.meta.url', "require('node:url').pathToFileURL(__filename)");
  const names = [];
  out = out.replace(/^export (const|class|function) (\w+)/gm, (_match, kind, name) => {
    names.push(name);
    return `${kind} ${name}`;
  });
  if (/^export /m.test(out) || names.length === 0) {
    console.error('build: src/index.js has an export toCommonJs does not rewrite');
    process.exit(1);
  }
  return `'use strict';\n${out}\nmodule.exports = { ${names.join(', ')} };\n`;
}
