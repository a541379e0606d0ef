import ICAL from "ical.js";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reminders, users, type UserRow } from "../../src/db/schema/index.js";
import { createReminderTransports, ReminderSender, type ReminderJob } from "../../src/modules/reminders/index.js";
import { TwilioSmsSender } from "../../src/modules/video/index.js";
import { startSecondInstance, startTestApp, type TestApp } from "../helpers/app.js";
import { engine } from "../helpers/db.js";
import { eventually } from "../helpers/ws.js";
import { asTenant, makePractice } from "../helpers/factories.js";
import { FakeTwilio } from "../helpers/fake-twilio.js";
import { mimeParts, TestSmtpServer } from "./smtp.fixture.js";

const MINUTE = 60_000;
/** A whole minute this far ahead of the real clock (the database decides what is still ahead with its own). */
const ahead = (minutes: number) => new Date(Math.ceil(Date.now() / MINUTE) * MINUTE + minutes * MINUTE);

const BOOK = `mutation($input: BookSessionInput!) { bookSession(input: $input) { id reminders { channel dueAt status sentAt } } }`;
const RESCHEDULE = `mutation($id: ID!, $startsAt: DateTime!) { rescheduleSession(id: $id, startsAt: $startsAt) { id reminders { channel dueAt status } } }`;
const CANCEL = `mutation($id: ID!) { cancelSession(id: $id, reason: "Client has a migraine") { id reminders { channel dueAt status } } }`;
const REMINDERS = `query($id: ID!) { session(id: $id) { reminders { channel dueAt status sentAt } } }`;
const SETTINGS = `mutation($o: [Int!]!, $c: [ReminderChannel!]!) { updateReminderSettings(offsetsMinutes: $o, channels: $c) { offsetsMinutes channels } }`;

type Reminder = { channel: string; dueAt: string; status: string; sentAt?: string | null };

