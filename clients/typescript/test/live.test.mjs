// kalam-link live queries against a real server: rows arriving, refused subscriptions, and a
// reconnect after the server restarts that resumes without losing or repeating a row.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Auth, createClient } from '../dist/index.js';
import { missingServer, ROOT_PASSWORD, startServer, waitFor } from './server.mjs';

const skip = missingServer() ?? false;
let server;
let client;

before(async () => {
  if (skip) return;
  server = await startServer();
  client = createClient({ url: server.url, authProvider: async () => Auth.basic('root', ROOT_PASSWORD) });
  await client.query('CREATE NAMESPACE chat; CREATE SHARED TABLE chat.messages (id BIGINT PRIMARY KEY, body TEXT)');
  await client.query("INSERT INTO chat.messages (id, body) VALUES (1, 'hello'), (2, 'world')");
});

after(async () => {
  await client?.disconnect();
  await server?.cleanup();
});

const bodies = (rows) => rows.map((r) => r.body);

test('live rows arrive: initial load, insert, update, delete', { skip }, async () => {
  let current = null;
  const unsubscribe = await client.live('SELECT * FROM chat.messages', (rows) => {
    current = rows;
  }, { batchSize: 1 });
  await waitFor(() => current?.length === 2, 'the initial rows');
  assert.deepEqual(bodies(current), ['hello', 'world']);
  assert.ok(current.every((r) => typeof r._seq === 'string'));

  await client.query("INSERT INTO chat.messages (id, body) VALUES (3, 'again')");
  await waitFor(() => current.length === 3, 'the inserted row');
  await client.query("UPDATE chat.messages SET body = 'HELLO' WHERE id = 1");
  await waitFor(() => current[0].body === 'HELLO', 'the update');
  await client.query('DELETE FROM chat.messages WHERE id = 2');
  await waitFor(() => current.length === 2, 'the delete');
  assert.deepEqual(bodies(current), ['HELLO', 'again']);

  await unsubscribe();
  const seen = current;
  await client.query("INSERT INTO chat.messages (id, body) VALUES (4, 'unseen')");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(current, seen, 'no callback after unsubscribe');
});

test('raw events and refused subscriptions', { skip }, async () => {
  await assert.rejects(client.subscribe('SELECT * FROM chat.missing', () => {}), {
    code: 'NOT_FOUND',
  });
  await assert.rejects(client.live('DELETE FROM chat.messages', () => {}), { code: 'INVALID_SQL' });
  const events = [];
  const unsubscribe = await client.subscribe('SELECT id FROM chat.messages WHERE id > 3', (e) => events.push(e));
  await waitFor(() => events.some((e) => e.type === 'initial_rows' && !e.has_more), 'the initial load');
  assert.equal(events[0].type, 'ack');
  assert.deepEqual(events[0].schema.map((f) => f.name), ['id', '_seq']);
  await client.query("INSERT INTO chat.messages (id, body) VALUES (5, 'five')");
  await waitFor(() => events.some((e) => e.type === 'insert'), 'the insert event');
  assert.deepEqual(events.find((e) => e.type === 'insert').rows.map((r) => r.id), ['5']);
  await unsubscribe();
});

test('after a server restart the subscription resumes without loss or repeats', { skip }, async () => {
  const events = [];
  let current = [];
  const unsubscribe = await client.live(
    'SELECT * FROM chat.messages',
    (rows) => {
      current = rows;
    },
    // A long first retry, so the row written right after the restart is missed live and
    // must come back through the resume.
    { reconnectDelayMs: 5000, maxReconnectDelayMs: 5000, onEvent: (e) => events.push(e) },
  );
  await waitFor(() => events.some((e) => e.type === 'initial_rows' && !e.has_more), 'the initial load');
  const before = current.map((r) => r.id);
  const lastSeq = current.map((r) => BigInt(r._seq)).reduce((a, b) => (a > b ? a : b));

  await server.restart();
  await client.query("INSERT INTO chat.messages (id, body) VALUES (10, 'while away')");
  await waitFor(() => current.some((r) => r.id === '10'), 'the row written while disconnected');
  await client.query("INSERT INTO chat.messages (id, body) VALUES (11, 'live again')");
  await waitFor(() => current.some((r) => r.id === '11'), 'a row after the resume');
  await unsubscribe();

  assert.ok(events.some((e) => e.type === 'disconnected'), 'the drop was reported');
  const resumed = events.filter((e) => e.type === 'ack' && e.resumed_from !== null);
  assert.equal(resumed.length, 1);
  assert.equal(BigInt(resumed[0].resumed_from), lastSeq, 'resumed after the last row seen');
  // Every row was delivered exactly once across the initial load, the resume and the changes.
  const delivered = events.flatMap((e) =>
    e.type === 'initial_rows' || e.type === 'insert' ? e.rows.map((r) => r.id) : [],
  );
  assert.deepEqual(delivered.sort(), [...before, '10', '11'].sort());
  assert.deepEqual(current.map((r) => r.id), [...before, '10', '11']);
});

test('without reconnecting, a lost connection ends the subscription with an error', { skip }, async () => {
  const errors = [];
  let current = null;
  await client.live('SELECT * FROM chat.messages', (rows) => {
    current = rows;
  }, { reconnect: false, onError: (err) => errors.push(err) });
  await waitFor(() => current !== null, 'the initial rows');
  await server.stop();
  await waitFor(() => errors.length === 1, 'the error');
  assert.equal(errors[0].code, 'SUBSCRIPTION_FAILED');
  assert.match(errors[0].message, /connection lost/);
  // disconnect() ends what is left and the client can still report health.
  await client.disconnect();
  assert.equal((await client.health()).status, 'unreachable');
});
