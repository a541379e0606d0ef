/**
 * The same app as the server, in the bench process, for what only the inside can tell: how
 * many SQL statements a request sends and their exact text and parameters (postgres.js's debug
 * hook sees every query message, BEGIN and COMMIT included; Database.statements counts the
 * others), which scenario 3 replays straight to PostgreSQL.
 */
import "reflect-metadata";
import type postgres from "postgres";
import { createApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { Database } from "../../src/db/client.js";
import { httpContext } from "../../src/http/request-context.js";
import { slotsForProviders } from "../../src/modules/availability/index.js";
import { percentile, sortedOf } from "./load.js";

export interface CapturedStatement {
  text: string;
  parameters: unknown[];
}

export interface Measured {
  status: number;
  body: string;
  /** Statements counted by the server's own counter (BEGIN/COMMIT excluded). */
  statements: number;
  /** Every statement sent, in order, transaction control included. */
  captured: CapturedStatement[];
  /** Statements sent to PostgreSQL, BEGIN/COMMIT included: what the database executes for the request. */
  sent: number;
  /** Of those, BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE. */
  transactionControl: number;
}

export interface InjectRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release)\b/i;

export class InProcessApp {
  private capturing?: CapturedStatement[];

  private constructor(
    private readonly app: App,
    private readonly database: Database,
  ) {
    const client = (database.db as unknown as { $client: postgres.Sql }).$client;
    (client.options as { debug: unknown }).debug = (_connection: number, text: string, parameters: unknown[]) => {
      this.capturing?.push({ text, parameters: [...parameters] });
    };
  }

  static async open(databaseUrl: string, jwtSecret: string): Promise<InProcessApp> {
    const config = loadConfig({
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      JWT_SECRET: jwtSecret,
      LOG_LEVEL: "warn",
      SEED_DEMO: "false",
      PORT: "0",
    });
    const database = await Database.open({ url: databaseUrl, poolMax: config.databasePoolMax });
    return new InProcessApp(await createApp({ config, database }), database);
  }

  /** One request, after one identical warm-up (process-wide caches filled, statements prepared). */
  async measure(request: InjectRequest): Promise<Measured> {
    await this.app.server.inject(request);
    const before = this.database.statements;
    this.capturing = [];
    const response = await this.app.server.inject(request);
    const captured = this.capturing;
    this.capturing = undefined;
    const statements = captured.flatMap((s) => statementsIn(s.text));
    return {
      status: response.statusCode,
      body: response.body,
      statements: this.database.statements - before,
      captured,
      sent: statements.length,
      transactionControl: statements.filter((text) => TRANSACTION_CONTROL.test(text)).length,
    };
  }

  /** Milliseconds per slotsForProviders call (the service, with its SQL), sequentially. */
  async timeSlotsForProviders(
    token: string,
    providerIds: number[],
    from: string,
    to: string,
    iterations: number,
  ): Promise<{ p50Ms: number; p99Ms: number; statements: number }> {
    const once = async () => {
      const ctx = await httpContext(this.app.deps, this.app.auth, { authorization: `Bearer ${token}` });
      try {
        await slotsForProviders(ctx, providerIds, from, to);
      } finally {
        await ctx.db.finish(true);
      }
    };
    for (let i = 0; i < 3; i++) await once();
    const statementsBefore = this.database.statements;
    const times: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
    }
    const sorted = sortedOf(times);
    return {
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      statements: (this.database.statements - statementsBefore) / iterations,
    };
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.database.close();
  }
}

/**
 * The statements in one query message: one, or several separated by ";" in a simple-protocol
 * query (a pipelined "begin; select set_config(...)" is two statements for the database). The
 * server's SQL has no ";" inside literals, so a split is exact here.
 */
function statementsIn(text: string): string[] {
  return text
    .split(";")
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * The captured statements without transaction control (what scenario 3 replays inside its own
 * transaction). A pipelined "begin; select set_config(...)" keeps its settings: without the role
 * and tenant, row-level security adds no tenant_id condition, the (tenant_id, …) indexes do not
 * apply, and the replay measured sequential scans (about 100 ms a request) instead of the server's
 * work.
 */
export function dataStatements(captured: CapturedStatement[]): CapturedStatement[] {
  return captured.flatMap((s) => {
    const parts = statementsIn(s.text);
    if (parts.length === 1) return TRANSACTION_CONTROL.test(s.text) ? [] : [s];
    // A multi-statement simple query carries no parameters.
    return parts.filter((text) => !TRANSACTION_CONTROL.test(text)).map((text) => ({ text, parameters: [] }));
  });
}
