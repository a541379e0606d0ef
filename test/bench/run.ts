/**
 * `npm run bench`: sessiongraph against real PostgreSQL, side by side with the database's own
 * limit. Loads a seeded dataset, measures SQL statements per request in-process, starts the
 * server as a child process and drives it with autocannon and graphql-ws clients. Every row
 * comes from this one run on this machine: compare ratios, not absolute numbers across machines.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { DateTime } from "luxon";
import postgres from "postgres";
import { signToken } from "../../src/modules/tenants/jwt.js";
import { bookingContention, BENCH_TITLE_PREFIX, removeBenchBookings } from "./booking.js";
import { machineBusyPercent, measureCpu, type CpuSplit } from "./cpu.js";
import { BENCH_DATABASE, prepareDatabase } from "./database.js";
import { readDataset, TENANT_CODE, type BenchUser } from "./dataset.js";
import { dataStatements, InProcessApp, type Measured } from "./in-process.js";
import { closedLoop, httpLoad, type BenchRow, type HttpLoad, type LoadResult } from "./load.js";
import { parseOptions, SOCKETS_PER_CLIENT, type BenchOptions } from "./options.js";
import { summarizeProfile, type ProfileSummary } from "./profile-summary.js";
import { replayServerStatements, singleStatementPage } from "./raw-sql.js";
import {
  AVAILABLE_SLOTS,
  authHeaders,
  graphql,
  graphqlBody,
  monthOf,
  SESSIONS_NAMES,
  SESSIONS_PAGE,
  SLOTS_BY_PROVIDER,
  TYPENAME,
} from "./requests.js";
import { seriesBookings, SERIES_OCCURRENCES } from "./series.js";
import { groupSeatContention } from "./groups.js";
import { startServer, type ServerProcess } from "./server.js";
import { subscriptionFanOut } from "./subscriptions.js";
import { writeThroughput } from "./write-throughput.js";

/** The read scenarios, which share the loaded dataset and one server. */
const READ_SCENARIOS = [1, 2, 3, 4, 5, 6, 7];

/** Scenario 6's targets, by the number of subscribers the issues set them for (issue 16: 10,000 on this 2-core machine). */
const FAN_OUT_P99_TARGETS_MS = new Map([
  [1_000, 100],
  [10_000, 250],
]);

interface Target {
  /** The scenario it belongs to (0: loading, 8: W), for the order of the list. */
  scenario: number;
  description: string;
  measured: string;
  pass: boolean;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const want = (scenario: number | "W" | "G") => options.only.size === 0 || options.only.has(String(scenario));
  const startedAt = new Date();
  const machine = {
    date: startedAt.toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    /** CPU use of everything else on the machine in the second before the bench started. */
    busyPercentAtStart: await machineBusyPercent(),
    postgres: "",
  };

  console.log(`sessiongraph bench, ${machine.date}`);
  console.log(
    `machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}; CPUs ${Math.round(machine.busyPercentAtStart)}% busy before the start`,
  );
  console.log("server, load generator and database share this machine.");
  if (machine.busyPercentAtStart > 15)
    console.log(
      `WARNING: something else keeps the CPUs ${Math.round(machine.busyPercentAtStart)}% busy: the numbers below are not representative.`,
    );
  console.log();

