import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateUserDocument, MeDocument, UsersDocument } from "../generated/graphql.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { makePractice } from "../helpers/factories.js";

let t: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
beforeAll(async () => {
  t = await startTestApp();
  p = await makePractice(t.database);
});
afterAll(() => t.close());

/** A typed client over the generated documents: the result type comes from codegen. */
async function run<R, V>(document: TypedDocumentNode<R, V>, variables: V, token: string): Promise<R> {
  const result = await t.gql<R>(print(document), variables as Record<string, unknown>, token);
  expect(result.errors).toBeUndefined();
  return result.data!;
}

describe(`generated typed operations (${engine})`, () => {
  it("run against the server with the types codegen produced", async () => {
    const admin = await t.token(p.admin, p.tenant);
    const me = await run(MeDocument, {}, admin);
    const role: "ADMIN" | "PROVIDER" | "CLIENT" = me.me.role;
    expect(role).toBe("ADMIN");
    const created = await run(
      CreateUserDocument,
      { input: { role: "PROVIDER", username: "typed.provider", name: "Typed Provider" } },
      admin,
    );
    expect(created.createUser.timeZone).toBe(p.tenant.timeZone);
    const providers = await run(UsersDocument, { role: "PROVIDER" }, admin);
    expect(providers.users.map((u) => u.username)).toContain("typed.provider");
  });
});
