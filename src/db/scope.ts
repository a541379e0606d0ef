import { TransactionRollbackError } from "drizzle-orm";
import { DomainError } from "../errors.js";
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
  private deadline?: NodeJS.Timeout;
  private expired = false;
  /** run() calls under way: the transaction cannot end under a statement that is still being sent. */
  private active = 0;
  /** Waiting for the run() calls under way to return (outside()). */
  private idle: (() => void)[] = [];
  /** outside() is ending the transaction: run() calls wait for it, then open the next one. */
  private releasing?: Promise<void>;
  /** afterCommit callbacks of the open transaction: run when it commits, dropped when it rolls back. */
  private afterCommits: (() => void)[] = [];

  constructor(
    private readonly database: Database,
    readonly tenantId: number,
    /** After this long the transaction is rolled back, so a stuck request cannot hold a connection. */
    private readonly timeoutMs = 15_000,
  ) {}

  /**
   * Runs fn inside the request's transaction. Past the deadline nothing more runs and nothing
   * that was running succeeds; the transaction is rolled back once the last run has returned.
   */
  async run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    while (this.releasing) await this.releasing.catch(() => {});
    if (this.expired) throw this.deadlineError();
    if (this.finished) throw new Error("request scope already finished");
    this.active += 1;
    try {
      const tx = await this.tx();
      if (this.expired) throw this.deadlineError();
      const result = await fn(tx);
      if (this.expired) throw this.deadlineError();
      return result;
    } catch (err) {
      throw this.expired ? this.deadlineError() : err;
    } finally {
      this.active -= 1;
      if (this.expired && this.active === 0) this.end!(false);
      if (this.active === 0) for (const resume of this.idle.splice(0)) resume();
    }
  }

  /**
   * Runs fn, a call to another service (Twilio), with no transaction held: PGlite has one
   * connection that every request waits for, and on PostgreSQL a pooled connection would idle
   * in a transaction for as long as the network takes. The request's work so far is committed
   * first (once the statements under way have returned); whatever it runs after fn gets a new
   * transaction. So: read, call outside, then a short write that re-checks what it relies on.
   */
  async outside<T>(fn: () => Promise<T>): Promise<T> {
    while (this.releasing) await this.releasing.catch(() => {});
    if (this.expired) throw this.deadlineError();
    if (this.done && !this.finished) {
      this.releasing = this.release().finally(() => (this.releasing = undefined));
      await this.releasing;
    }
    return fn();
  }

  /** Runs fn once the work so far is committed (at once when no transaction is open); never on rollback. */
  afterCommit(fn: () => void): void {
    if (this.done && !this.finished) this.afterCommits.push(fn);
    else fn();
  }

  /** The open transaction's afterCommit callbacks, run (committed) or dropped. */
  private settleAfterCommits(committed: boolean): void {
    const callbacks = this.afterCommits;
    this.afterCommits = [];
    if (committed) for (const callback of callbacks) callback();
  }

  /** Commits the open transaction and forgets it, so that the next run() begins another. */
  private async release(): Promise<void> {
    if (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    const done = this.done!;
    const committing = !this.expired;
    clearTimeout(this.deadline);
    this.end!(committing);
    this.txPromise = this.done = this.end = this.deadline = undefined;
    try {
      await done;
      this.settleAfterCommits(committing);
    } catch (err) {
      this.settleAfterCommits(false);
      if (this.expired && isRollback(err)) throw this.deadlineError();
      throw err;
    }
  }

  private deadlineError(): DomainError {
    return new DomainError("DEADLINE_EXCEEDED", `The request took longer than ${this.timeoutMs} ms; nothing was saved`);
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
      this.deadline = setTimeout(() => {
        this.expired = true;
        if (this.active === 0) this.end!(false);
      }, this.timeoutMs);
      this.deadline.unref();
      // A failure to begin must reach the waiting caller, not hang it.
      this.txPromise = Promise.race([
        this.txPromise,
        this.done.then(() => Promise.reject(new Error("transaction ended"))),
      ]);
    }
    return this.txPromise;
  }

  /**
   * The one write a request may make once its transaction has ended (finish): fn in a short
   * transaction of its own, in the same tenant, as the app role (row-level security applies).
   * The audit records a rolled-back request's acts through it; nothing else needs it, and no
   * service ever holds the Database (the owner connection) to do it themselves.
   */
  afterwards<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (!this.finished) throw new Error("afterwards() is for after finish(): inside the request use run()");
    return this.database.withTenant(this.tenantId, fn);
  }

  /** Commits (or rolls back) the request's transaction; resolves once the database has answered. */
  async finish(commit: boolean): Promise<void> {
    while (this.releasing) await this.releasing.catch(() => {});
    if (this.finished) return;
    this.finished = true;
    if (!this.done) return;
    clearTimeout(this.deadline);
    const committing = commit && !this.expired;
    this.end!(committing);
    try {
      await this.done;
      this.settleAfterCommits(committing);
    } catch (err) {
      this.settleAfterCommits(false);
      if (this.expired && isRollback(err)) {
        if (commit) throw this.deadlineError();
        return;
      }
      if (commit || !isRollback(err)) throw err;
    }
  }
}

function isRollback(err: unknown): boolean {
  return err instanceof TransactionRollbackError;
}