  const d = options.dataset;
  const targets: Target[] = [];
  const rows: BenchRow[] = [];
  const profileDir = options.profile ? mkdtempSync(join(os.tmpdir(), "sessiongraph-cpu-prof-")) : undefined;
  /** The part of the run the CPU profile summary looks at: scenario 1's measured load, else scenario 6's deliveries. */
  let profileWindow: { us: [number, number]; label: string } | undefined;
  let sqlReport: Record<string, unknown> = {};
  /** What loading the read dataset took (or "kept"); undefined when no read scenario ran. */
  let loaded: Awaited<ReturnType<typeof prepareDatabase>>["load"] | "kept" | undefined;
  // The read scenarios (1-7) share one loaded dataset and one server; W makes its own database.
  if (READ_SCENARIOS.some(want)) {
    const loadStarted = performance.now();
    const prepared = await prepareDatabase(options.databaseUrl, options.dataset, options.keepData);
    loaded = prepared.load ?? "kept";
    if (prepared.load) {
      const seconds = (performance.now() - loadStarted) / 1000;
      const counts = Object.entries(prepared.load.counts)
        .map(([table, n]) => `${table} ${n.toLocaleString("en-US")}`)
        .join(", ");
      console.log(`dataset (seed ${d.seed}, anchor ${d.anchor}, ${d.months} months): ${counts}`);
      console.log(
        `loaded in ${seconds.toFixed(1)} s (migrations ${prepared.load.migrateSeconds.toFixed(1)} s, COPY + VACUUM ANALYZE ${prepared.load.loadSeconds.toFixed(1)} s)\n`,
      );
      targets.push({
        scenario: 0,
        description: "Loading the dataset takes under a minute",
        measured: `${seconds.toFixed(1)} s`,
        pass: seconds < 60,
      });
    } else {
      console.log(`dataset (seed ${d.seed}, anchor ${d.anchor}): kept from an earlier run (--keep-data)\n`);
    }

    const owner = postgres(prepared.url, { max: options.connections, onnotice: () => {} });
    const listenSql = postgres(prepared.url, { max: 1, onnotice: () => {} });
    let server: ServerProcess | undefined;
    try {
      const [{ version }] = await owner<{ version: string }[]>`select current_setting('server_version') as version`;
      machine.postgres = version;
      const data = await readDataset(owner);
      await removeBenchBookings(owner);
      const jwt = { secret: `bench-${randomBytes(16).toString("hex")}`, clockToleranceSeconds: 30 };
      const tokenOf = (user: BenchUser) => signToken(jwt, { sub: String(user.id), tenant: TENANT_CODE }, "2h");

      // The page of scenarios 1-3: the first provider's anchor month, as that provider.
      const provider = data.providers[0];
      const providerToken = await tokenOf(provider);
      const adminToken = await tokenOf(data.admin);
      const month = monthOf(d.anchor, provider.timeZone);
      const pageVariables = {
        filter: { providerId: String(provider.id), from: month.from.toISOString(), to: month.to.toISOString() },
      };
      const pageBody = graphqlBody(SESSIONS_PAGE, pageVariables);
      const namesBody = graphqlBody(SESSIONS_NAMES, pageVariables);
      const typenameBody = graphqlBody(TYPENAME);
      const restPath = `/api/v1/sessions?per_page=50&include_client=true&include_trainer=true&start_date=${month.firstDay}T00:00:00&end_date=${month.lastDay}T23:59:59&sort_by=scheduled_start&sort_order=asc`;
      const slotsFrom = DateTime.fromISO(d.anchor).plus({ days: 1 }).toISODate()!;
      const slotsTo30 = DateTime.fromISO(slotsFrom).plus({ days: 29 }).toISODate()!;
      const slotsTo7 = DateTime.fromISO(slotsFrom).plus({ days: 6 }).toISODate()!;
      const manyProviders = data.providers.slice(0, 100).map((p) => p.id);

      // In-process: statements per request, their text (replayed by scenario 3), the batched slot service.
      console.log("measuring SQL statements per request in-process ...");
      const inProcess = await InProcessApp.open(prepared.url, jwt.secret);
      let gqlMeasured: Measured;
      let namesMeasured: Measured;
      let typenameMeasured: Measured;
      let restMeasured: Measured;
      let slotsService: Awaited<ReturnType<InProcessApp["timeSlotsForProviders"]>> | undefined;
      let oneProviderService: Awaited<ReturnType<InProcessApp["timeSlotsForProviders"]>> | undefined;
      try {
        gqlMeasured = await inProcess.measure({
          method: "POST",
          url: "/graphql",
          headers: authHeaders(providerToken),
          payload: pageBody,
        });
        namesMeasured = await inProcess.measure({
          method: "POST",
          url: "/graphql",
          headers: authHeaders(providerToken),
          payload: namesBody,
        });
        typenameMeasured = await inProcess.measure({
          method: "POST",
          url: "/graphql",
          headers: authHeaders(providerToken),
          payload: typenameBody,
        });
        restMeasured = await inProcess.measure({
          method: "GET",
          url: restPath,
          headers: { authorization: `Bearer ${providerToken}` },
        });
        if (want(4)) {
          slotsService = await inProcess.timeSlotsForProviders(adminToken, manyProviders, slotsFrom, slotsTo7, 30);
          oneProviderService = await inProcess.timeSlotsForProviders(
            adminToken,
            [data.providers[1].id],
            slotsFrom,
            slotsTo30,
            30,
          );
        }
      } finally {
        await inProcess.close();
      }
      const gqlPage = JSON.parse(gqlMeasured.body) as {
        data?: { sessions: { totalCount: number; nodes: unknown[] } };
        errors?: { message: string }[];
      };
      if (gqlMeasured.status !== 200 || gqlPage.errors || !gqlPage.data)
        throw new Error(`scenario 1's query failed in-process: ${gqlMeasured.body.slice(0, 500)}`);
      const pageSize = gqlPage.data.sessions.nodes.length;
      for (const [name, measured] of [
        ["Q2", namesMeasured],
        ["{ __typename }", typenameMeasured],
      ] as const)
        if (measured.status !== 200 || measured.body.includes('"errors":['))
          throw new Error(`${name} failed in-process: ${measured.body.slice(0, 500)}`);
      const sqlOf = (m: Measured) => ({
        statements: m.statements,
        statementsSent: m.sent,
        sent: m.captured.map((s) => oneLine(s.text)),
      });
      sqlReport = {
        graphql: sqlOf(gqlMeasured),
        graphqlNames: sqlOf(namesMeasured),
        graphqlTypename: sqlOf(typenameMeasured),
        rest: {
          status: restMeasured.status,
          statements: restMeasured.statements,
          sent: restMeasured.captured.map((s) => oneLine(s.text)),
        },
      };

      targets.push({
        scenario: 1,
        description:
          "A request whose resolvers read nothing (row 1a, `{ __typename }` with a token) sends no SQL statement",
        measured: `${typenameMeasured.sent} statements`,
        pass: typenameMeasured.sent === 0,
      });

      console.log("starting the server ...");
      server = await startServer({
        databaseUrl: prepared.url,
        jwtSecret: jwt.secret,
        cpuProfileDir: profileDir,
        // Scenario 6 as the admin: all its sockets are one user's.
        env: options.subscriberRole === "ADMIN" ? { MAX_SOCKETS_PER_USER: String(options.subscribers) } : {},
      });
      await sleep(1000);
      const rssAtRest = server.rssMiB();
      const base = server.url;

      // 1. GraphQL sessions page.
      let s1: LoadResult | undefined;
      let s1PeakRss = Number.NaN;
      if (want(1) || want(7)) {
        console.log("scenario 1: GraphQL sessions page ...");
        const expect = await graphql<unknown>(base, providerToken, SESSIONS_PAGE, pageVariables);
        if (expect.status !== 200 || expect.errors)
          throw new Error(`scenario 1's query failed on the server: ${expect.text.slice(0, 500)}`);
        const load = {
          url: `${base}/graphql`,
          method: "POST" as const,
          headers: authHeaders(providerToken),
          body: pageBody,
          expectBody: expect.text,
          connections: options.connections,
        };
        if (options.warmupSeconds > 0) await httpLoad({ ...load, seconds: options.warmupSeconds });
        const sampler = sampleRss(server);
        // Reads of the counter wait for the requests still in flight to finish.
        await sleep(300);
        const statementsBefore = await serverStatements(base);
        const from = nowUs();
        const measured = await measureCpu(BENCH_DATABASE, server.pid, () =>
          httpLoad({ ...load, seconds: options.durationSeconds }),
        );
        s1 = measured;
        profileWindow = { us: [from, nowUs()], label: "scenario 1's measured window" };
        await sleep(300);
        const statementsAfter = await serverStatements(base);
        s1PeakRss = sampler.stop();
        // The server's own counter (GET /metrics) under load, when it has one: a cross-check of the in-process count.
        const underLoad =
          statementsBefore !== undefined && statementsAfter !== undefined
            ? (statementsAfter - statementsBefore) / s1.requests
            : undefined;
        rows.push({
          id: "1",
          scenario: `GraphQL sessions(first: 50), provider + month, nested provider/client/treatmentPlan/treatmentDetails{item unit}, ${options.connections} connections`,
          ...numbers(measured),
          statements: gqlMeasured.sent,
          notes: `${statementsNote(gqlMeasured)}${underLoad === undefined ? "" : ` (${underLoad.toFixed(2)} besides BEGIN/COMMIT under load, from /metrics)`}; page of ${pageSize} of ${gqlPage.data.sessions.totalCount}; issue 16's Q1`,
          details: {
            statements: gqlMeasured.statements,
            statementsSent: gqlMeasured.sent,
            statementsUnderLoad: underLoad,
          },
        });
        // What any request costs before it reads anything (the ceiling of scenario 1), and issue 16's Q2.
        for (const [id, label, body, measured, note] of [
          [
            "1a",
            `GraphQL \`{ __typename }\` with the same token, ${options.connections} connections`,
            typenameBody,
            typenameMeasured,
            "the fixed cost of a request (Fastify, Apollo, graphql-jit, the bearer token): the most this stack serves; issue 16's third query",
          ],
          [
            "1b",
            `GraphQL sessions(first: 50), the same filter, nodes { id provider { name } client { name } }, ${options.connections} connections`,
            namesBody,
            namesMeasured,
            "issue 16's Q2",
          ],
        ] as const) {
          const expected = await fetch(`${base}/graphql`, {
            method: "POST",
            headers: authHeaders(providerToken),
            body,
          });
          const text = await expected.text();
          if (expected.status !== 200 || text.includes('"errors":['))
            throw new Error(`row ${id}'s query failed on the server: ${text.slice(0, 500)}`);
          const result = await warmedHttpLoad(
            server,
            { url: `${base}/graphql`, method: "POST", headers: authHeaders(providerToken), body, expectBody: text },
            options.connections,
            options.durationSeconds,
            options.warmupSeconds,
          );
          rows.push({
            id,
            scenario: label,
            ...numbers(result),
            statements: measured.sent,
            notes: `${statementsNote(measured)}; ${note}`,
            details: { statements: measured.statements, statementsSent: measured.sent },
          });
        }
      }

      // 2. The same page through the fitness REST shim.
      let s2: LoadResult | undefined;
      if (want(2)) {
        console.log("scenario 2: REST fitness sessions page ...");
        const response = await fetch(`${base}${restPath}`, { headers: { authorization: `Bearer ${providerToken}` } });
        const text = await response.text();
        if (response.status !== 200) {
          rows.push({
            id: "2",
            scenario: "REST GET /api/v1/sessions?per_page=50&include_client&include_trainer (fitness shim)",
            notes: "",
            skipped: `route answers HTTP ${response.status}: ${oneLine(text).slice(0, 120)}`,
          });
        } else {
          s2 = await warmedHttpLoad(
            server,
            {
              url: `${base}${restPath}`,
              method: "GET",
              headers: { authorization: `Bearer ${providerToken}` },
              expectBody: text,
            },
            options.connections,
            options.durationSeconds,
            options.warmupSeconds,
          );
          rows.push({
            id: "2",
            scenario: `REST GET /api/v1/sessions?per_page=50&include_client&include_trainer (fitness shim), ${options.connections} connections`,
            ...numbers(s2),
            statements: restMeasured.sent,
            notes: statementsNote(restMeasured),
            details: { statements: restMeasured.statements, statementsSent: restMeasured.sent },
          });
        }
      }

      // 3. The database's limit: the same data straight through postgres.js.
      let s3: LoadResult | undefined;
      if (want(3)) {
        console.log("scenario 3: the same data as raw SQL ...");
        const statements = dataStatements(gqlMeasured.captured);
        s3 = await warmedLoop(replayServerStatements(owner, statements, true), options);
        rows.push({
          id: "3",
          scenario: `raw SQL: the server's ${statements.length} statements of scenario 1, prepared, pipelined in one transaction (postgres.js, ${options.connections} clients)`,
          ...numbers(s3),
          notes: "the database's limit for this request",
        });
        const unprepared = await warmedLoop(replayServerStatements(owner, statements, false), options);
        rows.push({
          id: "3a",
          scenario:
            "raw SQL: the same statements as the server sends them (unnamed: Parse + Describe and a new plan each time), pipelined",
          ...numbers(unprepared),
          notes: `${(unprepared.requestsPerSecond / s3.requestsPerSecond).toFixed(2)} × scenario 3`,
        });
        const single = singleStatementPage(owner, {
          tenantId: data.tenantId,
          viewerId: provider.id,
          providerId: provider.id,
          from: month.from,
          to: month.to,
        });
        if ((await single()) !== pageSize)
          throw new Error("scenario 3b's statement does not return the page of scenario 1");
        const s3b = await warmedLoop(async () => void (await single()), options);
        rows.push({
          id: "3b",
          scenario: `raw SQL: the same page as one JSON statement after set_config (${options.connections} clients)`,
          ...numbers(s3b),
          notes: "what one compiled statement per request could reach",
        });
      }
      for (const [id, result] of [
        ["1", s1],
        ["2", s2],
      ] as const) {
        const row = rows.find((r) => r.id === id);
        if (row && result && s3)
          row.notes += `; ${(result.requestsPerSecond / s3.requestsPerSecond).toFixed(2)} × scenario 3`;
      }

      // 4. availableSlots, one connection: latency is the server's time per request.
      if (want(4)) {
        console.log("scenario 4: availableSlots ...");
        const seconds = Math.max(3, Math.round(options.durationSeconds / 2));
        const oneLabel = "availableSlots: 1 provider × 30 days (1 connection)";
        const oneBody = graphqlBody(AVAILABLE_SLOTS, {
          providerId: String(data.providers[1].id),
          from: slotsFrom,
          to: slotsTo30,
        });
        const expect = await fetch(`${base}/graphql`, {
          method: "POST",
          headers: authHeaders(adminToken),
          body: oneBody,
        });
        const text = await expect.text();
        if (expect.status !== 200 || text.includes('"errors":['))
          rows.push({
            id: "4a",
            scenario: oneLabel,
            notes: "",
            skipped: `query failed: ${oneLine(text).slice(0, 160)}`,
          });
        else {
          const result = await warmedHttpLoad(
            server,
            {
              url: `${base}/graphql`,
              method: "POST",
              headers: authHeaders(adminToken),
              body: oneBody,
              expectBody: text,
            },
            1,
            seconds,
            1,
          );
          rows.push({
            id: "4a",
            scenario: oneLabel,
            ...numbers(result),
            notes: `response ${(text.length / 1024).toFixed(0)} KiB`,
          });
        }
        const manyLabel = `availableSlotsByProvider: ${manyProviders.length} providers × 7 days in one request (1 connection)`;
        const manyBody = graphqlBody(SLOTS_BY_PROVIDER, {
          providerIds: manyProviders.map(String),
          from: slotsFrom,
          to: slotsTo7,
        });
        const manyExpected = await fetch(`${base}/graphql`, {
          method: "POST",
          headers: authHeaders(adminToken),
          body: manyBody,
        });
        const manyText = await manyExpected.text();
        if (manyExpected.status !== 200 || manyText.includes('"errors":['))
          rows.push({
            id: "4b",
            scenario: manyLabel,
            notes: "",
            skipped: `query failed: ${oneLine(manyText).slice(0, 160)}`,
          });
        else {
          const result = await warmedHttpLoad(
            server,
            {
              url: `${base}/graphql`,
              method: "POST",
              headers: authHeaders(adminToken),
              body: manyBody,
              expectBody: manyText,
            },
            1,
            seconds,
            1,
          );
          rows.push({
            id: "4b",
            scenario: manyLabel,
            ...numbers(result),
            notes: `response ${(manyText.length / 1024).toFixed(0)} KiB`,
          });
        }
        if (slotsService) {
          rows.push({
            id: "4c",
            scenario: `slotsForProviders service: ${manyProviders.length} providers × 7 days in one call, in-process (server time of 4b without HTTP and GraphQL)`,
            p50Ms: slotsService.p50Ms,
            p99Ms: slotsService.p99Ms,
            errors: 0,
            notes: `${slotsService.statements} SQL statements/call; 30 calls`,
          });
        }
        if (oneProviderService) {
          rows.push({
            id: "4d",
            scenario:
              "slotsForProviders service: 1 provider × 30 days, in-process (server time of 4a without HTTP and GraphQL)",
            p50Ms: oneProviderService.p50Ms,
            p99Ms: oneProviderService.p99Ms,
            errors: 0,
            notes: `${oneProviderService.statements} SQL statements/call; 30 calls`,
          });
        }
      }

      // 5. Booking contention.
      const afterData = DateTime.fromISO(d.anchor, { zone: provider.timeZone }).plus({
        months: Math.ceil(d.months / 2),
        days: 7,
      });
      const bookingDay = afterData.plus({ days: (8 - afterData.weekday) % 7 }); // the next Monday
      if (want(5)) {
        console.log("scenario 5: booking contention ...");
        const clientIds = data.clients.slice(0, options.contenders).map((c) => c.id);
        const result = await bookingContention(owner, base, adminToken, {
          providerId: provider.id,
          clientIds,
          startsAt: bookingDay.set({ hour: 10 }).toJSDate(),
          durationMinutes: 60,
        });
        const exact =
          result.successes === 1 &&
          result.conflicts === options.contenders - 1 &&
          result.others === 0 &&
          result.activeInSlot === 1;
        rows.push({
          id: "5",
          scenario: `${options.contenders} concurrent bookSession, same provider and slot (${options.contenders} clients, admin token)`,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          errors: result.others,
          notes: `${result.successes} success, ${result.conflicts} CONFLICT, ${result.others} other; ${result.activeInSlot} active session in the slot${exact ? "" : " — NOT EXACT"}${result.otherSamples.length ? `; ${result.otherSamples.join(" | ")}` : ""}`,
          details: { ...result },
        });
        targets.push({
          scenario: 5,
          description: `Scenario 5: exactly 1 success and ${options.contenders - 1} CONFLICT`,
          measured: `${result.successes} / ${result.conflicts} / ${result.others} other`,
          pass: exact,
        });
        const series = await seriesBookings(owner, base, adminToken, {
          providerId: provider.id,
          clientIds: data.clients.slice(0, 10).map((c) => c.id),
          firstStart: bookingDay.plus({ days: 1 }).set({ hour: 8 }).toJSDate(),
          statementsNow: () => serverStatements(base),
        });
        rows.push({
          id: "5s",
          scenario: `bookSeries: a weekly course of ${SERIES_OCCURRENCES} occurrences in one transaction, one request at a time (${series.bookings} courses)`,
          p50Ms: series.p50Ms,
          p99Ms: series.p99Ms,
          errors: series.failures.length,
          notes: `${series.statementsPerBooking ?? "?"} SQL statements per booking besides BEGIN/COMMIT (from /metrics)${series.failures.length ? `; ${series.failures.slice(0, 2).join(" | ")}` : ""}`,
          details: { ...series },
        });
        targets.push({
          scenario: 5,
          description: `Scenario 5s: a ${SERIES_OCCURRENCES}-occurrence series books in under 100 ms (p50)`,
          measured: `${series.p50Ms.toFixed(1)} ms`,
          pass: series.failures.length === 0 && series.p50Ms < 100,
        });
      }

      // 6. Subscription fan-out.
      if (want(6)) {
        console.log(`scenario 6: ${options.subscribers} slotsChanged subscribers ...`);
        const subject = data.providers[1];
        // Bookings in the provider's Monday hours, so that they change bookable slots.
        const [rule] = await owner<{ start: number }[]>`
          select extract(hour from min(start_time))::int as start from availability_rules where provider_id = ${subject.id} and day_of_week = 1`;
        const day = bookingDay.setZone(subject.timeZone, { keepLocalTime: true });
        const bookers = data.clients.slice(-6);
        const bookings = bookers.map((client, i) => ({
          clientId: client.id,
          startsAt: day.set({ hour: rule.start + i, minute: 0 }).toJSDate(),
          durationMinutes: 30,
          title: `${BENCH_TITLE_PREFIX}fan-out ${i}`,
        }));
        // Sockets spread over the clients round-robin (at most SOCKETS_PER_CLIENT each), or all the admin's.
        const users =
          options.subscriberRole === "CLIENT"
            ? data.clients.slice(0, Math.ceil(options.subscribers / SOCKETS_PER_CLIENT))
            : [data.admin];
        const userTokens = await Promise.all(users.map(tokenOf));
        const tokens = Array.from({ length: options.subscribers }, (_, i) => userTokens[i % userTokens.length]);
        const result = await subscriptionFanOut({
          baseUrl: base,
          subscriberTokens: tokens,
          bookerToken: adminToken,
          providerId: subject.id,
          from: day.toISODate()!,
          to: day.plus({ days: 6 }).toISODate()!,
          bookings,
          listenSql,
          serverPid: server.pid,
          rssMiB: () => server!.rssMiB(),
          collectGarbage: () => server!.collectGarbage(),
        });
        const label = `slotsChanged fan-out: ${options.subscribers.toLocaleString("en-US")} subscribers (one socket each, ${options.subscriberRole === "CLIENT" ? `${users.length.toLocaleString("en-US")} clients` : "admin"}) on one provider; booking commit → receipt`;
        if ("skipped" in result) rows.push({ id: "6", scenario: label, notes: "", skipped: result.skipped });
        else {
          profileWindow ??= { us: result.deliveryWindowUs, label: "scenario 6's deliveries" };
          rows.push({
            id: "6",
            scenario: label,
            p50Ms: result.p50Ms,
            p99Ms: result.p99Ms,
            errors: result.errors + result.missed,
            notes:
              `${result.deliveries} deliveries over ${result.measuredBookings} bookings, ${result.missed} missed; connected in ${result.connectSeconds.toFixed(1)} s; ` +
              `CPU per booking and its fan-out: server ${result.serverCpuMsPerBooking.toFixed(0)} ms, subscribers' side (bench) ${result.generatorCpuMsPerBooking.toFixed(0)} ms; ` +
              `server heap after GC ${mib(result.heapBeforeMiB)} before, ${mib(result.heapDuringMiB)} during, ${mib(result.heapAfterMiB)} after; ` +
              `RSS ${mib(result.rssBeforeMiB)} before, ${mib(result.rssDuringMiB)} peak during, ${mib(result.rssAfterMiB)} after (${result.settleSeconds.toFixed(1)} s after they left)` +
              (result.errorSamples.length ? `; ${result.errorSamples.join(" | ")}` : ""),
            details: { ...result },
          });
          const p99Target = FAN_OUT_P99_TARGETS_MS.get(options.subscribers);
          if (p99Target !== undefined)
            targets.push({
              scenario: 6,
              description: `Scenario 6: p99 under ${p99Target} ms for ${options.subscribers.toLocaleString("en-US")} subscribers, none missed`,
              measured: `${ms(result.p99Ms)} ms, ${result.missed} missed`,
              pass: result.p99Ms < p99Target && result.missed === 0,
            });
          for (const [what, before, after] of [
            ["JS heap (after a full GC)", result.heapBeforeMiB, result.heapAfterMiB],
            ["RSS", result.rssBeforeMiB, result.rssAfterMiB],
          ] as const) {
            targets.push({
              scenario: 6,
              description: `Scenario 6: server ${what} back within 10% of the start after they leave`,
              measured: `${mib(after)} vs ${mib(before)} (${signedPercent(after / before - 1)})`,
              pass: after <= before * 1.1,
            });
          }
        }
      }

      // 7. Server memory.
      if (want(7)) {
        rows.push({
          id: "7",
          scenario: "server RSS",
          notes: `at rest ${mib(rssAtRest)}; under scenario 1 peak ${mib(s1PeakRss)}`,
          details: { atRestMiB: rssAtRest, underScenario1PeakMiB: s1PeakRss },
        });
      }

      if (s1) {
        targets.push(
          {
            scenario: 1,
            description: "Scenario 1: at least 1,400 requests/s",
            measured: `${Math.round(s1.requestsPerSecond)} requests/s`,
            pass: s1.requestsPerSecond >= 1400,
          },
          {
            scenario: 1,
            description: "Scenario 1: at most 6 SQL statements per request besides BEGIN/COMMIT",
            measured: `${gqlMeasured.statements}`,
            pass: gqlMeasured.statements <= 6,
          },
        );
      }
      const r4a = rows.find((r) => r.id === "4a");
      const r4b = rows.find((r) => r.id === "4b");
      if (r4a?.p50Ms !== undefined)
        targets.push({
          scenario: 4,
          description: "Scenario 4: 1 provider × 30 days under 5 ms (p50)",
          measured: `${ms(r4a.p50Ms)} ms (p99 ${ms(r4a.p99Ms!)})`,
          pass: r4a.p50Ms < 5,
        });
      if (r4b?.p50Ms !== undefined)
        targets.push({
          scenario: 4,
          description: `Scenario 4: ${manyProviders.length} providers × 7 days under 50 ms (p50, one request)`,
          measured: `${ms(r4b.p50Ms)} ms (p99 ${ms(r4b.p99Ms!)})`,
          pass: r4b.p50Ms < 50,
        });
      // The issue's "server time": the slot service with its SQL, without HTTP, auth and GraphQL.
      const r4c = rows.find((r) => r.id === "4c");
      const r4d = rows.find((r) => r.id === "4d");
      if (r4d?.p50Ms !== undefined)
        targets.push({
          scenario: 4,
          description: "Scenario 4: 1 provider × 30 days under 5 ms of server time (p50, in-process)",
          measured: `${ms(r4d.p50Ms)} ms (p99 ${ms(r4d.p99Ms!)})`,
          pass: r4d.p50Ms < 5,
        });
      if (r4d?.p50Ms !== undefined)
        targets.push({
          scenario: 4,
          description: "Scenario 4: 1 provider × 30 days under 2 ms of server time (p50, in-process; issue 16)",
          measured: `${ms(r4d.p50Ms)} ms (p99 ${ms(r4d.p99Ms!)})`,
          pass: r4d.p50Ms < 2,
        });
      if (r4c?.p50Ms !== undefined)
        targets.push({
          scenario: 4,
          description: `Scenario 4: ${manyProviders.length} providers × 7 days under 50 ms of server time (p50, in-process, one call)`,
          measured: `${ms(r4c.p50Ms)} ms (p99 ${ms(r4c.p99Ms!)})`,
          pass: r4c.p50Ms < 50,
        });
    } finally {
      await server?.stop();
      await owner.end();
      await listenSql.end();
    }
  }

