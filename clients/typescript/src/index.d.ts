// Hand-written types of the kalam-link package (the wire contract is KalamDB's API.md).

/** Credentials, as an `authProvider` resolves them. */
export type AuthCredentials =
  | { type: 'basic'; user: string; password: string }
  | { type: 'jwt'; token: string }
  | { type: 'none' };

export declare const Auth: {
  /** User and password: the client logs in and renews its token before it expires. */
  basic(user: string, password: string): AuthCredentials;
  /** An access token obtained elsewhere, sent as `Authorization: Bearer`. */
  jwt(token: string): AuthCredentials;
  none(): AuthCredentials;
};

export interface ClientOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Called on first use (and after `disconnect()`) for the credentials. */
  authProvider?: () => Promise<AuthCredentials>;
  /** Fixed credentials, when no `authProvider` is given. */
  auth?: AuthCredentials;
  /** Namespace for unqualified table names in `query`. */
  namespace?: string;
}

/** A data type name (`BigInt`, `Text` ...) or a parameterised type (`{ Decimal: {...} }`). */
export type DataType = string | Record<string, unknown>;

export interface SchemaField {
  name: string;
  data_type: DataType;
  index: number;
  /** `pk`, `nn`, `uq` ... */
  flags?: string[];
}

/**
 * A cell as the server encodes it: BIGINT as a string, TIMESTAMP as microseconds since the
 * epoch, JSON columns as JSON, NULL as null.
 */
export type Cell = string | number | boolean | null | Cell[] | { [key: string]: Cell };

export interface QueryResult {
  schema?: SchemaField[];
  /** Rows as arrays in schema order; absent for DDL and DML. */
  rows?: Cell[][];
  row_count: number;
  message?: string;
  as_user?: string;
}

export interface QueryResponse {
  status: 'success';
  /** One entry per statement. */
  results: QueryResult[];
  /** Server time in milliseconds. */
  took: number;
}

/** A live row: column name to cell, always with `_seq` (a string). */
export type LiveRow = Record<string, Cell> & { _seq: string };

export type LiveEvent =
  | {
      type: 'ack';
      subscription_id: string;
      total_rows: number;
      schema: SchemaField[];
      /** After a reconnect: the `_seq` the subscription resumed strictly after. */
      resumed_from: string | null;
    }
  | { type: 'initial_rows'; rows: LiveRow[]; batch_num: number; has_more: boolean }
  | { type: 'insert'; rows: LiveRow[] }
  | { type: 'update'; rows: LiveRow[]; old_values: LiveRow[] }
  | { type: 'delete'; old_values: LiveRow[] }
  | { type: 'disconnected'; reason: string; attempt: number; retry_in_ms: number }
  | { type: 'error'; code: string; message: string };

export interface LiveOptions {
  /** Rows per page of the initial load (server default 1000). */
  batchSize?: number;
  /** Start with only the newest N rows. */
  lastRows?: number;
  /** Start strictly after this `_seq`. */
  fromSeqId?: string | number | bigint;
  /** Reconnect and resume after a dropped connection (default true). */
  reconnect?: boolean;
  /** Give up after this many failed reconnects in a row (default: never). */
  maxReconnectAttempts?: number;
  /** First wait before reconnecting, doubled per failure (default 200). */
  reconnectDelayMs?: number;
  /** Longest wait between reconnects (default 5000). */
  maxReconnectDelayMs?: number;
  /** `live()` only: every raw event, after `onRows`. */
  onEvent?: (event: LiveEvent) => void;
  /** The subscription ended with this error (no callback follows). */
  onError?: (error: KalamError) => void;
}

export type HealthStatus =
  | { status: 'ok'; version: string }
  | { status: 'unreachable'; url: string; reason: string }
  | { status: 'auth_failed'; message: string };

/** Ends a subscription; resolves once no callback can follow. */
export type Unsubscribe = () => Promise<void>;

export declare class KalamError extends Error {
  /**
   * The server's wire code (`SQL_EXECUTION_ERROR`, `INVALID_SQL`, `PERMISSION_DENIED`, live
   * codes such as `NOT_FOUND`), a login refusal (`UNAUTHORIZED`, `ACCOUNT_LOCKED`,
   * `SETUP_REQUIRED`, `RATE_LIMITED`), or the client's own `UNREACHABLE`, `TIMEOUT`,
   * `TRANSPORT`, `UNEXPECTED_RESPONSE`, `INVALID_URL`, `INVALID_INPUT`, `INVALID_PARAMETER`.
   */
  readonly code: string;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** Detail the server shows to admins only. */
  readonly details?: string;
}

/** One of the caller's files. */
export interface FileInfo {
  id: string;
  name: string;
  mime: string;
  size: number;
  sha256: string;
}

/** One row of `SHOW EXPORT`. */
export interface ExportInfo {
  job_id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'expired';
  /** Microseconds since the epoch. */
  created_at: number;
  size: number | null;
  download_url: string | null;
  message: string | null;
}

export declare class PreparedStatement {
  readonly sql: string;
  execute(params?: unknown[]): Promise<QueryResponse>;
}

export declare class KalamClient {
  readonly url: string;
  /** Runs SQL with `$1, $2, ...` bound to `params`; rejects with a `KalamError`. */
  query(sql: string, params?: unknown[]): Promise<QueryResponse>;
  /** A handle that runs the same SQL with many parameter sets (the server caches its plan). */
  prepare(sql: string): PreparedStatement;
  /**
   * Subscribes to a live query and calls `onRows` with the current rows (matched by primary
   * key) after the initial load and after every change. Resolves once the server accepted the
   * subscription; rejects with its code (`INVALID_SQL`, `NOT_FOUND`, `UNAUTHORIZED` ...).
   * Reconnects by itself and resumes after the last row seen.
   */
  live(
    sql: string,
    onRows: (rows: LiveRow[], event: LiveEvent) => void,
    options?: LiveOptions,
  ): Promise<Unsubscribe>;
  /** Like `live`, but hands over the raw events. */
  subscribe(
    sql: string,
    onEvent: (event: LiveEvent) => void,
    options?: Omit<LiveOptions, 'onEvent'>,
  ): Promise<Unsubscribe>;
  /** Uploads a file into the caller's files (`POST /v1/files`). */
  uploadFile(name: string, data: Uint8Array | ArrayBuffer | Blob | string, mime?: string): Promise<FileInfo>;
  /** The caller's files (`system.user_files`), oldest first. */
  listFiles(): Promise<FileInfo[]>;
  /** A file's bytes; rejects with code `not_found` for an id that is not the caller's. */
  downloadFile(id: string): Promise<Uint8Array>;
  /** Deletes a file and its bytes. */
  deleteFile(id: string): Promise<void>;
  /** Starts `EXPORT USER DATA` (`user`: another user's, admins only); resolves to the job id. */
  startExport(user?: string): Promise<string>;
  /** The caller's exports (`SHOW EXPORT`), newest first. */
  exports(): Promise<ExportInfo[]>;
  /** Waits until the export is no longer queued or running (default limit 10 minutes). */
  waitForExport(jobId: string, timeoutMs?: number): Promise<ExportInfo>;
  /** The ZIP at a completed export's `download_url`. */
  downloadExport(downloadUrl: string): Promise<Uint8Array>;
  /** Whether the server answers and accepts the credentials; never rejects. */
  health(): Promise<HealthStatus>;
  /** Ends every subscription. */
  disconnect(): Promise<void>;
}

export declare function createClient(options: ClientOptions): KalamClient;
