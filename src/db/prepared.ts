import type postgres from "postgres";

/**
 * The postgres.js client drizzle talks to, with every statement that has parameters sent as a
 * named prepared statement. Drizzle sends its queries unnamed (prepare: false): PostgreSQL
 * then parses and plans each one again and postgres.js spends a round trip describing it
 * first. Prepared, a statement text is parsed, described and planned once per connection.
 * Texts must therefore not grow with the data: batches pass ids as one array (anyOf in
 * src/db/sql.ts), not as `in ($1, $2, …)`. Statements without parameters stay unnamed, so a
 * one-off text (migrations, DDL) is never kept.
 */
export function preparingClient(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === "unsafe") {
        return (query: string, parameters?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, parameters, parameters?.length ? { ...options, prepare: true } : options);
      }
      // A transaction's or savepoint's own client (the callback, their last argument) prepares too.
      if (property === "begin" || property === "savepoint") {
        const open = Reflect.get(target, property, receiver) as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.Sql) => unknown;
          return open(...args, (tx: postgres.Sql) => fn(preparingClient(tx)));
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}