describe(`reminders (${engine})`, () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let twilio: FakeTwilio;
  let sender: ReminderSender;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    twilio = await FakeTwilio.start();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, EMAIL_FROM: "Practice <reminders@practice.test>" } });
    const sms = new TwilioSmsSender(
      {
        accountSid: `AC${"1".repeat(32)}`,
        apiKeySid: `SK${"1".repeat(32)}`,
        apiKeySecret: "secret",
        httpClient: twilio.httpClient(),
      },
      "+15550001111",
    );
    sender = new ReminderSender(t.app.deps, createReminderTransports(t.config, sms));
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
    await twilio.close();
  });

  async function practice(options: { offsets?: number[]; channels?: string[]; client?: Partial<UserRow> } = {}) {
    const p = await makePractice(t.database);
    await asTenant(t.database, p.tenant.id, (tx) =>
      tx
        .update(users)
        .set({ timeZone: "Europe/Berlin", phone: "+4915112345678", ...options.client })
        .where(eq(users.id, p.client.id)),
    );
    const admin = await t.token(p.admin, p.tenant);
    const saved = await t.gql(
      SETTINGS,
      { o: options.offsets ?? [60, 90], c: options.channels ?? ["EMAIL", "SMS"] },
      admin,
    );
    expect(saved.errors).toBeUndefined();
    return { ...p, admin };
  }

  async function book(p: Awaited<ReturnType<typeof practice>>, startsAt: Date, extra: Record<string, unknown> = {}) {
    const result = await t.gql<{ bookSession: { id: string; reminders: Reminder[] } }>(
      BOOK,
      {
        input: {
          providerId: String(p.provider.id),
          clientId: String(p.client.id),
          startsAt: startsAt.toISOString(),
          durationMinutes: 50,
          modality: "IN_PERSON",
          location: "Room 4, Main Street 1",
          title: "Trauma therapy",
          description: "Exposure work on the accident",
          notes: "Panic attacks since March",
          ...extra,
        },
      },
      p.admin,
    );
    expect(result.errors).toBeUndefined();
    return result.data!.bookSession;
  }

  const rowsOf = (sessionId: string) =>
    t.database.db
      .select()
      .from(reminders)
      .where(eq(reminders.sessionId, Number(sessionId)));
  const jobOf = async (sessionId: string, channel: "EMAIL" | "SMS", offset: number): Promise<ReminderJob> => {
    const row = (await rowsOf(sessionId)).find((r) => r.channel === channel && r.offsetMinutes === offset)!;
    return { reminderId: row.id, dueAt: row.dueAt.toISOString() };
  };
  const dueAt = (start: Date, offset: number) => new Date(start.getTime() - offset * MINUTE).toISOString();

  it("a booking has one PENDING reminder per offset and channel at once, due at start minus offset", async () => {
    const p = await practice();
    const start = ahead(180);
    const session = await book(p, start);
    expect(session.reminders.map((r) => `${r.channel} ${r.dueAt} ${r.status}`).sort()).toEqual(
      [
        `EMAIL ${dueAt(start, 90)} PENDING`,
        `SMS ${dueAt(start, 90)} PENDING`,
        `EMAIL ${dueAt(start, 60)} PENDING`,
        `SMS ${dueAt(start, 60)} PENDING`,
      ].sort(),
    );
  });

  it("a reminder whose due time has passed at booking is never made; a client without a phone gets no SMS", async () => {
    const p = await practice({ client: { phone: null } });
    const start = ahead(75); // the 90-minute reminder would be due 15 minutes ago
    const session = await book(p, start);
    expect(session.reminders).toEqual([{ channel: "EMAIL", dueAt: dueAt(start, 60), status: "PENDING", sentAt: null }]);
  });

  it("a reschedule re-times them, a stale job sends nothing, the new one sends the email with the client's local time and an .ics", async () => {
    const p = await practice({ offsets: [60] });
    const start = ahead(180);
    const session = await book(p, start);
    const oldJob = await jobOf(session.id, "EMAIL", 60);

    const moved = ahead(24 * 60 + 120);
    const rescheduled = await t.gql(RESCHEDULE, { id: session.id, startsAt: moved.toISOString() }, p.admin);
    expect(rescheduled.errors).toBeUndefined();
    expect(rescheduled.data!.rescheduleSession.reminders).toEqual([
      { channel: "EMAIL", dueAt: dueAt(moved, 60), status: "PENDING" },
      { channel: "SMS", dueAt: dueAt(moved, 60), status: "PENDING" },
    ]);

    smtp.received.length = 0;
    expect(await sender.send(oldJob)).toBe("stale");
    expect(smtp.received).toHaveLength(0);

    expect(await sender.send(await jobOf(session.id, "EMAIL", 60))).toBe("sent");
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0];
    expect(mail.to).toEqual([p.client.email]);
    expect(mail.from).toBe("reminders@practice.test");
    const parts = mimeParts(mail.raw);
    const text = parts.find((x) => x.contentType === "text/plain")!.body;
    const html = parts.find((x) => x.contentType === "text/html")!.body;
    const ics = parts.find((x) => x.filename === "session.ics")!.body;
    // The time as the client lives it (Europe/Berlin), the provider, how and where.
    const berlin = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/Berlin",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(moved);
    for (const body of [text, html]) {
      expect(body).toContain(berlin);
      expect(body).toContain("Europe/Berlin");
      expect(body).toContain(p.provider.name);
      expect(body).toContain("in person");
      expect(body).toContain("Room 4, Main Street 1");
    }
    expect(html).toMatch(/^<!doctype html>/);
    // No clinical text anywhere in the message.
    for (const secret of ["Trauma", "Exposure", "Panic", "migraine"]) expect(mail.raw).not.toContain(secret);

    const calendar = new ICAL.Component(ICAL.parse(ics));
    expect(calendar.getFirstPropertyValue("method")).toBe("PUBLISH");
    const event = new ICAL.Event(calendar.getFirstSubcomponent("vevent")!);
    expect(event.uid).toBe(`session-${session.id}@sessiongraph`);
    expect(event.startDate.toJSDate().toISOString()).toBe(moved.toISOString());
    expect(event.location).toBe("Room 4, Main Street 1");

    const after = await t.gql<{ session: { reminders: Reminder[] } }>(REMINDERS, { id: session.id }, p.admin);
    const email = after.data!.session.reminders.find((r) => r.channel === "EMAIL")!;
    expect(email.status).toBe("SENT");
    expect(email.sentAt).not.toBeNull();
    // Sent once: the same job again claims nothing.
    expect(await sender.send(await jobOf(session.id, "EMAIL", 60))).toBe("stale");
    expect(smtp.received).toHaveLength(1);
  });

  it("a cancellation cancels what was not sent, and its jobs send nothing", async () => {
    const p = await practice({ offsets: [60] });
    const session = await book(p, ahead(180));
    const job = await jobOf(session.id, "EMAIL", 60);
    const cancelled = await t.gql(CANCEL, { id: session.id }, p.admin);
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data!.cancelSession.reminders.map((r: Reminder) => r.status)).toEqual(["CANCELLED", "CANCELLED"]);
    smtp.received.length = 0;
    expect(await sender.send(job)).toBe("stale");
    expect(smtp.received).toHaveLength(0);
  });

  it("a reminder SENT for the old time is due again after a reschedule; a no-show and a completion cancel the rest", async () => {
    const p = await practice({ offsets: [60, 120], channels: ["EMAIL"] });
    const start = ahead(180);
    const session = await book(p, start);
    expect(await sender.send(await jobOf(session.id, "EMAIL", 120))).toBe("sent");
    const moved = ahead(300);
    const rescheduled = await t.gql(RESCHEDULE, { id: session.id, startsAt: moved.toISOString() }, p.admin);
    expect(rescheduled.data!.rescheduleSession.reminders).toEqual([
      { channel: "EMAIL", dueAt: dueAt(moved, 120), status: "PENDING" },
      { channel: "EMAIL", dueAt: dueAt(moved, 60), status: "PENDING" },
    ]);

    const other = await book(p, ahead(400));
    const noShow = await t.gql(
      `mutation($id: ID!) { markNoShow(id: $id) { reminders { status } } }`,
      { id: other.id },
      p.admin,
    );
    expect(noShow.errors).toBeUndefined();
    expect(noShow.data!.markNoShow.reminders).toEqual([{ status: "CANCELLED" }, { status: "CANCELLED" }]);
    const done = await t.gql(
      `mutation($id: ID!) { completeSession(id: $id) { reminders { status } } }`,
      { id: session.id },
      p.admin,
    );
    expect(done.errors).toBeUndefined();
    expect(done.data!.completeSession.reminders).toEqual([{ status: "CANCELLED" }, { status: "CANCELLED" }]);
  });

  it("a group seat has its own reminders; leaving the group cancels them", async () => {
    const p = await practice({ offsets: [60], channels: ["EMAIL"] });
    const group = await t.gql(
      `mutation($input: CreateGroupSessionInput!) { createGroupSession(input: $input) { id } }`,
      {
        input: {
          providerId: String(p.provider.id),
          startsAt: ahead(240).toISOString(),
          durationMinutes: 60,
          capacity: 4,
        },
      },
      p.admin,
    );
    expect(group.errors).toBeUndefined();
    const groupId = group.data!.createGroupSession.id;
    const seat = await t.gql(
      `mutation($id: ID!, $c: ID) { joinGroupSession(id: $id, clientId: $c) { reminders { channel status } } }`,
      { id: groupId, c: String(p.client.id) },
      p.admin,
    );
    expect(seat.errors).toBeUndefined();
    expect(seat.data!.joinGroupSession.reminders).toEqual([{ channel: "EMAIL", status: "PENDING" }]);
    const left = await t.gql(
      `mutation($id: ID!, $c: ID) { leaveGroupSession(id: $id, clientId: $c) { attendees { reminders { status } } } }`,
      { id: groupId, c: String(p.client.id) },
      p.admin,
    );
    expect(left.errors).toBeUndefined();
    const rows = await t.database.db.select().from(reminders).where(eq(reminders.tenantId, p.tenant.id));
    expect(rows.map((r) => r.status)).toEqual(["CANCELLED"]);
  });

  it("an SMS goes through Twilio Messaging to the client's phone: one short line", async () => {
    const p = await practice({ offsets: [60], channels: ["SMS"] });
    const session = await book(p, ahead(180), { modality: "VIDEO", location: null });
    twilio.reset();
    expect(await sender.send(await jobOf(session.id, "SMS", 60))).toBe("sent");
    expect(twilio.messages).toHaveLength(1);
    const [sms] = twilio.messages;
    expect(sms.to).toBe("+4915112345678");
    expect(sms.from).toBe("+15550001111");
    expect(sms.body).toContain(p.provider.name);
    expect(sms.body).toContain("by video");
    expect(sms.body).not.toContain("\n");
    expect(sms.body.length).toBeLessThan(160);
    expect(sms.body).not.toMatch(/Trauma|Exposure|Panic/);
  });

  it("a failing SMTP server: FAILED with the reason, the job throws to be retried, and the retry sends", async () => {
    const p = await practice({ offsets: [60], channels: ["EMAIL"] });
    const session = await book(p, ahead(180));
    const job = await jobOf(session.id, "EMAIL", 60);
    smtp.failWith(451);
    try {
      await expect(sender.send(job)).rejects.toThrow(/SMTP 451/);
    } finally {
      smtp.failWith(null);
    }
    const [failed] = await rowsOf(session.id);
    expect(failed).toMatchObject({ status: "FAILED", attempts: 1, claimedUntil: null });
    expect(failed.lastError).toMatch(/SMTP 451/);
    expect(failed.lastError).not.toContain(p.client.email!);
    smtp.received.length = 0;
    expect(await sender.send(job)).toBe("sent");
    expect(smtp.received).toHaveLength(1);
    expect((await rowsOf(session.id))[0]).toMatchObject({ status: "SENT", attempts: 2, lastError: null });
  });

  it("a series has reminders per occurrence; changing the settings re-derives upcoming sessions' reminders at once", async () => {
    const p = await practice({ offsets: [60], channels: ["EMAIL"] });
    const start = ahead(180);
    const series = await t.gql<{ bookSeries: { sessions: { id: string; reminders: Reminder[] }[] } }>(
      `mutation($input: BookSeriesInput!) { bookSeries(input: $input) { sessions { id reminders { channel dueAt status } } } }`,
      {
        input: {
          providerId: String(p.provider.id),
          clientId: String(p.client.id),
          startsAt: start.toISOString(),
          durationMinutes: 50,
          recurrence: "FREQ=DAILY;COUNT=3",
        },
      },
      p.admin,
    );
    expect(series.errors).toBeUndefined();
    const occurrences = series.data!.bookSeries.sessions;
    expect(occurrences.map((s) => s.reminders.map((r) => r.status))).toEqual([["PENDING"], ["PENDING"], ["PENDING"]]);

    const saved = await t.gql(SETTINGS, { o: [30, 120], c: ["SMS"] }, p.admin);
    expect(saved.data!.updateReminderSettings).toEqual({ offsetsMinutes: [30, 120], channels: ["SMS"] });
    const first = await t.gql<{ session: { reminders: Reminder[] } }>(REMINDERS, { id: occurrences[0].id }, p.admin);
    expect(first.data!.session.reminders.map((r) => `${r.channel} ${r.dueAt} ${r.status}`)).toEqual([
      `SMS ${dueAt(start, 120)} PENDING`,
      `EMAIL ${dueAt(start, 60)} CANCELLED`,
      `SMS ${dueAt(start, 30)} PENDING`,
    ]);
  });

  it("Session.reminders of a page of sessions is one statement, and a client sees their own session's reminders", async () => {
    const p = await practice({ offsets: [60], channels: ["EMAIL"] });
    for (const hours of [3, 4, 5]) await book(p, ahead(hours * 60));
    const client = await t.token(p.client, p.tenant);
    const before = t.database.statementTexts;
    const texts: string[] = [];
    t.database.statementTexts = texts;
    try {
      const page = await t.gql(`{ sessions(first: 10) { nodes { id reminders { channel status } } } }`, {}, client);
      expect(page.errors).toBeUndefined();
      expect(page.data!.sessions.nodes).toHaveLength(3);
      for (const node of page.data!.sessions.nodes)
        expect(node.reminders).toEqual([{ channel: "EMAIL", status: "PENDING" }]);
    } finally {
      t.database.statementTexts = before;
    }
    // The loader's statement (ordered by due time); the engine's events consumer may read reminders meanwhile.
    expect(texts.filter((s) => /from "reminders".*order by "reminders"."due_at"/s.test(s))).toHaveLength(1);
  });

  it("settings: ADMIN only; bad offsets and channels are VALIDATION with fieldErrors and change nothing", async () => {
    const p = await practice({ offsets: [1440, 60], channels: ["EMAIL"] });
    const provider = await t.token(p.provider, p.tenant);
    const refused = await t.gql(SETTINGS, { o: [60], c: [] }, provider);
    expect(refused.errors![0].extensions.code).toBe("FORBIDDEN");
    for (const [offsets, channels, fieldName] of [
      [[4], ["EMAIL"], "offsetsMinutes"],
      [[20161], ["EMAIL"], "offsetsMinutes"],
      [[5, 10, 15, 20, 25, 30], ["EMAIL"], "offsetsMinutes"],
      [[60, 60], ["EMAIL"], "offsetsMinutes"],
      [[60], ["EMAIL", "EMAIL"], "channels"],
    ] as const) {
      const bad = await t.gql(SETTINGS, { o: offsets, c: channels }, p.admin);
      expect(bad.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "VALIDATION" });
      expect(Object.keys(bad.errors![0].extensions.fieldErrors)).toEqual([fieldName]);
    }
    const read = await t.gql(`{ reminderSettings { offsetsMinutes channels } }`, {}, p.admin);
    expect(read.data!.reminderSettings).toEqual({ offsetsMinutes: [1440, 60], channels: ["EMAIL"] });
    // Empty channels: reminders off; the bounds themselves are allowed.
    const off = await t.gql(SETTINGS, { o: [5, 20160], c: [] }, p.admin);
    expect(off.data!.updateReminderSettings).toEqual({ offsetsMinutes: [5, 20160], channels: [] });
  });

  it("on the job engine: sent within 30 s of its due time; a failing SMTP server's attempt is FAILED and the engine retries it", async () => {
    const p = await practice({ offsets: [5], channels: ["EMAIL"] });
    // Due a few seconds from now: the booking's event queues the job, the engine runs it when due.
    const start = new Date(Date.now() + 5 * MINUTE + 5_000);
    const session = await book(p, start);
    const due = start.getTime() - 5 * MINUTE;
    const mine = () => smtp.received.filter((m) => m.to.includes(p.client.email!));
    smtp.failWith(451, 1);
    await eventually(
      async () => (await rowsOf(session.id))[0].status === "FAILED",
      "the reminder was not attempted within 30 s of its due time",
      due + 30_000 - Date.now(),
    );
    const [failed] = await rowsOf(session.id);
    expect(failed.lastError).toMatch(/SMTP 451/);
    expect(mine()).toHaveLength(0);
    // Retried with backoff (10 s and up) by the same worker, which went on working.
    await eventually(() => mine().length === 1, "the engine never retried the reminder", 60_000);
    await eventually(async () => (await rowsOf(session.id))[0].status === "SENT", "not recorded as SENT");
    expect((await rowsOf(session.id))[0]).toMatchObject({ attempts: 2, lastError: null });
  }, 120_000);

  it("/readyz says which channels are on", async () => {
    const ready = (await (await fetch(`${t.url}/readyz`)).json()) as { reminders: { sms: string } };
    expect(ready).toMatchObject({ status: "ready", reminders: { email: "on" } });
    expect(ready.reminders.sms).toMatch(/^off/);
  });
});

