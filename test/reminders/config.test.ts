import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const BASE = { DATABASE_URL: "memory://" };
const TWILIO = { TWILIO_ACCOUNT_SID: "AC1", TWILIO_API_KEY_SID: "SK1", TWILIO_API_KEY_SECRET: "s" };

describe("reminder channels' configuration", () => {
  it("unset: both channels off, nothing refused", () => {
    const config = loadConfig(BASE);
    expect(config.email).toBeUndefined();
    expect(config.smsFrom).toBeUndefined();
  });

  it("SMTP_URL with EMAIL_FROM: email on", () => {
    const config = loadConfig({
      ...BASE,
      SMTP_URL: "smtp://user:pass@mail.example.com:587",
      EMAIL_FROM: "Practice <r@example.com>",
    });
    expect(config.email).toEqual({
      smtpUrl: "smtp://user:pass@mail.example.com:587",
      from: "Practice <r@example.com>",
    });
    expect(loadConfig({ ...BASE, SMTP_URL: "smtps://mail.example.com", EMAIL_FROM: "r@example.com" }).email?.from).toBe(
      "r@example.com",
    );
  });

  it("a half or malformed email configuration is refused at start, without echoing a password", () => {
    for (const env of [
      { SMTP_URL: "smtp://mail.example.com" },
      { EMAIL_FROM: "r@example.com" },
      { SMTP_URL: "http://user:hunter2@mail.example.com", EMAIL_FROM: "r@example.com" },
      { SMTP_URL: "not a url hunter2", EMAIL_FROM: "r@example.com" },
      { SMTP_URL: "smtp://mail.example.com", EMAIL_FROM: "nobody" },
    ]) {
      expect(() => loadConfig({ ...BASE, ...env }), JSON.stringify(env)).toThrow(ConfigError);
      try {
        loadConfig({ ...BASE, ...env });
      } catch (err) {
        expect((err as Error).message).not.toContain("hunter2");
      }
    }
  });

  it("TWILIO_MESSAGING_FROM needs the Twilio credentials", () => {
    expect(() => loadConfig({ ...BASE, TWILIO_MESSAGING_FROM: "+15550001111" })).toThrow(/TWILIO_ACCOUNT_SID/);
    expect(loadConfig({ ...BASE, ...TWILIO, TWILIO_MESSAGING_FROM: "+15550001111" }).smsFrom).toBe("+15550001111");
  });
});
