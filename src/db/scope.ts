import { TransactionRollbackError } from "drizzle-orm";
import type { Database, Tx } from "./client.js";

/**
 * One transaction for one request, opened on first use and ended by finish(): every
 * statement of the request (auth, resolvers, loaders) runs in it, as the app role with
 * the tenant set. A mutation that fails part-way undoes itself through atomic() (a
 * savepoint) and the request's other work stands.
 */
export class RequestScope {
  private txPromise?: Promise<Tx>;
  private done?: Promise<void>;
  private end?: (commit: boolean) => void;
  private finished = false;

  constructor(
    private readonly database: Database,
    readonly tenantId: number,
  ) {}

  /** Runs fn inside the request's transaction. */
  async run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.finished) throw new Error("request scope already finished");
    return fn(await this.tx());
  }

  /** Runs fn in a savepoint: all of it, or none of it. */
  atomic<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run((tx) => tx.transaction((sp) => fn(sp as Tx)));
  }

  private tx(): Promise<Tx> {
    if (!this.txPromise) {
      let ready!: (tx: Tx) => void;
      this.txPromise = new Promise<Tx>((resolve) => (ready = resolve));
      const ended = new Promise<boolean>((resolve) => (this.end = resolve));
      this.done = this.database.withTenant(this.tenantId, async (tx) => {
        ready(tx);
        if (!(await ended)) tx.rollback();
      });
      // A failure to begin must reach the waiting caller, not hang it.
      this.txPromise = Promise.race([this.txPromise, this.done.then(() => Promise.reject(new Error("transaction ended")))]);
    }
    return this.txPromise;
  }

  /** Commits (or rolls back) the request's transaction; resolves once the database has answered. */
  async finish(commit: boolean): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (!this.done) return;
    this.end!(commit);
    try {
      await this.done;
    } catch (err) {
      if (commit || !isRollback(err)) throw err;
    }
  }
}

function isRollback(err: unknown): boolean {
  return err instanceof TransactionRollbackError;
}
