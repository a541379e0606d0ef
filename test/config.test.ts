/**
 * A careless deploy fails closed at start: a real PostgreSQL without a token key is refused
 * unless NODE_ENV says development or test; a short JWT_SECRET is refused; no secret is written
 * in the code: the embedded default makes one into DATA_DIR (0600) and keeps it; details
 * (introspection, stack traces) only where it is safe; TRUST_PROXY parsed or refused.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, JWT_SECRET_FILE, loadConfig } from "../src/config.js";

const POSTGRES = "postgres://postgres@127.0.0.1:5432/sessiongraph";
const GOOD_SECRET = "x".repeat(32);
const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "sessiongraph-config-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("JWT secret at start", () => {
  it("a real PostgreSQL without JWT_SECRET or JWT_JWKS_URL is refused unless NODE_ENV is explicitly development or test", () => {
    for (const NODE_ENV of [undefined, "", "production", "staging"]) {
      expect(
        () => loadConfig({ DATABASE_URL: POSTGRES, ...(NODE_ENV === undefined ? {} : { NODE_ENV }) }),
        `NODE_ENV=${NODE_ENV}`,
      ).toThrow(ConfigError);
    }
    expect(() => loadConfig({ DATABASE_URL: POSTGRES })).toThrow(/JWT_SECRET or JWT_JWKS_URL must be set/);
    // With a key it starts, whatever NODE_ENV says.
    expect(loadConfig({ DATABASE_URL: POSTGRES, JWT_SECRET: GOOD_SECRET }).jwt.secret).toBe(GOOD_SECRET);
    expect(
      loadConfig({ DATABASE_URL: POSTGRES, JWT_JWKS_URL: "https://idp.example/jwks.json" }).jwt.secret,
    ).toBeUndefined();
  });

  it("PostgreSQL in development/test and memory:// without a secret: a random secret for this process only", () => {
    for (const env of [
      { DATABASE_URL: POSTGRES, NODE_ENV: "development" },
      { DATABASE_URL: POSTGRES, NODE_ENV: "test" },
      { DATABASE_URL: "memory://" },
    ]) {
      const a = loadConfig(env).jwt;
      const b = loadConfig(env).jwt;
      expect(a.generatedSecret).toBe("process");
      expect(Buffer.byteLength(a.secret!)).toBeGreaterThanOrEqual(32);
      expect(a.secret).not.toBe(b.secret);
    }
  });

  it("a JWT_SECRET shorter than 32 bytes is refused with a clear message (bytes, not characters)", () => {
    for (const secret of ["short", "x".repeat(31), "é".repeat(15)]) {
      expect(() => loadConfig({ JWT_SECRET: secret, DATABASE_URL: "memory://" })).toThrow(
        /JWT_SECRET is \d+ bytes; it must be at least 32/,
      );
    }
    expect(loadConfig({ JWT_SECRET: "é".repeat(16), DATABASE_URL: "memory://" }).jwt.secret).toBe("é".repeat(16));
  });

  it("the embedded default generates a secret once into DATA_DIR with mode 0600 and reuses it on every start", () => {
    const dataDir = freshDir();
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first.jwt.generatedSecret).toBe("data-dir");
    const file = join(dataDir, JWT_SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").trim()).toBe(first.jwt.secret);
    expect(Buffer.byteLength(first.jwt.secret!)).toBeGreaterThanOrEqual(32);
    // A restart (and the CLI, which loads the same config) reads the same secret back.
    expect(loadConfig({ DATA_DIR: dataDir, NODE_ENV: "development" }).jwt.secret).toBe(first.jwt.secret);
    // Another data directory is another installation: another secret.
    expect(loadConfig({ DATA_DIR: freshDir() }).jwt.secret).not.toBe(first.jwt.secret);
    // An explicit secret or a PostgreSQL database writes no file.
    const untouched = freshDir();
    loadConfig({ DATA_DIR: untouched, JWT_SECRET: GOOD_SECRET });
    loadConfig({ DATA_DIR: untouched, DATABASE_URL: POSTGRES, NODE_ENV: "development" });
    expect(readdirSync(untouched)).toEqual([]);
  });

  it("no fixed development secret anywhere in src", () => {
    const files = (readdirSync("src", { recursive: true }) as string[]).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const text = readFileSync(join("src", file), "utf8");
      expect(text, file).not.toMatch(/DEVELOPMENT_JWT_SECRET|do-not-use-in-production|development-secret/i);
    }
  });
});

describe("details (introspection, stack traces, unmasked messages)", () => {
  const exposed = (env: Record<string, string>) => {
    const config = loadConfig({ JWT_SECRET: GOOD_SECRET, ...env });
    return { exposeDetails: config.exposeDetails, introspection: config.introspection };
  };
  it("a real database with NODE_ENV unset, or NODE_ENV=production anywhere: off", () => {
    expect(exposed({ DATABASE_URL: POSTGRES })).toEqual({ exposeDetails: false, introspection: false });
    expect(exposed({ DATABASE_URL: POSTGRES, NODE_ENV: "staging" })).toEqual({
      exposeDetails: false,
      introspection: false,
    });
    expect(exposed({ NODE_ENV: "production" })).toEqual({ exposeDetails: false, introspection: false });
  });
  it("NODE_ENV explicitly development or test, or the embedded default: on; GRAPHQL_INTROSPECTION still overrides introspection", () => {
    expect(exposed({ DATABASE_URL: POSTGRES, NODE_ENV: "development" })).toEqual({
      exposeDetails: true,
      introspection: true,
    });
    expect(exposed({ DATABASE_URL: POSTGRES, NODE_ENV: "test" })).toEqual({ exposeDetails: true, introspection: true });
    expect(exposed({ DATA_DIR: freshDir() })).toEqual({ exposeDetails: true, introspection: true });
    expect(exposed({ DATABASE_URL: "memory://" })).toEqual({ exposeDetails: true, introspection: true });
    expect(exposed({ DATABASE_URL: POSTGRES, GRAPHQL_INTROSPECTION: "true" })).toEqual({
      exposeDetails: false,
      introspection: true,
    });
  });
});

describe("TRUST_PROXY", () => {
  it("unset or 0: trust no X-Forwarded-For; a hop count; a list of addresses and CIDRs", () => {
    expect(loadConfig({ DATABASE_URL: "memory://" }).trustProxy).toBe(false);
    expect(loadConfig({ DATABASE_URL: "memory://", TRUST_PROXY: "0" }).trustProxy).toBe(false);
    expect(loadConfig({ DATABASE_URL: "memory://", TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(
      loadConfig({ DATABASE_URL: "memory://", TRUST_PROXY: "10.0.0.0/8, 127.0.0.1,::1/128,loopback" }).trustProxy,
    ).toEqual(["10.0.0.0/8", "127.0.0.1", "::1/128", "loopback"]);
  });
  it("anything else is refused at start", () => {
    for (const value of ["true", "10.0.0.0/33", "proxy.internal", "1.2.3.4/8/1", "-1"]) {
      expect(() => loadConfig({ DATABASE_URL: "memory://", TRUST_PROXY: value }), value).toThrow(
        /TRUST_PROXY must be a hop count/,
      );
    }
  });
});
