// Builds the package into dist/: the kalam-link-wasm crate for wasm32-unknown-unknown
// (release), its JavaScript bindings with the wasm-bindgen CLI (`--target web`, which Node
// loads from bytes), and the hand-written ESM wrapper and type declarations from src/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
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
console.log(`built ${dist}`);
