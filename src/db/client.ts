import { mkdirSync } from "node:fs";
import { DomainError } from "../errors.js";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { btree_gist } from "@electric-sql/pglite/contrib/btree_gist";
import { sql, type ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
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

export class Database {
  /** SQL statements sent, apart from BEGIN/COMMIT/ROLLBACK (tests and the bench read deltas of it). */
  statements = 0;
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
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    const logger = {
      logQuery: (text: string) => {
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
    return this.db.transaction(async (tx) => {
      await enterTenant(tx, tenantId, this.statementTimeoutMs);
      return fn(tx);
    });
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
