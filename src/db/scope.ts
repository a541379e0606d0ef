import { DomainError } from "../errors.js";
import type { Database, TenantTransaction, Tx } from "./client.js";

/**
 * One transaction for one request, opened by its first statement and ended by finish(): every
 * statement of the request (resolvers, loaders) runs in it, as the app role with the tenant
 * set. A request that reads nothing sends nothing. A mutation that fails part-way undoes itself
 * through atomic() (a savepoint) and the request's other work stands.
 */
export class RequestScope {
  private opening?: Promise<TenantTransaction>;
  private closing?: Promise<void>;
  private finished = false;
  /** finish() committed: afterCommit() callbacks registered from now on run at once. */
  private committed = false;
  private deadline?: NodeJS.Timeout;
  private expired = false;
  /** run() calls under way: the transaction cannot end under a statement that is still being sent. */
  private active = 0;
  /** Waiting for the run() calls under way to return (outside()). */
  private idle: (() => void)[] = [];
  /** outside() is ending the transaction: run() calls wait for it, then open the next one. */
  private releasing?: Promise<void>;
  /** afterCommit() callbacks waiting for the work so far to commit. */
  private onCommit: (() => void)[] = [];

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
    return this.within((transaction) => fn(transaction.tx));
  }

  /** Runs fn in a savepoint: all of it, or none of it. */
  atomic<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.within((transaction) => transaction.savepoint(fn));
  }

  private async within<T>(fn: (transaction: TenantTransaction) => Promise<T>): Promise<T> {
    while (this.releasing) await this.releasing.catch(() => {});
    if (this.expired) throw this.deadlineError();
    if (this.finished) throw new Error("request scope already finished");
    this.active += 1;
    try {
      const transaction = await this.transaction();
      if (this.expired) throw this.deadlineError();
      // A lost connection fails the run at once, even one waiting for a statement it queued.
      const result = await Promise.race([fn(transaction), transaction.lost]);
      if (this.expired) throw this.deadlineError();
      return result;
    } catch (err) {
      throw this.expired ? this.deadlineError() : err;
    } finally {
      this.active -= 1;
      if (this.expired && this.active === 0) void this.close(false).catch(() => {});
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
    if (this.opening && !this.finished) {
      this.releasing = this.release().finally(() => (this.releasing = undefined));
      await this.releasing;
    }
    return fn();
  }

  /**
   * fn runs once the work so far is committed: after finish(true), or when outside() commits
   * it; never when it is rolled back. fn must not throw (the outcome is sealed by then).
   */
  afterCommit(fn: () => void): void {
    if (this.finished) {
      if (this.committed) fn();
      return;
    }
    this.onCommit.push(fn);
  }

  /** Commits the open transaction and forgets it, so that the next run() begins another. */
  private async release(): Promise<void> {
    if (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    const commit = !this.expired;
    const closing = this.close(commit);
    const waiting = this.onCommit.splice(0);
    this.opening = this.closing = undefined;
    await closing;
    if (!commit) throw this.deadlineError();
    runAll(waiting);
  }

  /** Ends the open transaction, once; a transaction that failed to begin has nothing to end. */
  private close(commit: boolean): Promise<void> {
    clearTimeout(this.deadline);
    this.closing ??= this.opening!.then(
      (transaction) => transaction.end(commit),
      () => {},
    );
    return this.closing;
  }

  private deadlineError(): DomainError {
    return new DomainError("DEADLINE_EXCEEDED", `The request took longer than ${this.timeoutMs} ms; nothing was saved`);
  }

  private transaction(): Promise<TenantTransaction> {
    if (!this.opening) {
      this.opening = this.database.beginTenant(this.tenantId);
      this.deadline = setTimeout(() => {
        this.expired = true;
        if (this.active === 0) void this.close(false).catch(() => {});
      }, this.timeoutMs);
      this.deadline.unref();
    }
    return this.opening;
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
    const waiting = this.onCommit.splice(0);
    if (this.opening) {
      // Past the deadline the transaction is rolled back whatever the caller asked.
      await this.close(commit && !this.expired);
      if (this.expired) {
        if (commit) throw this.deadlineError();
        return;
      }
    }
    if (!commit) return;
    this.committed = true;
    runAll(waiting);
  }
}

/** Callbacks of committed work, each on its own: one that throws (a bug) neither stops the others nor undoes the commit. */
export function runAll(callbacks: (() => void)[]): void {
  for (const fn of callbacks) {
    try {
      fn();
    } catch (err) {
      process.emitWarning(err instanceof Error ? err : new Error(String(err)), "AfterCommitError");
    }
  }
}
