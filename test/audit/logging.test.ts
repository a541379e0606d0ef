import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import type { Database } from "../../src/db/client.js";
import { auditLog } from "../../src/db/schema/index.js";
import { signToken } from "../../src/modules/tenants/index.js";
import { TEST_JWT_SECRET } from "../helpers/app.js";
import { engine, openTestDatabase } from "../helpers/db.js";
import { asTenant, makePractice } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { BOOK, dataOf, iso, NOW } from "../sessions/sessions.fixture.js";
import { REFUSED, refuseMarkedNotes } from "./audit.fixture.js";

/** What a client wrote that must never reach a log line. */
const SECRETS = {
  notes: "NOTE-7f3a-secret",
  providerNotes: "PROVIDER-NOTE-91bc",
  feedback: "FEEDBACK-22de",
  badToken: "eyJhbGciOiJIUzI1NiJ9.BAD-TOKEN-5e1d.sig",
};

const lines: string[] = [];
let database: Database;
let app: App;
let url: string;
let p: Awaited<ReturnType<typeof makePractice>>;
let provider: string;

beforeAll(async () => {
  ({ database } = await openTestDatabase());
  const config = loadConfig({
    NODE_ENV: "test",
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    RATE_LIMIT_WRITES_PER_MINUTE: "1000000",
  });
  app = await createApp({ config, database, now: () => NOW, logStream: { write: (line) => void lines.push(line) } });
  url = await app.listen();
  p = await makePractice(database);
  await refuseMarkedNotes(database);
  provider = await signToken(config.jwt, { sub: String(p.provider.id), tenant: p.tenant.code }, "1h");
});
afterAll(async () => {
  await app.close();
  await database.close();
});

const gql = async (query: string, variables: Record<string, unknown>, token: string) => {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: any[] }) };
};

const logged = () => lines.join("");
const entries = () =>
  lines.map((line) => JSON.parse(line) as { reqId?: string; msg: string; err?: { message: string } });

describe(`log lines carry request ids, never tokens, notes or feedback (${engine})`, () => {
  it("a booking with notes, its completion with feedback, failing writes and a bad token", async () => {
    const booked = dataOf(
      await gql(
        BOOK,
        {
          input: {
            clientId: p.client.id,
            startsAt: iso(13),
            endsAt: iso(14),
            notes: SECRETS.notes,
            providerNotes: SECRETS.providerNotes,
          },
        },
        provider,
      ),
    );
    const id = booked.bookSession.id;
    dataOf(
      await gql(
        `mutation($id: ID!, $input: CompleteSessionInput) { completeSession(id: $id, input: $input) { id } }`,
        { id, input: { clientFeedback: SECRETS.feedback } },
        provider,
      ),
    );
    // Unexpected errors whose failed query carries the notes as a parameter.
    const refused = await gql(
      BOOK,
      { input: { clientId: p.client.id, startsAt: iso(15), endsAt: iso(16), notes: `${SECRETS.notes} ${REFUSED}` } },
      provider,
    );
    expect(refused.errors?.[0].extensions.code).toBe("INTERNAL_SERVER_ERROR");
    const refusedRest = await rest(url, "POST", "/api/v1/sessions", {
      token: provider,
      body: {
        client_id: p.client.id,
        title: "T",
        scheduled_start: "2030-01-08T10:00:00Z",
        scheduled_end: "2030-01-08T11:00:00Z",
        notes: `${SECRETS.notes} ${REFUSED}`,
      },
    });
    expect(refusedRest.status).toBe(500);
    // Malformed JSON that quotes the notes.
    const malformed = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"query": "${SECRETS.notes}`,
    });
    expect(malformed.status).toBe(400);
    const unauthenticated = await gql(`{ me { id } }`, {}, SECRETS.badToken);
    expect(unauthenticated.status).toBe(401);
    const cookie = await rest(url, "GET", "/api/v1/sessions", { headers: { cookie: `session=${SECRETS.badToken}` } });
    expect(cookie.status).toBe(401);

    const text = logged();
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);

    // The booking's audit row and its log lines share the request id.
    const [row] = await asTenant(database, p.tenant.id, (tx) =>
      tx.select().from(auditLog).orderBy(auditLog.id).limit(1),
    );
    expect(row).toMatchObject({ action: "bookSession", entityId: id });
    expect(
      entries()
        .filter((e) => e.reqId === row.requestId)
        .map((e) => e.msg),
    ).toEqual(["incoming request", "request completed"]);
    // Unexpected errors are logged with their request's id, without the query's parameters.
    const failures = entries().filter((e) => e.err && /unexpected/.test(e.msg));
    expect(failures).toHaveLength(2);
    for (const failure of failures) {
      expect(failure.reqId).toBeTruthy();
      expect(failure.err!.message).toMatch(/Failed query: insert into "sessions"/);
    }
  });
});
