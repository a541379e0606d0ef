import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { TokenVerifier } from "../src/modules/tenants/jwt.js";
import { JWT_SECRET_FILE, loadConfig } from "../src/config.js";

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), "sessiongraph-cli-"));
const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", NODE_ENV: "development" };
const cli = (...args: string[]) => run("npx", ["tsx", "src/cli.ts", ...args], { env, cwd: process.cwd() });
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("CLI on the embedded database", () => {
  it("tenant:create prints the tenant, its admin and a working token; token (a second run) prints another signed with the same DATA_DIR secret", async () => {
    const { stdout } = await cli(
      "tenant:create",
      "--code",
      "ACME",
      "--name",
      "Acme Therapy",
      "--time-zone",
      "America/New_York",
    );
    const out = JSON.parse(stdout) as {
      tenant: { code: string; timeZone: string };
      admin: { id: number; role: string };
      token: string;
    };
    expect(out.tenant).toMatchObject({ code: "ACME", timeZone: "America/New_York" });
    expect(out.admin.role).toBe("ADMIN");
    // The secret the CLI generated into the data directory, readable by the owner only.
    expect(statSync(join(dataDir, JWT_SECRET_FILE)).mode & 0o777).toBe(0o600);
    const verifier = new TokenVerifier(loadConfig({ NODE_ENV: "development", DATA_DIR: dataDir }).jwt);
    expect(await verifier.verify(out.token)).toEqual({
      sub: String(out.admin.id),
      tenant: "ACME",
      exp: expect.any(Number),
    });

    const token = (await cli("token", "--tenant", "ACME", "--user", "admin", "--ttl", "2h")).stdout.trim();
    expect(await verifier.verify(token)).toEqual({
      sub: String(out.admin.id),
      tenant: "ACME",
      exp: expect.any(Number),
    });
  }, 60_000);

  it("refuses bad input with a message on stderr and a non-zero exit", async () => {
    await expect(cli("tenant:create", "--code", "ACME", "--name", "Again")).rejects.toMatchObject({
      stderr: expect.stringContaining("already exists"),
      stdout: "",
    });
    await expect(cli("tenant:create", "--code", "ZZ", "--name", "Z", "--time-zone", "Mars/Base")).rejects.toMatchObject(
      { stderr: expect.stringContaining("IANA time zone") },
    );
    await expect(cli("token", "--tenant", "NOPE", "--user", "admin")).rejects.toMatchObject({
      stderr: expect.stringContaining("Unknown tenant"),
    });
  }, 60_000);

  it("refuses to open the embedded database while another process holds it", async () => {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dataDir, "sessiongraph.lock"), `${process.pid}\nthe sessiongraph server\n`);
    await expect(cli("seed")).rejects.toMatchObject({
      stderr: expect.stringContaining("is in use by the sessiongraph server"),
    });
    rmSync(join(dataDir, "sessiongraph.lock"));
    const seeded = JSON.parse((await cli("seed")).stdout) as { tenant: { code: string } };
    expect(seeded.tenant.code).toBe("DEMO");
  }, 90_000);
});
