import { buildSchema, getIntrospectionQuery, getOperationAST, parse } from "graphql";
import type { GatewayGraphQLRequestContext } from "@apollo/server-gateway-interface";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, items, treatmentDetails, treatmentPlans, units } from "../../src/db/schema/index.js";
import { getJitSchema } from "../../src/graphql/build-schema.js";
import { jitGateway } from "../../src/graphql/jit-gateway.js";
import { httpContext } from "../../src/http/request-context.js";
import { readEntries } from "../../src/modules/audit/index.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { asTenant, makePractice, makeSession } from "../helpers/factories.js";

// Queries run through graphql-jit (src/graphql/jit-gateway.ts). They must answer byte for byte
// what graphql-js answers: the same server with GRAPHQL_JIT=false, on the same database.
let jit: TestApp;
let graphqlJs: TestApp;
let p: Awaited<ReturnType<typeof makePractice>>;
let withDetails: number;
let bare: number;

beforeAll(async () => {
  jit = await startTestApp();
  graphqlJs = await startTestApp({
    database: jit.database,
    databaseUrl: jit.databaseUrl,
    env: { GRAPHQL_JIT: "false" },
  });
  p = await makePractice(jit.database);
  const tenantId = p.tenant.id;
  const [plan] = await asTenant(jit.database, tenantId, (tx) =>
    tx.insert(treatmentPlans).values({ tenantId, clientId: p.client.id, title: "Knee rehab" }).returning(),
  );
  const first = await makeSession(jit.database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.client.id,
    treatmentPlanId: plan.id,
    notes: "left knee",
    startsAt: new Date("2030-01-07T09:00:00Z"),
    endsAt: new Date("2030-01-07T09:50:00Z"),
  });
  const second = await makeSession(jit.database, p.tenant, {
    providerId: p.provider.id,
    clientId: p.otherClient.id,
    startsAt: new Date("2030-01-08T09:00:00Z"),
    endsAt: new Date("2030-01-08T10:00:00Z"),
  });
  withDetails = first.id;
  bare = second.id;
  await asTenant(jit.database, tenantId, async (tx) => {
    const [item] = await tx.insert(items).values({ tenantId, name: "Tape", sku: "T-1" }).returning();
    const [unit] = await tx.insert(units).values({ tenantId, name: "roll" }).returning();
    await tx.insert(treatmentDetails).values([
      { tenantId, sessionId: first.id, itemId: item.id, unitId: unit.id, quantity: 2 },
      { tenantId, sessionId: first.id, itemId: item.id, quantity: 1 },
    ]);
  });
});
afterAll(async () => {
  await graphqlJs.close();
  await jit.close();
});

const PAGE = `query Page($filter: SessionFilter) {
  sessions(filter: $filter, first: 10) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor } nodes { ...Row }
  }
}
fragment Row on Session {
  __typename id title status type modality startsAt endsAt durationMinutes notes timing { __typename }
  provider { id name email } client { id name phone }
  treatmentPlan { id title status }
  treatmentDetails { id quantity item { id name sku } unit { id name } }
}`;

/** The bench's scenario 1 (test/bench/requests.ts SESSIONS_PAGE) with every clinical field, as the audit sees it. */
const CLINICAL_PAGE = `query ClinicalPage($filter: SessionFilter!) {
  sessions(filter: $filter, first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id title status type modality startsAt endsAt location notes providerNotes clientFeedback
      provider { id name email }
      client { id name email phone }
      treatmentPlan { id title status sessions { nodes { id notes } } }
      treatmentDetails { id quantity item { id name sku } unit { id name } }
    }
  }
}`;

const CLINICAL_ONE = `query One($id: ID!) { session(id: $id) { id notes providerNotes clientFeedback } }`;

const FIRST = `query First($first: Int) { sessions(first: $first) { totalCount nodes { id } } }`;

const NODE = `query Node($id: ID!) {
  node(id: $id) { __typename id ... on Session { title startsAt later: endsAt provider { __typename name } } ... on User { name role } }
}`;

const MIXED = `query Mixed($from: Date!, $providerId: ID!) {
  me { id role name }
  a: availableSlots(providerId: $providerId, from: $from, durations: [30, 60]) { date slots { startsAt availableDurations } }
  b: freeIntervals(providerId: $providerId, date: $from) { __typename }
  missing: session(id: "999999") { id }
}`;

/** The response body without stack traces (their frames name the executor). */
async function answer(app: TestApp, query: string, variables: Record<string, unknown>, token: string) {
  const response = await app.gql(query, variables, token);
  for (const error of response.errors ?? []) delete error.extensions.stacktrace;
  return response;
}

