import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionRow, UserRow } from "../../src/db/schema/index.js";
import { RequestScope } from "../../src/db/scope.js";
import { DomainError, renderFieldErrors } from "../../src/errors.js";
import { Loaders, type RequestContext } from "../../src/modules/context.js";
import { sessionById } from "../../src/modules/sessions/session.loaders.js";
import * as details from "../../src/modules/treatment-details/index.js";
import { engine } from "../helpers/db.js";
import { allDetails, setup } from "./treatment-details.fixture.js";

/**
 * The service as the REST shim will call it: plain integer ids, values straight from a JSON
 * body (so a missing or string quantity reaches the service), rows back.
 */
let f: Awaited<ReturnType<typeof setup>>;
beforeAll(async () => {
  f = await setup();
});
afterAll(() => f.t.close());

/** Runs fn as `viewer` in its own request transaction, committed when fn succeeds. */
async function asRequest<T>(viewer: UserRow, fn: (ctx: RequestContext) => Promise<T>): Promise<T> {
  const scope = new RequestScope(f.t.database, f.a.tenant.id);
  const loaders = new Loaders();
  const ctx: RequestContext = { requestId: "test", deps: f.t.app.deps, tenant: f.a.tenant, viewer, db: scope, loaders };
  loaders.bind(ctx);
  try {
    const result = await fn(ctx);
    await scope.finish(true);
    return result;
  } catch (err) {
    await scope.finish(false);
    throw err;
  }
}

async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

describe(`treatment-detail service for the REST shim (${engine})`, () => {
  it("creates, reads, lists, updates and deletes with integer ids and returns table rows", async () => {
    const created = await asRequest(f.a.provider, (ctx) =>
      details.createTreatmentDetail(ctx, {
        sessionId: f.session.id,
        itemId: f.item.id,
        unitId: f.unit.id,
        quantity: 2,
      }),
    );
    expect(created).toMatchObject({
      sessionId: f.session.id,
      itemId: f.item.id,
      unitId: f.unit.id,
      quantity: 2,
      createdBy: f.a.provider.id,
      updatedBy: null,
      deletedAt: null,
    });
    expect(await asRequest(f.a.client, (ctx) => details.getTreatmentDetail(ctx, created.id))).toEqual(created);
    expect(
      await asRequest(f.a.client, (ctx) => details.listTreatmentDetails(ctx, { sessionId: f.session.id })),
    ).toEqual([created]);
    const updated = await asRequest(f.a.admin, (ctx) =>
      details.updateTreatmentDetail(ctx, created.id, { sessionId: f.session.id, quantity: 3 }),
    );
    expect(updated).toMatchObject({ itemId: null, unitId: null, quantity: 3, updatedBy: f.a.admin.id });
    expect(await asRequest(f.a.admin, (ctx) => details.deleteTreatmentDetail(ctx, created.id))).toBe(true);
    expect((await domainError(asRequest(f.a.admin, (ctx) => details.getTreatmentDetail(ctx, created.id)))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("a JSON body without quantity, or with a string or fractional one, is BAD_USER_INPUT on quantity", async () => {
    const before = await allDetails(f.t, f.a.tenant.id);
    const cases: [unknown, string][] = [
      [undefined, "quantity is required"],
      [null, "quantity is required"],
      ["2", 'quantity must be a positive integer, got "2"'],
      [1.5, "quantity must be a positive integer, got 1.5"],
      [2 ** 31, `quantity must be a positive integer, got ${2 ** 31}`],
    ];
    for (const [quantity, message] of cases) {
      const err = await domainError(
        asRequest(f.a.admin, (ctx) =>
          details.createTreatmentDetail(ctx, { sessionId: f.session.id, quantity: quantity as number }),
        ),
      );
      expect(err.code).toBe("BAD_USER_INPUT");
      expect(fieldMessages(err)).toEqual({ quantity: message });
    }
    expect(await allDetails(f.t, f.a.tenant.id)).toEqual(before);
  });

  it("a reference that vanishes between the check and the write is BAD_USER_INPUT, never a foreign-key 500", async () => {
    const before = await allDetails(f.t, f.a.tenant.id);
    const gone: SessionRow = { ...f.session, id: 99999999 };
    const err = await domainError(
      asRequest(f.a.admin, (ctx) => {
        ctx.loaders.get(sessionById).prime(gone.id, gone); // the check sees a session the table no longer has
        return details.createTreatmentDetail(ctx, { sessionId: gone.id, quantity: 1 });
      }),
    );
    expect(err).toMatchObject({ code: "BAD_USER_INPUT", reason: "VALIDATION", message: "Session not found" });
    expect(fieldMessages(err)).toEqual({ sessionId: "Session not found" });
    expect(await allDetails(f.t, f.a.tenant.id)).toEqual(before);
  });
});

/** A DomainError's field errors as the messages they render to. */
const fieldMessages = (err: DomainError) => renderFieldErrors(err.details.fieldErrors ?? {});
