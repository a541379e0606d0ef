import { decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TwilioVideoProvider, VideoProviderError } from "../../src/modules/video/index.js";
import { FakeTwilio } from "../helpers/fake-twilio.js";

const creds = {
  accountSid: `AC${"a1".repeat(16)}`,
  apiKeySid: `SK${"b2".repeat(16)}`,
  apiKeySecret: "test-api-key-secret-0123456789abcdef",
};
const secret = new TextEncoder().encode(creds.apiKeySecret);

async function verify(token: string) {
  // Pin the algorithm and require exp: jose accepts a token without exp otherwise.
  const { payload } = await jwtVerify(token, secret, {
    algorithms: ["HS256"],
    issuer: creds.apiKeySid,
    subject: creds.accountSid,
    requiredClaims: ["exp", "iat"],
  });
  return payload as typeof payload & { grants: { identity: string; video: { room: string } } };
}

describe("TwilioVideoProvider.issueToken", () => {
  const provider = new TwilioVideoProvider(creds);

  it("signs a video grant for the room and identity with the API key secret", async () => {
    const token = provider.issueToken({ identity: "19-sarah@example.com", roomName: "apt-47-abc", ttlSeconds: 5400 });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "HS256", cty: "twilio-fpa;v=1" });
    const payload = await verify(token);
    expect(payload.grants.video).toEqual({ room: "apt-47-abc" });
    expect(payload.grants.identity).toBe("19-sarah@example.com");
    expect(payload.exp! - payload.iat!).toBe(5400);
    expect(payload.jti).toMatch(new RegExp(`^${creds.apiKeySid}-`));
  });

  it("caps the lifetime at 24 h", async () => {
    const payload = await verify(provider.issueToken({ identity: "u", roomName: "r", ttlSeconds: 3 * 86_400 }));
    expect(payload.exp! - payload.iat!).toBe(86_400);
  });

  it("does not verify with another secret", async () => {
    const token = provider.issueToken({ identity: "u", roomName: "r", ttlSeconds: 60 });
    await expect(jwtVerify(token, new TextEncoder().encode("wrong-secret"))).rejects.toThrow();
  });

  it("rejects a non-positive ttl instead of letting twilio default it to 1 h", () => {
    expect(() => provider.issueToken({ identity: "u", roomName: "r", ttlSeconds: 0 })).toThrow(RangeError);
  });
});

