/** Command-line flags and environment of `npm run bench`. */

export interface DatasetOptions {
  seed: number;
  /** The dataset's "today" (YYYY-MM-DD): sessions span months/2 before and after it. */
  anchor: string;
  providers: number;
  clients: number;
  plans: number;
  sessions: number;
  details: number;
  items: number;
  months: number;
}

export type SubscriberRole = "CLIENT" | "ADMIN";

/** Scenario 6's sockets per client user: under the server's default limit of 10 per user (MAX_SOCKETS_PER_USER). */
export const SOCKETS_PER_CLIENT = 5;

export interface BenchOptions {
  databaseUrl: string;
  dataset: DatasetOptions;
  /** Reuse the bench database when it holds exactly this dataset. */
  keepData: boolean;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  subscribers: number;
  subscriberRole: SubscriberRole;
  contenders: number;
  /** Scenarios to run ("1".."7", "W", "G"); empty: all. */
  only: Set<string>;
  /** Row W: concurrent bookers (providers per cell) and rounds. */
  writeConnections: number;
  writeRounds: number;
  /** Row W's Redis cells (W3, W4); unreachable: they are skipped. */
  redisUrl: string;
  json?: string;
  /** Run the server under `node --cpu-prof` and print its hottest functions. */
  profile: boolean;
}

const USAGE = `npm run bench -- [flags]

  --json <path>              also write the results as JSON
  --only 1,2,3,W,G           run only these scenarios (7 needs 1; 3 is compared with 1 and 2; W and G
                             load no dataset)
  --keep-data                reuse sessiongraph_bench when it holds the same dataset
  --profile                  run the server under node --cpu-prof; print its hottest functions
  --seed <n>                 random seed (42)
  --anchor <YYYY-MM-DD>      the dataset's "today" (today, UTC)
  --providers <n>            (100)     --clients <n>   (2000)   --plans <n>  (300)
  --sessions <n>             (100000)  --details <n>   (50000)  --items <n>  (200)
  --months <n>               months of sessions around the anchor (12)
  --connections <n>          HTTP connections / SQL clients for scenarios 1-3 (10)
  --duration <s>             seconds per throughput scenario (10)
  --warmup <s>               seconds of warm-up before each (2)
  --subscribers <n>          slotsChanged subscribers, one socket each (10000)
  --subscriber-role <r>      client (sockets spread over the clients, at most 5 each) or admin (client)
  --contenders <n>           concurrent bookSession for one slot (100)
  --write-connections <n>    row W: bookers at once, each on a provider of their own (20)
  --write-rounds <n>         row W: rounds over its four cells, alternating their order (2)
  --redis-url <url>          row W's Redis cells (REDIS_URL, else redis://127.0.0.1:6379)

  BENCH_DATABASE_URL         the PostgreSQL server, as a superuser (postgres://postgres@127.0.0.1:5432);
                             the bench drops and re-creates the databases sessiongraph_bench (1-7)
                             and sessiongraph_write_bench (W) on it (a database named in the URL
                             is only used to connect for that)`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    }
    if (!arg.startsWith("--")) throw new Error(`Unexpected argument ${arg}\n\n${USAGE}`);
    const [name, inline] = arg.slice(2).split("=", 2);
    if (name === "keep-data" || name === "profile") flags.set(name, "true");
    else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value\n\n${USAGE}`);
      flags.set(name, value);
    }
  }
  const known = new Set([
    "json",
    "only",
    "keep-data",
    "profile",
    "seed",
    "anchor",
    "providers",
    "clients",
    "plans",
    "sessions",
    "details",
    "items",
    "months",
    "connections",
    "duration",
    "warmup",
    "subscribers",
    "subscriber-role",
    "contenders",
    "write-connections",
    "write-rounds",
    "redis-url",
  ]);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`Unknown flag --${name}\n\n${USAGE}`);

  const int = (name: string, fallback: number, min = 1) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const anchor = flags.get("anchor") ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(anchor) || Number.isNaN(Date.parse(anchor)))
    throw new Error(`--anchor must be YYYY-MM-DD, got "${anchor}"`);
  const role = (flags.get("subscriber-role") ?? "client").toUpperCase();
  if (role !== "CLIENT" && role !== "ADMIN")
    throw new Error(`--subscriber-role must be client or admin, got "${role}"`);
  const only = new Set(
    (flags.get("only") ?? "")
      .split(",")
      .filter(Boolean)
      .map((s) => {
        const key = s.trim().toUpperCase();
        if (!/^([1-7]|W|G)$/.test(key)) throw new Error(`--only takes scenario numbers 1..7, W and G, got "${s}"`);
        return key;
      }),
  );
  const dataset: DatasetOptions = {
    seed: int("seed", 42, 0),
    anchor,
    providers: int("providers", 100),
    clients: int("clients", 2000),
    plans: int("plans", 300, 0),
    sessions: int("sessions", 100_000),
    details: int("details", 50_000, 0),
    items: int("items", 200),
    months: int("months", 12),
  };
  if (dataset.clients < dataset.providers)
    throw new Error("--clients must be at least --providers (every provider has clients of their own)");
  const subscriberRole = role as SubscriberRole;
  const subscribers = int("subscribers", 10_000);
  if (subscriberRole === "CLIENT" && subscribers > dataset.clients * SOCKETS_PER_CLIENT)
    throw new Error(
      `--subscribers ${subscribers} needs ${Math.ceil(subscribers / SOCKETS_PER_CLIENT)} clients (--clients ${dataset.clients}): a client holds at most ${SOCKETS_PER_CLIENT} sockets`,
    );
  const contenders = int("contenders", 100, 2);
  if (contenders > dataset.clients)
    throw new Error(`--contenders ${contenders} needs as many clients (--clients ${dataset.clients})`);
  return {
    databaseUrl: env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432",
    dataset,
    keepData: flags.has("keep-data"),
    connections: int("connections", 10),
    durationSeconds: int("duration", 10),
    warmupSeconds: int("warmup", 2, 0),
    subscribers,
    subscriberRole,
    contenders,
    only,
    writeConnections: int("write-connections", 20),
    writeRounds: int("write-rounds", 2),
    redisUrl: flags.get("redis-url") ?? (env.REDIS_URL || "redis://127.0.0.1:6379"),
    json: flags.get("json"),
    profile: flags.has("profile"),
  };
}
