// kalam-link's files and exports against a real server: upload, list, download, delete, another
// user's id refused, and an export started, waited for and downloaded.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Auth, createClient } from '../dist/index.js';
import { missingServer, ROOT_PASSWORD, startServer } from './server.mjs';

const skip = missingServer() ?? false;
let server;
let root;
let alice;
let bob;

before(async () => {
  if (skip) return;
  server = await startServer();
  root = createClient({ url: server.url, authProvider: async () => Auth.basic('root', ROOT_PASSWORD) });
  for (const name of ['alice', 'bob']) {
    await root.query(`CREATE USER '${name}' WITH PASSWORD 'pw-${name}-123' ROLE user`);
  }
  alice = createClient({ url: server.url, authProvider: async () => Auth.basic('alice', 'pw-alice-123') });
  bob = createClient({ url: server.url, authProvider: async () => Auth.basic('bob', 'pw-bob-123') });
});

after(async () => {
  for (const c of [root, alice, bob]) await c?.disconnect();
  await server?.cleanup();
});

test('files round trip for their owner only', { skip }, async () => {
  const bytes = new Uint8Array(300000).map((_, i) => i % 251);
  const file = await alice.uploadFile('data.bin', bytes, 'application/x-test');
  assert.equal(file.name, 'data.bin');
  assert.equal(file.size, bytes.length);
  assert.equal(file.mime, 'application/x-test');
  assert.equal(file.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.deepEqual(await alice.listFiles(), [file]);
  const back = await alice.downloadFile(file.id);
  assert.ok(back instanceof Uint8Array);
  assert.deepEqual(back, bytes);

  assert.deepEqual(await bob.listFiles(), []);
  await assert.rejects(bob.downloadFile(file.id), { status: 404 });
  await assert.rejects(bob.deleteFile(file.id), { status: 404 });

  await alice.deleteFile(file.id);
  assert.deepEqual(await alice.listFiles(), []);
  await assert.rejects(alice.downloadFile(file.id), { status: 404 });
});

test('an export is started, waited for and downloaded', { skip }, async () => {
  await root.query('CREATE NAMESPACE app; CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)');
  await alice.query("INSERT INTO app.notes VALUES (1, 'one')");
  await alice.uploadFile('a.txt', 'hello');
  const job = await alice.startExport();
  assert.match(job, /^UE-/);
  const done = await alice.waitForExport(job, 60000);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  const zip = await alice.downloadExport(done.download_url);
  assert.equal(zip.length, done.size);
  assert.equal(String.fromCharCode(zip[0], zip[1]), 'PK');
  assert.equal((await alice.exports())[0].job_id, job);
  await assert.rejects(bob.downloadExport(done.download_url), { status: 404 });
  await assert.rejects(alice.startExport('bob'));
});