  // W. Write throughput: its own database and server processes, after the read scenarios.
  if (want("W")) {
    console.log("scenario W: write throughput (bookSession) ...");
    rows.push(
      ...(await writeThroughput({
        serverUrl: options.databaseUrl,
        redisUrl: options.redisUrl,
        connections: options.writeConnections,
        seconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        rounds: options.writeRounds,
        startServer,
      })),
    );
    for (const row of rows) {
      const ratio = row.details?.ratioToTenants;
      if (typeof ratio === "number")
        targets.push({
          scenario: 8,
          description: `Row ${row.id}: one tenant at least 0.8 × twenty tenants (issue 16)`,
          measured: `${ratio.toFixed(2)} ×`,
          pass: ratio >= 0.8,
        });
    }
  }
  // G. The last seats of a group session: its own database and server process.
  if (want("G")) {
    console.log("scenario G: 100 concurrent joins of a 20-seat group ...");
    const row = await groupSeatContention({ serverUrl: options.databaseUrl, startServer });
    rows.push(row);
    targets.push({
      scenario: 9,
      description: "Row G: 100 concurrent joins of a 20-seat group give exactly 20 seats",
      measured: row.notes,
      pass: row.details?.pass === true,
    });
  }
  machine.postgres ||= await serverVersion(options.databaseUrl);

