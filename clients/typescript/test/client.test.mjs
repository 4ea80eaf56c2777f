// kalam-link over HTTP against a real server: login, queries, parameters, prepared statements,
// server error codes, JWT credentials, and health up and down.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Auth, createClient, KalamError } from '../dist/index.js';
import { missingServer, ROOT_PASSWORD, startServer } from './server.mjs';

const skip = missingServer() ?? false;
let server;
let root;

before(async () => {
  if (skip) return;
  server = await startServer();
  root = createClient({ url: server.url, authProvider: async () => Auth.basic('root', ROOT_PASSWORD) });
});

after(async () => {
  await root?.disconnect();
  await server?.cleanup();
});

test('queries with parameters return the wire results', { skip }, async () => {
  const created = await root.query(
    'CREATE NAMESPACE app; CREATE SHARED TABLE app.items (id BIGINT PRIMARY KEY, name TEXT, price DOUBLE)',
  );
  assert.equal(created.status, 'success');
  assert.equal(created.results[0].message, "Namespace 'app' created successfully");
  await root.query('INSERT INTO app.items (id, name, price) VALUES ($1, $2, $3)', [
    9007199254740993n,
    'big',
    1.5,
  ]);
  await root.query('INSERT INTO app.items (id, name, price) VALUES ($1, $2, $3)', [2, null, null]);
  const response = await root.query('SELECT id, name, price FROM app.items ORDER BY id');
  const [result] = response.results;
  assert.deepEqual(
    result.schema.map((f) => [f.name, f.data_type]),
    [
      ['id', 'BigInt'],
      ['name', 'Text'],
      ['price', 'Double'],
    ],
  );
  // BIGINT stays exact: it travels as a string.
  assert.deepEqual(result.rows, [
    ['2', null, null],
    ['9007199254740993', 'big', 1.5],
  ]);
  assert.equal(result.row_count, 2);
  assert.equal(result.as_user, 'root');
  assert.ok(typeof response.took === 'number');
});

test('a prepared statement runs with many parameter sets', { skip }, async () => {
  await root.query('CREATE SHARED TABLE app.kv (k TEXT PRIMARY KEY, v BIGINT)');
  const insert = root.prepare('INSERT INTO app.kv (k, v) VALUES ($1, $2)');
  for (let i = 1; i <= 5; i++) await insert.execute([`k${i}`, i * 10]);
  const find = root.prepare('SELECT v FROM app.kv WHERE k = $1');
  assert.equal(find.sql, 'SELECT v FROM app.kv WHERE k = $1');
  for (let i = 1; i <= 5; i++) {
    const { results } = await find.execute([`k${i}`]);
    assert.deepEqual(results[0].rows, [[String(i * 10)]]);
  }
});

test('server errors surface their code, status and message', { skip }, async () => {
  await assert.rejects(root.query('SELECT * FROM app.nope'), (err) => {
    assert.ok(err instanceof KalamError);
    assert.equal(err.code, 'SQL_EXECUTION_ERROR');
    assert.equal(err.status, 400);
    assert.match(err.message, /does not exist/);
    return true;
  });
  await assert.rejects(root.query('SELEKT 1'), { code: 'INVALID_SQL', status: 400 });
  await assert.rejects(root.query('SELECT $1; SELECT 2', [1]), { code: 'PARAMS_WITH_BATCH' });
  const wrong = createClient({ url: server.url, authProvider: async () => Auth.basic('root', 'wrong') });
  await assert.rejects(wrong.query('SELECT 1'), (err) => {
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.equal(err.status, 401);
    assert.match(err.message, /Invalid credentials/);
    return true;
  });
  const anonymous = createClient({ url: server.url, authProvider: async () => Auth.none() });
  await assert.rejects(anonymous.query('SELECT 1'), { status: 401 });
});

test('a JWT from the login endpoint is accepted', { skip }, async () => {
  const reply = await fetch(`${server.url}/v1/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'root', password: ROOT_PASSWORD }),
  });
  const { access_token } = await reply.json();
  const jwt = createClient({ url: server.url, authProvider: async () => Auth.jwt(access_token) });
  const { results } = await jwt.query('SELECT 1 AS one');
  assert.deepEqual(results[0].rows, [['1']]);
  assert.deepEqual(await jwt.health(), (await root.health()));
  const bad = createClient({ url: server.url, authProvider: async () => Auth.jwt('not.a.jwt') });
  assert.equal((await bad.health()).status, 'auth_failed');
});

test('health tells a running server from a stopped one', { skip }, async () => {
  const up = await root.health();
  assert.equal(up.status, 'ok');
  assert.match(up.version, /^\d+\.\d+\.\d+/);
  await server.stop();
  const down = await root.health();
  assert.equal(down.status, 'unreachable');
  assert.equal(down.url, server.url);
  assert.ok(down.reason.length > 0);
  await assert.rejects(root.query('SELECT 1'), { code: 'UNREACHABLE' });
});