describe("TwilioVideoProvider.roomStatus (real twilio client, fake Twilio server)", () => {
  let fake: FakeTwilio;
  let provider: TwilioVideoProvider;

  beforeAll(async () => {
    fake = await FakeTwilio.start();
    provider = new TwilioVideoProvider({ ...creds, httpClient: fake.httpClient({ timeout: 500 }) });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  const roomSid = `RM${"c3".repeat(16)}`;

  it("maps an in-progress room and its two participants", async () => {
    fake.setRoom("apt-47-abc", {
      sid: roomSid,
      status: "in-progress",
      duration: 1200,
      date_created: "2025-11-16T08:00:00Z",
      participants: [
        {
          sid: `PA${"01".repeat(16)}`,
          identity: "19-sarah@example.com",
          status: "connected",
          duration: 1200,
          start_time: "2025-11-16T08:00:00Z",
        },
        {
          sid: `PA${"02".repeat(16)}`,
          identity: "2-jane@example.com",
          status: "connected",
          duration: 1140,
          start_time: "2025-11-16T08:01:00Z",
        },
      ],
    });

    const snapshot = await provider.roomStatus("apt-47-abc");

    expect(snapshot).toEqual({
      roomName: "apt-47-abc",
      roomSid,
      status: "in-progress",
      durationSeconds: 1200,
      createdAt: new Date("2025-11-16T08:00:00Z"),
      participants: [
        {
          sid: `PA${"01".repeat(16)}`,
          identity: "19-sarah@example.com",
          status: "connected",
          durationSeconds: 1200,
          connectedAt: new Date("2025-11-16T08:00:00Z"),
        },
        {
          sid: `PA${"02".repeat(16)}`,
          identity: "2-jane@example.com",
          status: "connected",
          durationSeconds: 1140,
          connectedAt: new Date("2025-11-16T08:01:00Z"),
        },
      ],
    });
    expect(snapshot.createdAt).toBeInstanceOf(Date);
    expect(snapshot.participants[0].connectedAt).toBeInstanceOf(Date);
  });

  it("authenticates with Basic apiKeySid:apiKeySecret against video.twilio.com", async () => {
    fake.setRoom("apt-1", { sid: roomSid, status: "in-progress", participants: [] });
    await provider.roomStatus("apt-1");

    const basic = `Basic ${Buffer.from(`${creds.apiKeySid}:${creds.apiKeySecret}`).toString("base64")}`;
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const r of fake.requests) {
      expect(r).toMatchObject({ method: "GET", host: "video.twilio.com", authorization: basic });
    }
    expect(fake.requests.map((r) => [r.path, r.query])).toEqual([
      ["/v1/Rooms/apt-1", {}], // unique name in place of the sid
      [`/v1/Rooms/${roomSid}/Participants`, { Status: "connected" }],
      [`/v1/Rooms/${roomSid}/Participants`, { Status: "disconnected" }],
    ]);
  });

  it("includes participants who already left an in-progress room", async () => {
    fake.setRoom("apt-2", {
      sid: roomSid,
      status: "in-progress",
      participants: [
        { sid: "PA1", identity: "a", status: "connected", start_time: "2025-11-16T08:00:00Z" },
        {
          sid: "PA2",
          identity: "b",
          status: "disconnected",
          duration: 60,
          start_time: "2025-11-16T08:00:00Z",
          end_time: "2025-11-16T08:01:00Z",
        },
      ],
    });
    const snapshot = await provider.roomStatus("apt-2");
    expect(snapshot.participants.map((p) => [p.sid, p.status, p.durationSeconds])).toEqual([
      ["PA1", "connected", null],
      ["PA2", "disconnected", 60],
    ]);
  });

  it("finds a completed room (its unique name no longer addresses it) through the list filter", async () => {
    fake.setRoom("apt-3", {
      sid: roomSid,
      status: "completed",
      duration: 3600,
      date_created: "2025-11-16T08:00:00Z",
      participants: [
        { sid: "PA1", identity: "a", status: "disconnected", duration: 3600, start_time: "2025-11-16T08:00:00Z" },
      ],
    });
    const snapshot = await provider.roomStatus("apt-3");
    expect(snapshot).toMatchObject({
      roomSid,
      status: "completed",
      durationSeconds: 3600,
      participants: [{ sid: "PA1", status: "disconnected" }],
    });
    expect(fake.requests[1]).toMatchObject({ path: "/v1/Rooms", query: { UniqueName: "apt-3", Status: "completed" } });
  });

  it("reports an unknown room as not-started with no participants", async () => {
    await expect(provider.roomStatus("apt-unknown")).resolves.toEqual({
      roomName: "apt-unknown",
      roomSid: null,
      status: "not-started",
      participants: [],
      durationSeconds: null,
      createdAt: null,
    });
  });

  it("turns a Twilio 500 into VideoProviderError", async () => {
    fake.setRoom("apt-4", { sid: roomSid, status: "in-progress" });
    fake.failWith(500);
    const err = await provider.roomStatus("apt-4").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VideoProviderError);
    expect((err as Error).message).toMatch(/^Twilio video service error: .*HTTP 500/);
  });

  it("turns a timeout into VideoProviderError", async () => {
    fake.failWith("hang");
    await expect(provider.roomStatus("apt-5")).rejects.toThrow(/Twilio video service error: .*timeout/i);
  });

  it("turns an unreachable service into VideoProviderError", async () => {
    const down = await FakeTwilio.start();
    const client = down.httpClient();
    await down.close(); // nothing listens on that port any more
    const offline = new TwilioVideoProvider({ ...creds, httpClient: client });
    await expect(offline.roomStatus("apt-6")).rejects.toBeInstanceOf(VideoProviderError);
  });
});