  console.log(`\n## sessiongraph bench — ${machine.date}\n`);
  console.log(
    `${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, PostgreSQL ${machine.postgres}; server, load and database on the same machine (CPUs ${Math.round(machine.busyPercentAtStart)}% busy before the start).`,
  );
  if (loaded)
    console.log(
      `Dataset: ${d.providers} providers, ${d.clients} clients, ${d.plans} plans, ${d.sessions} sessions over ${d.months} months, ${d.details} treatment details over ${d.items} items (seed ${d.seed}).`,
    );
  console.log();
  console.log(table(rows));
  for (const [label, key] of [
    ["Scenario 1 (Q1)", "graphql"],
    ["Row 1b (Q2)", "graphqlNames"],
    ["Row 1a ({ __typename })", "graphqlTypename"],
  ] as const) {
    const report = sqlReport[key] as { statementsSent: number; sent: string[] } | undefined;
    if (!report) continue;
    console.log(`\n${label} sends ${report.statementsSent} SQL statements per request (BEGIN/COMMIT included):`);
    for (const s of report.sent) console.log(`  ${s.slice(0, 150)}${s.length > 150 ? " ..." : ""}`);
  }
  if (targets.length) {
    console.log("\nTargets:");
    targets.sort((a, b) => a.scenario - b.scenario);
    for (const t of targets) console.log(`  ${t.pass ? "PASS" : "FAIL"}  ${t.description}: ${t.measured}`);
  }

