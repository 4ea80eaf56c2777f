// Starts the real kalamdb-server for the tests: 127.0.0.1, port 0 (or a fixed port for a
// restart), a temporary data directory, root's password from the environment. The binary is
// $KALAMDB_SERVER_BIN, else $CARGO_TARGET_DIR/debug/kalamdb-server, else <repo>/target/debug.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT_PASSWORD = 'ts-test-root-pw';
const READY_PREFIX = 'KalamDB server listening on http://';
const START_TIMEOUT_MS = 60_000;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function serverBinary() {
  if (process.env.KALAMDB_SERVER_BIN) return process.env.KALAMDB_SERVER_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(repo, 'target');
  return join(target, 'debug', 'kalamdb-server');
}

/** Why the tests cannot run, or null. With KALAM_REQUIRE_SERVER=1 a missing binary is an error. */
export function missingServer() {
  const binary = serverBinary();
  if (existsSync(binary)) return null;
  const note = `kalamdb-server not found at ${binary} (set KALAMDB_SERVER_BIN or build it)`;
  if (process.env.KALAM_REQUIRE_SERVER === '1') throw new Error(note);
  return note;
}

function launch(binary, dir, port) {
  const child = spawn(binary, [], {
    env: {
      ...process.env,
      KALAMDB_SERVER_HOST: '127.0.0.1',
      KALAMDB_SERVER_PORT: String(port),
      KALAMDB_DATA_DIR: join(dir, 'data'),
      KALAMDB_ROOT_PASSWORD: ROOT_PASSWORD,
      KALAMDB_BCRYPT_COST: '4',
      KALAMDB_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise((done) => child.once('exit', done));
  const ready = new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`kalamdb-server did not start in time; stderr:\n${stderr}`));
    }, START_TIMEOUT_MS);
    // Keep reading stdout for the server's whole life so it never blocks on a full pipe.
    createInterface({ input: child.stdout }).on('line', (line) => {
      const rest = line.trim().startsWith(READY_PREFIX) ? line.trim().slice(READY_PREFIX.length) : null;
      if (rest !== null) {
        clearTimeout(timer);
        done(Number(rest.split(':').pop()));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`kalamdb-server exited with ${code}; stderr:\n${stderr}`));
    });
  });
  return { child, ready, exited };
}

/** A running server: `{ url, port, stop(), restart(), cleanup() }`. */
export async function startServer() {
  const binary = serverBinary();
  const dir = mkdtempSync(join(tmpdir(), 'kalam-ts-'));
  let proc = launch(binary, dir, 0);
  const port = await proc.ready;
  const server = {
    url: `http://127.0.0.1:${port}`,
    port,
    /** Kills the process (like a crash); the data stays. */
    async stop() {
      if (!proc) return;
      const { child, exited } = proc;
      proc = null;
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    /** Stops and starts again on the same port with the same data directory. */
    async restart() {
      await server.stop();
      proc = launch(binary, dir, port);
      const again = await proc.ready;
      if (again !== port) throw new Error(`restarted on port ${again}, expected ${port}`);
    },
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Resolves once `check()` is truthy; fails after `timeoutMs`. */
export async function waitFor(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
