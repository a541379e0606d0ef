import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditLog, type AuditLogRow, type SessionRow } from "../../src/db/schema/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession, makeUser } from "../helpers/factories.js";
import { rest } from "../helpers/rest.js";
import { at, errorOf, NOW } from "../sessions/fixture.js";

/**
 * Issue 14: a refused read answered NOT_FOUND (the record exists but is hidden from the caller)
 * is DENIED in the audit. Services mark it with DomainError.denied (hiddenFromCaller); the audit
 * reads the flag from the error as thrown, in GraphQL and in the REST shims, and nobody sees it.
 *
 * Session access throws hiddenFromCaller once issue 14's visibility bullet lands (another
 * branch); until then this file makes getVisibleSession do so, exactly as that change does.
 * Everything else is real: the server, the database, the adapters and their audit.
 */
vi.mock("../../src/modules/sessions/session.access.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/modules/sessions/session.access.js")>();
  const { hiddenFromCaller } = await import("../../src/errors.js");
  return {
    ...original,
    getVisibleSession: async (...args: Parameters<typeof original.getVisibleSession>) => {
      try {
        return await original.getVisibleSession(...args);
      } catch (err) {
        if ((err as { code?: string }).code === "FORBIDDEN") throw hiddenFromCaller("Session");
        throw err;
      }
    },
  };
});

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let client: string, provider: string;
let hidden: SessionRow;

beforeAll(async () => {
  t = await startTestApp({ now: () => NOW });
  p = await makePractice(t.database);
  const second = await makeUser(t.database, p.tenant, "PROVIDER");
  [client, provider] = await Promise.all([p.client, p.provider].map((u) => t.token(u, p.tenant)));
  hidden = await makeSession(t.database, p.tenant, { providerId: second.id, clientId: p.otherClient.id, startsAt: at(11), endsAt: at(12), notes: "someone else's" });
});
afterAll(() => t.close());

const rowsNow = () => asTenant(t.database, p.tenant.id, (tx) => tx.select().from(auditLog).orderBy(auditLog.id));
async function auditedBy<T>(call: () => Promise<T>): Promise<{ result: T; rows: AuditLogRow[] }> {
  const before = (await rowsNow()).length;
  const result = await call();
  return { result, rows: (await rowsNow()).slice(before) };
}

describe(`NOT_FOUND to the caller, DENIED on record (${engine})`, () => {
  it("GraphQL session(id) and a mutation: NOT_FOUND like an unknown id, with nothing that tells them apart; DENIED vs not_found in the audit", async () => {
    const refused = await auditedBy(() => t.gql(`query($id: ID!) { session(id: $id) { notes } }`, { id: String(hidden.id) }, client));
    const unknown = await auditedBy(() => t.gql(`query($id: ID!) { session(id: $id) { notes } }`, { id: "99999999" }, client));
    expect(errorOf(refused.result)).toEqual({ message: "Session not found", code: "NOT_FOUND" });
    expect(errorOf(unknown.result)).toEqual(errorOf(refused.result));
    expect(refused.rows).toMatchObject([{ action: "read", entity: "Session", entityId: String(hidden.id), outcome: "denied" }]);
    expect(unknown.rows).toMatchObject([{ action: "read", entity: "Session", entityId: "99999999", outcome: "not_found" }]);

    const write = await auditedBy(() => t.gql(`mutation($id: ID!) { cancelSession(id: $id) { id } }`, { id: String(hidden.id) }, client));
    expect(errorOf(write.result).code).toBe("NOT_FOUND");
    expect(write.rows).toMatchObject([{ action: "cancelSession", entity: "Session", entityId: String(hidden.id), outcome: "denied" }]);
  });

  it("REST shims: the legacy not-found answer, and DENIED in the audit (an unknown id: not_found)", async () => {
    for (const path of [`/sapphire/scheduler/sessions/${hidden.id}/`, `/api/v1/sessions/${hidden.id}`]) {
      const refused = await auditedBy(() => rest(t.url, "GET", path, { token: provider }));
      expect(refused.result.status).toBe(404);
      expect(refused.result.text).not.toMatch(/denied/i);
      expect(refused.rows).toMatchObject([{ actorId: p.provider.id, action: "read", entity: "Session", entityId: String(hidden.id), outcome: "denied" }]);
    }
    const unknown = await auditedBy(() => rest(t.url, "GET", `/api/v1/sessions/99999999`, { token: provider }));
    expect(unknown.result.status).toBe(404);
    expect(unknown.rows).toMatchObject([{ action: "read", entityId: "99999999", outcome: "not_found" }]);
  });
});