describe.runIf(engine === "postgres")("two instances send a reminder once (postgres)", () => {
  let first: TestApp;
  let second: TestApp;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    const env = { SMTP_URL: smtp.url, EMAIL_FROM: "reminders@practice.test" };
    first = await startTestApp({ env });
    second = await startSecondInstance(first, { env });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
    await smtp.close();
  });

  it("both instances' engines running: a due reminder is sent once", async () => {
    const p = await makePractice(first.database);
    const admin = await first.token(p.admin, p.tenant);
    expect((await first.gql(SETTINGS, { o: [5], c: ["EMAIL"] }, admin)).errors).toBeUndefined();
    const start = new Date(Date.now() + 5 * MINUTE + 3_000);
    const booked = await second.gql(
      BOOK,
      {
        input: {
          providerId: String(p.provider.id),
          clientId: String(p.client.id),
          startsAt: start.toISOString(),
          durationMinutes: 50,
        },
      },
      admin,
    );
    const sessionId = Number(booked.data!.bookSession.id);
    const mine = () => smtp.received.filter((m) => m.to.includes(p.client.email!));
    await eventually(() => mine().length > 0, "never sent", start.getTime() - 5 * MINUTE + 30_000 - Date.now());
    // Both engines keep polling a while longer: still one.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(mine()).toHaveLength(1);
    const rows = await first.database.db.select().from(reminders).where(eq(reminders.sessionId, sessionId));
    expect(rows).toMatchObject([{ status: "SENT", attempts: 1 }]);
  }, 60_000);

  it("ten jobs for one reminder raced over two instances' pools: one email, SENT, one attempt", async () => {
    const p = await makePractice(first.database);
    const admin = await first.token(p.admin, p.tenant);
    expect((await first.gql(SETTINGS, { o: [60], c: ["EMAIL"] }, admin)).errors).toBeUndefined();
    const booked = await first.gql(
      BOOK,
      {
        input: {
          providerId: String(p.provider.id),
          clientId: String(p.client.id),
          startsAt: ahead(180).toISOString(),
          durationMinutes: 50,
        },
      },
      admin,
    );
    const [row] = await first.database.db
      .select()
      .from(reminders)
      .where(eq(reminders.sessionId, Number(booked.data!.bookSession.id)));
    const job = { reminderId: row.id, dueAt: row.dueAt.toISOString() };
    const senders = [first, second].map((i) => new ReminderSender(i.app.deps, createReminderTransports(i.config)));
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => senders[i % 2].send(job)));
    expect(outcomes.filter((o) => o === "sent")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "stale")).toHaveLength(9);
    expect(smtp.received.filter((m) => m.to.includes(p.client.email!))).toHaveLength(1);
    const [after] = await first.database.db.select().from(reminders).where(eq(reminders.id, row.id));
    expect(after).toMatchObject({ status: "SENT", attempts: 1 });
  });
});
