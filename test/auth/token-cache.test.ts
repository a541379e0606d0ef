import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenVerifier } from "../../src/modules/tenants/jwt.js";
import { TEST_JWT_SECRET } from "../helpers/app.js";

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);
const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const jwtConfig = (clockToleranceSeconds: number) => ({ secret: TEST_JWT_SECRET, clockToleranceSeconds });

/** A token signed now (the faked clock), valid for ttlSeconds. */
const sign = (sub: string, ttlSeconds: number, key = secret) =>
  new SignJWT({ tenant: "T" })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key);

const at = (ms: number) => vi.setSystemTime(T0 + ms);

afterEach(() => {
  vi.useRealTimers();
});

// The verifier is the module that reads the clock (Date); only Date is faked, so the cache's own
// TTL (performance.now) does not run out: the check against exp is what refuses an expired token.
describe("verified tokens are cached until they expire", () => {
  it("a cached token is refused at its exp, to the second (no clock tolerance)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    at(0);
    const verifier = new TokenVerifier(jwtConfig(0));
    const token = await sign("7", 60);
    expect(await verifier.verify(token)).toMatchObject({ sub: "7", tenant: "T" });
    expect(verifier.cachedTokens).toBe(1);
    at(59_000);
    expect((await verifier.verify(token)).sub).toBe("7");
    at(60_000);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: "UNAUTHENTICATED", message: /expired/ });
  });

  it("past exp, the clock tolerance is granted as jose grants it (by verifying again), and not beyond", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    at(0);
    const verifier = new TokenVerifier(jwtConfig(30));
    const token = await sign("7", 60);
    await verifier.verify(token);
    at(89_000);
    expect((await verifier.verify(token)).sub).toBe("7");
    at(90_000);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: "UNAUTHENTICATED", message: /expired/ });
  });

  it("another token is verified on its own: a forged signature is refused after a good token was cached", async () => {
    const verifier = new TokenVerifier(jwtConfig(0));
    const good = await sign("7", 600);
    const other = await sign("8", 600);
    const forged = await sign("7", 600, new TextEncoder().encode("another-secret-of-enough-length-0123456789"));
    expect((await verifier.verify(good)).sub).toBe("7");
    expect((await verifier.verify(other)).sub).toBe("8");
    // Same claims as the cached token, another signature.
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: "UNAUTHENTICATED", message: /signature/ });
    // A refusal is not kept: refused again, and the cache holds only the two good tokens.
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect(verifier.cachedTokens).toBe(2);
  });

  it("the cache is bounded: the least recently used token goes, and is verified afresh when it comes back", async () => {
    const verifier = new TokenVerifier(jwtConfig(0), 3);
    const tokens = await Promise.all(["1", "2", "3", "4", "5"].map((sub) => sign(sub, 600)));
    for (const token of tokens) await verifier.verify(token);
    expect(verifier.cachedTokens).toBe(3);
    expect((await verifier.verify(tokens[0])).sub).toBe("1");
    expect(verifier.cachedTokens).toBe(3);
  });
});
