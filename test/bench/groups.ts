/**
 * Row G of `npm run bench` (`--only G`): the last seats of a group session under contention.
 * 100 joins at once (real concurrent HTTP requests, each for its own client) of a group with 20
 * seats: exactly 20 must win and 80 be CONFLICT SESSION_FULL, decided by the database
 * (seats_within_capacity() under the group's row lock); the join latency's p50/p99.
 *
 * Its own database (GROUPS_BENCH_DATABASE, re-created on every run) on the PostgreSQL server given.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { Database } from "../../src/db/client.js";
import { signToken } from "../../src/modules/tenants/jwt.js";
import { makeTenant, makeUser, relate } from "../helpers/factories.js";
import { percentile, sortedOf, type BenchRow } from "./load.js";
import { graphql } from "./requests.js";
import type { ServerProcess } from "./server.js";
import { freshDatabase } from "./write-throughput.js";

export const GROUPS_BENCH_DATABASE = "sessiongraph_groups_bench";
const JOINERS = 100;
const SEATS = 20;

const CREATE = `mutation BenchCreateGroup($input: CreateGroupSessionInput!) { createGroupSession(input: $input) { id } }`;
const JOIN = `mutation BenchJoinGroup($id: ID!, $clientId: ID) { joinGroupSession(id: $id, clientId: $clientId) { id } }`;

export async function groupSeatContention(options: {
  serverUrl: string;
  startServer: (env: {
    databaseUrl: string;
    jwtSecret: string;
    env?: Record<string, string>;
  }) => Promise<ServerProcess>;
}): Promise<BenchRow> {
  const databaseUrl = await freshDatabase(options.serverUrl, GROUPS_BENCH_DATABASE);
  const jwt = { secret: `bench-${randomBytes(16).toString("hex")}`, clockToleranceSeconds: 30 };
  const database = await Database.open({ url: databaseUrl, poolMax: 2 });
  let token: string;
  const clientIds: number[] = [];
  try {
    const tenant = await makeTenant(database, { name: "Groups bench" });
    const provider = await makeUser(database, tenant, "PROVIDER");
    for (let i = 0; i < JOINERS; i++) {
      const client = await makeUser(database, tenant, "CLIENT");
      await relate(database, tenant, provider, client);
      clientIds.push(client.id);
    }
    token = await signToken(jwt, { sub: String(provider.id), tenant: tenant.code }, "2h");
  } finally {
    await database.close();
  }

  const server = await options.startServer({
    databaseUrl,
    jwtSecret: jwt.secret,
    env: { RATE_LIMIT_WRITES_PER_MINUTE: "10000000" },
  });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const created = await graphql<{ createGroupSession: { id: string } }>(server.url, token, CREATE, {
      input: { startsAt: "2031-02-04T17:00:00Z", durationMinutes: 90, capacity: SEATS, title: "Bench group" },
    });
    const groupId = created.data?.createGroupSession?.id;
    if (!groupId) throw new Error(`createGroupSession failed: HTTP ${created.status} ${created.text.slice(0, 200)}`);
    const latencies: number[] = [];
    const outcomes = await Promise.all(
      clientIds.map(async (clientId) => {
        const t0 = performance.now();
        const response = await graphql<{ joinGroupSession: { id: string } }>(server.url, token, JOIN, {
          id: groupId,
          clientId: String(clientId),
        });
        latencies.push(performance.now() - t0);
        if (response.data?.joinGroupSession?.id) return "seat";
        if (response.errors?.[0]?.extensions?.reason === "SESSION_FULL") return "full";
        return `HTTP ${response.status}: ${response.text.slice(0, 160)}`;
      }),
    );
    const [{ seats }] = await sql<{ seats: number }[]>`
      select count(*)::int as seats from sessions where group_session_id = ${Number(groupId)} and status <> 'CANCELLED'`;
    const won = outcomes.filter((o) => o === "seat").length;
    const full = outcomes.filter((o) => o === "full").length;
    const others = outcomes.filter((o) => o !== "seat" && o !== "full");
    const sorted = sortedOf(latencies);
    return {
      id: "G",
      scenario: `joinGroupSession: ${JOINERS} concurrent joins of a ${SEATS}-seat group (each for its own client)`,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      errors: others.length,
      notes:
        `${won} seats won, ${full} SESSION_FULL, ${seats} seats in the database (must be ${SEATS})` +
        (others.length ? `; ${[...new Set(others)].slice(0, 2).join(" | ")}` : ""),
      details: {
        joiners: JOINERS,
        capacity: SEATS,
        won,
        full,
        seatsInDatabase: seats,
        pass: seats === SEATS && won === SEATS,
      },
    };
  } finally {
    await sql.end();
    await server.stop();
  }
}