  let profile: (ProfileSummary & { file: string; windowUs?: [number, number] }) | undefined;
  if (profileDir) {
    const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) console.log(`\nno CPU profile was written in ${profileDir}`);
    else {
      profile = {
        file: join(profileDir, file),
        windowUs: profileWindow?.us,
        ...summarizeProfile(join(profileDir, file), profileWindow?.us),
      };
      console.log(
        `\nServer CPU profile ${profile.file}, ${profile.windowed ? profileWindow!.label : "whole run"}: ${Math.round(profile.busyMs)} ms busy, ${Math.round(profile.idleMs)} ms idle`,
      );
      console.log("  self time by package:");
      for (const p of profile.packages.slice(0, 15)) console.log(`    ${p.percent.toFixed(1).padStart(5)}%  ${p.name}`);
      console.log("  self time by function:");
      for (const f of profile.functions) console.log(`    ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`);
    }
  }

  if (options.json) {
    const settings = { ...options, databaseUrl: withoutPassword(options.databaseUrl), only: [...options.only] };
    writeFileSync(
      options.json,
      JSON.stringify({ machine, options: settings, load: loaded, sql: sqlReport, rows, targets, profile }, null, 2),
    );
    console.log(`\nresults written to ${options.json}`);
  }
}

/** A warm-up run (discarded), then the measured one, with the CPU it took. */
async function warmedHttpLoad(
  server: ServerProcess,
  load: Omit<HttpLoad, "connections" | "seconds">,
  connections: number,
  seconds: number,
  warmupSeconds: number,
) {
  if (warmupSeconds > 0) await httpLoad({ ...load, connections, seconds: warmupSeconds });
  return measureCpu(BENCH_DATABASE, server.pid, () => httpLoad({ ...load, connections, seconds }));
}

