import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { DomainError } from "../errors.js";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { btree_gist } from "@electric-sql/pglite/contrib/btree_gist";
import { sql, TransactionRollbackError, type ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { PostgresJsSession, PostgresJsTransaction } from "drizzle-orm/postgres-js/session";
import postgres from "postgres";
import { preparingClient } from "./prepared.js";
import * as schema from "./schema/index.js";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the owner connection or a transaction: what repositories take. */
export type Queryable = Db | Tx;

/** The role requests run as: not the owner, no BYPASSRLS (see drizzle/0001_invariants.sql). */
export const APP_ROLE = "sessiongraph_app";
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

export interface DatabaseOptions {
  /** undefined: embedded PGlite under dataDir; "memory://": in-memory PGlite; "postgres://...": a real server. */
  url?: string;
  dataDir?: string;
  poolMax?: number;
  /** A PGlite data-directory dump to start from (tests: a migrated template). */
  loadDataDir?: Blob;
  /** statement_timeout of every tenant transaction (default 5 s). */
  statementTimeoutMs?: number;
}

const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;

type Notify = (payload: string) => void;

/**
 * One tenant transaction held open across calls (a request's: RequestScope), as the app role
 * with the tenant set. Ended exactly once by end().
 */
export interface TenantTransaction {
  readonly tx: Tx;
  /** fn in a savepoint: all of it or none of it. */
  savepoint<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Rejects once the connection is lost: nothing more can run in this transaction. */
  readonly lost: Promise<never>;
  /**
   * Commits (commit) or rolls back, and gives the connection back. A commit rejects when the
   * transaction could not commit (a statement in it failed outside a savepoint, or the
   * connection is gone); a rollback rejects only when the database could not be told.
   */
  end(commit: boolean): Promise<void>;
}

/** Marks work the server does by itself (the job engine's handlers), which no request sent. */
const backgroundWork = new AsyncLocalStorage<true>();

/**
 * Runs fn as background work: its statements are not counted in Database.statements, so a job
 * that happens to run during a request's measurement (an event consumer woken by its commit)
 * does not count as that request's.
 */
export function runAsBackgroundWork<T>(fn: () => Promise<T>): Promise<T> {
  return backgroundWork.run(true, fn);
}

export class Database {
  /**
   * SQL statements sent, apart from BEGIN/COMMIT/ROLLBACK and background work's (tests and the
   * bench read deltas of it).
   */
  statements = 0;
  /** Tenant transactions begun (BEGINs): withTenant and beginTenant. */
  transactions = 0;
  /** When set (tests), the text of every statement counted in `statements` is appended to it. */
  statementTexts?: string[];

  private constructor(
    readonly kind: "pglite" | "postgres",
    /** The owner connection: migrations, the CLI, the outbox dispatcher. Requests use withTenant. */
    readonly db: Db,
    private readonly listenImpl: (
      channel: string,
      onNotify: Notify,
      onListen?: () => void,
    ) => Promise<() => Promise<void>>,
    private readonly closeImpl: () => Promise<void>,
    readonly pglite?: PGlite,
    private readonly statementTimeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS,
    /** PostgreSQL: the pool itself (beginTenant reserves a connection of it). */
    private readonly client?: postgres.Sql,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    const logger = {
      logQuery: (text: string) => {
        if (backgroundWork.getStore()) return;
        database.statements += 1;
        database.statementTexts?.push(text);
      },
    };
    let database: Database;
    if (options.url && /^postgres(ql)?:\/\//.test(options.url)) {
      const client = postgres(options.url, { max: options.poolMax ?? 10, onnotice: () => {} });
      const db = drizzlePostgres(preparingClient(client), { schema, logger }) as unknown as Db;
      database = new Database(
        "postgres",
        db,
        async (channel, onNotify, onListen) => {
          // postgres.js re-LISTENs when its listening connection drops and calls onListen again then.
          const { unlisten } = await client.listen(channel, onNotify, onListen);
          return unlisten;
        },
        () => client.end({ timeout: 5 }),
        undefined,
        options.statementTimeoutMs,
        client,
      );
      return database;
    }
    const dataDir = options.url === "memory://" ? undefined : options.dataDir;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const pg = await PGlite.create(dataDir, { extensions: { btree_gist }, loadDataDir: options.loadDataDir });
    const db = drizzlePglite(pg, { schema, logger }) as unknown as Db;
    database = new Database(
      "pglite",
      db,
      async (channel, onNotify, onListen) => {
        const unlisten = await pg.listen(channel, onNotify);
        onListen?.();
        return unlisten;
      },
      () => pg.close(),
      pg,
      options.statementTimeoutMs,
    );
    return database;
  }

  async migrate(): Promise<void> {
    if (this.kind === "pglite") await migratePglite(this.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    else await migratePostgres(this.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  }

  /**
   * Runs fn in a transaction as the application role with the tenant set transaction-locally,
   * so row-level security applies to every statement in it.
   */
  withTenant<T>(tenantId: number, fn: (tx: Tx) => Promise<T>): Promise<T> {
    this.transactions += 1;
    return this.db.transaction(async (tx) => {
      await enterTenant(tx, tenantId, this.statementTimeoutMs);
      return fn(tx);
    });
  }

  /**
   * A tenant transaction to hold open across calls. On PostgreSQL nothing is sent yet: BEGIN and
   * the settings go out with the first statement, in the same write (one round trip where
   * withTenant takes three before the first answer). PGlite, one in-process connection with no
   * round trips to save, begins it as withTenant does.
   */
  beginTenant(tenantId: number): Promise<TenantTransaction> {
    return this.client ? this.beginPipelined(this.client, tenantId) : this.beginEmbedded(tenantId);
  }

  private async beginEmbedded(tenantId: number): Promise<TenantTransaction> {
    let opened!: (tx: Tx) => void;
    let failed!: (err: unknown) => void;
    const ready = new Promise<Tx>((resolve, reject) => ((opened = resolve), (failed = reject)));
    let close!: (commit: boolean) => void;
    const closed = new Promise<boolean>((resolve) => (close = resolve));
    const done = this.withTenant(tenantId, async (tx) => {
      opened(tx);
      if (!(await closed)) tx.rollback();
    });
    // A failure to begin reaches the caller instead of leaving it waiting.
    done.then(() => failed(new Error("transaction ended")), failed);
    const tx = await ready;
    return {
      tx,
      savepoint: (fn) => tx.transaction((sp) => fn(sp as Tx)),
      lost: new Promise<never>(() => {}),
      async end(commit) {
        close(commit);
        try {
          await done;
        } catch (err) {
          if (commit || !(err instanceof TransactionRollbackError)) throw err;
        }
      },
    };
  }

  /**
   * The PostgreSQL transaction over a reserved connection, with BEGIN, COMMIT and savepoints
   * sent here rather than by postgres.js's begin(), which waits for BEGIN's answer before the
   * first statement may go. postgres.js pipelines whatever is queued on a connection and
   * coalesces the writes of one tick, so BEGIN + settings (one simple-protocol message: if the
   * settings fail, the transaction is aborted and the statement after them fails too) and the
   * first statement leave together.
   *
   * Kept from postgres.js's begin(): a statement that fails outside a savepoint dooms the
   * transaction (COMMIT would only roll back: end(true) rolls back and rejects with that
   * error), and once the connection closes nothing more is sent on it (postgres.js would
   * reconnect the same connection object for the pool, and a statement sent there would run
   * outside this transaction, as the owner).
   */
  private async beginPipelined(pool: postgres.Sql, tenantId: number): Promise<TenantTransaction> {
    if (!Number.isSafeInteger(tenantId)) throw new Error(`not a tenant id: ${tenantId}`);
    const reserved = await pool.reserve();
    this.transactions += 1;
    let gone: Error | undefined;
    let lose!: (err: Error) => void;
    const lost = new Promise<never>((_, reject) => (lose = reject));
    lost.catch(() => {});
    let connection: { onclose: ((err: Error) => void) | null } | undefined;
    /** The open levels (the transaction, then each savepoint) and the first statement that failed in each. */
    const levels: { failure?: unknown }[] = [{}];
    const guarded = new Proxy(reserved, {
      get(target, property, receiver) {
        if (property !== "unsafe") return Reflect.get(target, property, receiver);
        return (...args: Parameters<postgres.Sql["unsafe"]>) => {
          if (gone) throw gone;
          const query = target.unsafe(...args);
          const level = levels[levels.length - 1];
          query.catch((err: unknown) => (level.failure ??= err));
          return query;
        };
      },
    });
    // The settings' values are inlined (a simple-protocol message takes no parameters): a
    // constant role and two integers.
    const settings = `select set_config('role', '${APP_ROLE}', true), set_config('app.tenant_id', '${tenantId}', true), set_config('statement_timeout', '${this.statementTimeoutMs}', true)`;
    this.statements += 1;
    this.statementTexts?.push(settings);
    guarded
      .unsafe(`begin; ${settings}`, [], {
        // postgres.js hands the connection to onexecute (its begin() uses it the same way): its
        // onclose is called, once, when the connection closes, before anything can reuse it.
        onexecute: (c: typeof connection) => {
          connection = c;
          c!.onclose = (err) => {
            gone = err;
            lose(err);
          };
          return true;
        },
      } as postgres.UnsafeQueryOptions)
      .execute();
    const base = (this.db as unknown as { session: PostgresJsSession<postgres.Sql, Schema, never> })
      .session as unknown as {
      dialect: never;
      schema: never;
      options: never;
    };
    const session = new PostgresJsSession(preparingClient(guarded), base.dialect, base.schema, base.options);
    const tx = new PostgresJsTransaction(base.dialect, session as never, base.schema) as unknown as Tx;
    let savepoints = 0;
    const control = (statement: string) =>
      guarded
        .unsafe(statement)
        .execute()
        .then(() => {});
    return {
      tx,
      lost,
      async savepoint(fn) {
        const name = `s${savepoints++}`;
        await control(`savepoint ${name}`);
        const level = {} as { failure?: unknown };
        levels.push(level);
        let result;
        try {
          // A Tx of its own, as PGlite's savepoints have: what is remembered per Tx (the outbox's
          // consumer wake-up) is forgotten with a savepoint rolled back.
          result = await fn(new PostgresJsTransaction(base.dialect, session as never, base.schema) as unknown as Tx);
          if (level.failure) throw level.failure;
        } catch (err) {
          await control(`rollback to savepoint ${name}`);
          // A statement that failed in it aborted the savepoint: that error says why, not 25P02's.
          throw pgErrorOf(err)?.code === "25P02" && level.failure ? level.failure : err;
        } finally {
          levels.splice(levels.indexOf(level), 1);
        }
        return result;
      },
      async end(commit) {
        const failure = levels[0].failure;
        try {
          // A lost connection took its transaction with it: the server rolled it back.
          if (gone) {
            if (commit) throw gone;
            return;
          }
          await control(commit && !failure ? "commit" : "rollback");
        } finally {
          if (connection) connection.onclose = null;
          // Gone, the pool has taken the connection back itself.
          if (!gone) reserved.release();
        }
        if (commit && failure) throw failure;
      },
    };
  }

  /**
   * One text outside drizzle and outside any transaction, on the owner connection: the job
   * engine's (pg-boss's) statements. With values, one statement with $n parameters; without,
   * the text may hold several statements (pg-boss's BEGIN; …; COMMIT;), and the last one's rows
   * are returned. On PGlite it waits for a transaction under way, so never call it from inside one.
   */
  async unsafe(text: string, values: unknown[] = []): Promise<{ rows: Record<string, unknown>[] }> {
    if (this.client) {
      if (values.length) return { rows: [...(await this.client.unsafe(text, values as never[]))] };
      // A text that begins its own transaction needs a connection of its own (postgres.js refuses
      // BEGIN on the pool), given back outside any transaction even when a statement failed.
      const connection = await this.client.reserve();
      let results: unknown[];
      try {
        results = (await connection.unsafe(text).simple()) as unknown as unknown[];
      } catch (err) {
        await connection.unsafe("rollback").catch(() => {});
        throw err;
      } finally {
        connection.release();
      }
      // Several statements: one result (an array of rows) per statement; one: the rows themselves.
      const last = Array.isArray(results[0]) || results.length === 0 ? results[results.length - 1] : results;
      return { rows: [...((last as Record<string, unknown>[] | undefined) ?? [])] };
    }
    const pg = this.pglite!;
    if (values.length) return pg.query<Record<string, unknown>>(text, values);
    const results = await pg.exec(text);
    return { rows: (results[results.length - 1]?.rows ?? []) as Record<string, unknown>[] };
  }

  /** onListen: called once the LISTEN is in place, and again each time it is re-established after a dropped connection. */
  listen(channel: string, onNotify: Notify, onListen?: () => void): Promise<() => Promise<void>> {
    return this.listenImpl(channel, onNotify, onListen);
  }

  close(): Promise<void> {
    return this.closeImpl();
  }
}

/** One statement: switch to the app role and set the tenant, both until the transaction ends. */
export async function enterTenant(
  tx: Tx,
  tenantId: number,
  statementTimeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS,
): Promise<void> {
  await tx.execute(
    sql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant_id', ${String(tenantId)}, true), set_config('statement_timeout', ${String(statementTimeoutMs)}, true)`,
  );
}

/** A statement cancelled by statement_timeout is the server being slow, not the client's fault nor a bug. */
/**
 * The one classification of failures that are not bugs although no service raised them: a
 * statement past statement_timeout (57014), or text PostgreSQL cannot store (a NUL character,
 * 22021; in JSON, 22P05). Both transports map what this returns; anything else stays as it is.
 */
export function classifyFailure(err: unknown): unknown {
  const code = pgErrorOf(err)?.code;
  if (code === "57014") return new DomainError("STATEMENT_TIMEOUT", "The database took too long to answer; try again");
  if (code === "22021" || code === "22P05")
    return new DomainError("UNSTORABLE_TEXT", "Text may not contain the NUL character (\\u0000)");
  return err;
}

/** Rows of a raw `execute` result: postgres.js returns an array, PGlite an object with rows. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** The SQLSTATE and constraint of a driver error, unwrapped from DrizzleQueryError. */
export function pgErrorOf(err: unknown): { code?: string; constraint?: string } | undefined {
  for (
    let e = err as { code?: unknown; constraint?: string; constraint_name?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code))
      return { code: e.code, constraint: e.constraint ?? e.constraint_name };
  }
  return undefined;
}
