import { afterAll, beforeAll, describe, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { eventually } from "../helpers/ws.js";
import { at, bookedHour, CANCEL, dataOf, entriesOf, joinFor, NOW, waitlistPractice } from "./waitlist.fixture.js";

/** The processor reacts to committed events at once: its poll here is an hour away, and nobody calls it. */
describe(`refills without a poll (${engine})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ now: () => NOW, env: { WAITLIST_POLL_INTERVAL_MS: "3600000" } });
  });
  afterAll(async () => {
    await t.close();
  });

  const statusOf = async (p: Awaited<ReturnType<typeof waitlistPractice>>, id: string) =>
    (await entriesOf(t, p.tenant)).find((e) => String(e.id) === id)!.status;

  it("a join is offered a slot that is already free", async () => {
    const p = await waitlistPractice(t);
    const entry = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    await eventually(async () => (await statusOf(p, entry.id)) === "OFFERED", "the join was never offered");
  });

  it("a committed cancellation is offered", async () => {
    const p = await waitlistPractice(t);
    const booked = await bookedHour(t, p, 15);
    const entry = await joinFor(t, p, p.tokens.client, p.client.id, at(15));
    await new Promise((resolve) => setTimeout(resolve, 200));
    if ((await statusOf(p, entry.id)) !== "WAITING") throw new Error("offered a booked hour");
    dataOf(await t.gql(CANCEL, { id: String(booked.id) }, p.tokens.provider));
    await eventually(async () => (await statusOf(p, entry.id)) === "OFFERED", "the cancellation was never offered");
  });
});
