// Compiled by `npm run typecheck` (tsc --noEmit): the README's usage against index.d.ts.
import {
  Auth,
  createClient,
  KalamError,
  type ExportInfo,
  type FileInfo,
  type LiveEvent,
  type QueryResponse,
} from '../src/index.js';

async function usage(): Promise<void> {
  const client = createClient({
    url: 'http://127.0.0.1:8080',
    authProvider: async () => Auth.basic('alice', 'secret'),
  });
  const response: QueryResponse = await client.query('SELECT id FROM app.t WHERE id = $1', [1]);
  const first: string | undefined = response.results[0]?.schema?.[0]?.name;
  const find = client.prepare('SELECT * FROM app.t WHERE id = $1');
  await find.execute([42n]);
  const unsubscribe = await client.live(
    'SELECT * FROM app.t',
    (rows, event: LiveEvent) => {
      const seq: string | undefined = rows[0]?._seq;
      if (event.type === 'disconnected') console.log(event.retry_in_ms, seq, first);
    },
    { batchSize: 100, onError: (e: KalamError) => console.log(e.code, e.status) },
  );
  await unsubscribe();
  const health = await client.health();
  if (health.status === 'unreachable') console.log(health.reason);
  const file: FileInfo = await client.uploadFile('a.txt', new Uint8Array([1, 2]), 'text/plain');
  const bytes: Uint8Array = await client.downloadFile(file.id);
  await client.deleteFile(file.id);
  const job: string = await client.startExport();
  const done: ExportInfo = await client.waitForExport(job);
  if (done.download_url !== null) console.log(bytes.length, (await client.downloadExport(done.download_url)).length);
  await client.disconnect();
  createClient({ url: 'http://x', authProvider: async () => Auth.jwt('token') });
}

void usage;
