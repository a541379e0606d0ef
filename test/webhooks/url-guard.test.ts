import { describe, expect, it } from "vitest";
import { isPublicAddress, UrlRefused, vetUrl } from "../../src/modules/webhooks/index.js";

describe("webhook URLs: only https to public addresses (SSRF)", () => {
  it.each([
    "127.0.0.1",
    "127.255.0.9",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:a9fe:a9fe",
    "64:ff9b::a00:1",
    "2002:a00:1::",
  ])("%s is not public", (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111"])("%s is public", (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    ["https://127.0.0.1/hook", /127\.0\.0\.1.*not a public address/],
    ["https://10.0.0.7/hook", /10\.0\.0\.7/],
    ["https://169.254.169.254/latest/meta-data", /169\.254\.169\.254/],
    ["https://[::1]/hook", /::1/],
    ["https://[::ffff:192.168.0.1]/hook", /not a public address/],
    ["https://localhost/hook", /not a public address/],
    ["http://8.8.8.8/hook", /must use https/],
    ["https://user:pw@8.8.8.8/hook", /user name or password/],
    ["ftp://8.8.8.8/hook", /must use https/],
    ["not a url", /not a URL/],
    [`https://8.8.8.8/${"a".repeat(2100)}`, /longer than 2048/],
  ])("%s is refused", async (url, why) => {
    const refused = await vetUrl(url, false).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UrlRefused);
    expect((refused as Error).message).toMatch(why);
  });

  it("a public address literal passes, pinned to that address", async () => {
    await expect(vetUrl("https://8.8.8.8/hook", false)).resolves.toMatchObject({ address: "8.8.8.8", family: 4 });
  });

  it("WEBHOOK_ALLOW_PRIVATE_URLS lifts the address rule and allows http, but a URL must still be one", async () => {
    await expect(vetUrl("http://127.0.0.1:9/hook", true)).resolves.toMatchObject({ address: "127.0.0.1" });
    await expect(vetUrl("http://user:pw@127.0.0.1/hook", true)).rejects.toThrow(/user name or password/);
    await expect(vetUrl("file:///etc/passwd", true)).rejects.toThrow(/http or https/);
  });
});