async function warmedLoop(fn: () => Promise<void>, options: BenchOptions) {
  if (options.warmupSeconds > 0) await closedLoop(fn, options.connections, options.warmupSeconds);
  return measureCpu(BENCH_DATABASE, undefined, () => closedLoop(fn, options.connections, options.durationSeconds));
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** The PostgreSQL server's version, for the header. */
async function serverVersion(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ version }] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
    return version;
  } finally {
    await sql.end();
  }
}

/** The server's db_statements_total from GET /metrics; undefined when it has no such endpoint. */
async function serverStatements(baseUrl: string): Promise<number | undefined> {
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  const match = response.ok ? text.match(/^db_statements_total (\d+)/m) : null;
  return match ? Number(match[1]) : undefined;
}

/** Samples the server's RSS every 250 ms; stop() returns the peak. */
function sampleRss(server: ServerProcess): { stop(): number } {
  let peak = server.rssMiB();
  const timer = setInterval(() => (peak = Math.max(peak, server.rssMiB())), 250);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, server.rssMiB());
    },
  };
}

function numbers(
  result: LoadResult & { cpu?: CpuSplit },
): Pick<BenchRow, "requestsPerSecond" | "p50Ms" | "p99Ms" | "errors" | "cpu"> {
  return {
    requestsPerSecond: result.requestsPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.errors,
    cpu: result.cpu,
  };
}

