// The package as both module systems load it, by its name: `require('kalam-link')` gets the
// CommonJS build and `import('kalam-link')` the ESM one; each logs in, queries and reads the
// server's health against the real server.
'use strict';
const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');

let server;
let skip = false;

before(async () => {
  const { missingServer, startServer } = await import('./server.mjs');
  skip = missingServer() ?? false;
  if (!skip) server = await startServer();
});

after(async () => {
  await server?.cleanup();
});

async function exercise(kalam) {
  const { ROOT_PASSWORD } = await import('./server.mjs');
  assert.equal(typeof kalam.createClient, 'function');
  const client = kalam.createClient({
    url: server.url,
    authProvider: async () => kalam.Auth.basic('root', ROOT_PASSWORD),
  });
  try {
    const response = await client.query('SELECT 40 + $1 AS answer', [2]);
    assert.equal(response.status, 'success');
    assert.deepEqual(response.results[0].rows, [['42']]);
    const health = await client.health();
    assert.equal(health.status, 'ok');
    await assert.rejects(client.query('SELEKT 1'), (err) => err instanceof kalam.KalamError && err.code === 'INVALID_SQL');
  } finally {
    await client.disconnect();
  }
}

test('require() loads the CommonJS build, which talks to the server', async (t) => {
  if (skip) return t.skip(skip);
  const kalam = require('kalam-link');
  assert.ok(require.resolve('kalam-link').endsWith('index.cjs'), require.resolve('kalam-link'));
  await exercise(kalam);
});

test('import() loads the ESM build, which talks to the server', async (t) => {
  if (skip) return t.skip(skip);
  const kalam = await import('kalam-link');
  assert.notEqual(kalam.createClient, require('kalam-link').createClient, 'two builds, not one');
  await exercise(kalam);
});