describe(`graphql-jit answers what graphql-js answers (${engine})`, () => {
  it("data, nulls, fragments, aliases, interfaces, introspection and errors (resolver, argument and variable errors), for every role, compiled and again from the cache", async () => {
    const tokens = await Promise.all([p.admin, p.provider, p.client, p.otherClient].map((u) => jit.token(u, p.tenant)));
    const cases: [string, Record<string, unknown>][] = [
      [PAGE, {}],
      [PAGE, { filter: { providerId: String(p.provider.id), from: "2030-01-08T00:00:00Z" } }],
      [FIRST, { first: 1 }],
      [FIRST, { first: -1 }],
      [FIRST, { first: "ten" }],
      [PAGE, { filter: { status: ["NOT_A_STATUS"] } }],
      [CLINICAL_PAGE, { filter: { providerId: String(p.provider.id), from: "2030-01-01T00:00:00Z" } }],
      [CLINICAL_ONE, { id: String(withDetails) }],
      [CLINICAL_ONE, { id: String(bare) }],
      [NODE, { id: String(withDetails) }],
      [NODE, { id: String(bare) }],
      [NODE, { id: "not-an-id" }],
      [MIXED, { from: "2030-01-07", providerId: String(p.provider.id) }],
      [MIXED, { from: "2030-02-30", providerId: String(p.provider.id) }],
      [getIntrospectionQuery(), {}],
    ];
    let errors = 0;
    for (const token of tokens) {
      for (const [query, variables] of cases) {
        const expected = await answer(graphqlJs, query, variables, token);
        errors += expected.errors?.length ?? 0;
        expect(await answer(jit, query, variables, token)).toEqual(expected);
        expect(await answer(jit, query, variables, token)).toEqual(expected);
      }
    }
    // The cases do reach data and errors alike.
    const page = await answer(jit, PAGE, {}, tokens[0]);
    expect((await answer(jit, getIntrospectionQuery(), {}, tokens[0])).data?.__schema.types.length).toBeGreaterThan(50);
    expect(page.data?.sessions.nodes[0].treatmentDetails).toHaveLength(2);
    expect(errors).toBeGreaterThan(10);
  });
});

describe(`clinical text read through graphql-jit is on record (${engine})`, () => {
  it("the gateway answers a clinical query with graphql-jit alone and records the sessions read", async () => {
    // graphql-js gets a schema that cannot answer this query: only graphql-jit can.
    const gateway = jitGateway(buildSchema("type Query { unused: Int }"), await getJitSchema());
    const { executor } = await gateway.load({ apollo: {} as never });
    const token = await jit.token(p.provider, p.tenant);
    const ctx = await httpContext(jit.app.deps, jit.app.auth, { authorization: `Bearer ${token}` }, "jit-audit-test");
    const document = parse(
      `{ sessions(first: 10) { nodes { id notes } } one: session(id: "${bare}") { clientFeedback } }`,
    );
    try {
      const result = await executor!({
        document,
        operation: getOperationAST(document)!,
        operationName: null,
        queryHash: "jit-audit-test",
        request: { variables: {} },
        context: ctx,
      } as unknown as GatewayGraphQLRequestContext);
      expect(result.errors).toBeUndefined();
      const nodes = (result.data as { sessions: { nodes: { id: string; notes: string | null }[] } }).sessions.nodes;
      expect(nodes.map((n) => n.notes)).toContain("left knee");
      expect(readEntries(ctx)).toEqual([
        expect.objectContaining({
          action: "read",
          entity: "Session",
          entityIds: expect.arrayContaining([String(withDetails), String(bare)]),
          outcome: "success",
        }),
      ]);
    } finally {
      await ctx.db.finish(false);
    }
  });

  it("a clinical query writes the same audit entry through graphql-jit as through graphql-js", async () => {
    const token = await jit.token(p.admin, p.tenant);
    const query = `query($id: ID!) { sessions(first: 10) { nodes { id ...C } } one: session(id: $id) { id ...C } } fragment C on Session { notes providerNotes clientFeedback }`;
    const entryOf = async (app: TestApp) => {
      const rows = () => asTenant(jit.database, p.tenant.id, (tx) => tx.select().from(auditLog).orderBy(auditLog.id));
      const before = (await rows()).length;
      expect((await app.gql(query, { id: String(bare) }, token)).errors).toBeUndefined();
      return (await rows()).slice(before).map(({ action, entity, entityId, entityIds, outcome, actorId }) => ({
        action,
        entity,
        entityId,
        entityIds: [...entityIds].sort(),
        outcome,
        actorId,
      }));
    };
    const viaJit = await entryOf(jit);
    expect(viaJit).toEqual([
      {
        action: "read",
        entity: "Session",
        entityId: null,
        entityIds: [String(withDetails), String(bare)].sort(),
        outcome: "success",
        actorId: p.admin.id,
      },
    ]);
    expect(await entryOf(graphqlJs)).toEqual(viaJit);
  });
});