function table(rows: BenchRow[]): string {
  const lines = [
    "| # | scenario | requests/s | p50 ms | p99 ms | errors | CPU ms/request: server · db · bench | SQL/request | notes |",
    "|---|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  for (const r of rows) {
    if (r.skipped) lines.push(`| ${r.id} | ${r.scenario} | | | | | | | skipped: ${cell(r.skipped)} |`);
    else {
      const rps = r.requestsPerSecond === undefined ? "" : Math.round(r.requestsPerSecond).toLocaleString("en-US");
      const cpu = r.cpu
        ? `${r.cpu.serverMs === undefined ? "–" : r.cpu.serverMs.toFixed(2)} · ${r.cpu.databaseMs.toFixed(2)} · ${r.cpu.loadGeneratorMs.toFixed(2)}`
        : "";
      lines.push(
        `| ${r.id} | ${r.scenario} | ${rps} | ${r.p50Ms === undefined ? "" : ms(r.p50Ms)} | ${r.p99Ms === undefined ? "" : ms(r.p99Ms)} | ${r.errors ?? ""} | ${cpu} | ${r.statements ?? ""} | ${cell(r.notes)} |`,
      );
    }
  }
  return lines.join("\n");
}

/** "N SQL statements/request (M + 2 BEGIN/COMMIT)", from what was sent. */
function statementsNote(m: Measured): string {
  if (m.sent === 0) return "0 SQL statements/request: sends nothing to the database";
  const control = m.transactionControl ? ` + ${m.transactionControl} BEGIN/COMMIT` : "";
  return `${m.sent} SQL statements/request (${m.sent - m.transactionControl}${control})`;
}

const ms = (value: number) => (Number.isNaN(value) ? "n/a" : value < 10 ? value.toFixed(2) : value.toFixed(1));
const mib = (value: number) => `${Math.round(value)} MiB`;
const signedPercent = (ratio: number) => `${ratio >= 0 ? "+" : ""}${Math.round(100 * ratio)}%`;
const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, msToWait));

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
