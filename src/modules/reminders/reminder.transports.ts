import nodemailer, { type Transporter } from "nodemailer";
import type { Config } from "../../config.js";
import type { ReminderChannel } from "../../db/schema/index.js";
import { TwilioSmsSender, type SmsSender } from "../video/index.js";
import { reminderEmail, reminderSms, type ReminderFacts } from "./reminder.message.js";

/** Where a reminder goes: the client's email address or phone number. */
export interface ReminderTransport {
  send(to: string, facts: ReminderFacts): Promise<void>;
  /** Closes its pooled connections, if any. */
  close?(): void;
}

/** The channels this instance can send on; a missing one is off (SMTP or Twilio Messaging not configured). */
export type ReminderTransports = Partial<Record<ReminderChannel, ReminderTransport>>;

/** A transport that does not answer within this long has failed (the reminder is retried). */
const TIMEOUT_MS = 10_000;

/** Email over SMTP (nodemailer): plain text and HTML, with the session as an .ics invitation. */
export class SmtpTransport implements ReminderTransport {
  private readonly mailer: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.mailer = nodemailer.createTransport({
      url: smtpUrl,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
  }

  async send(to: string, facts: ReminderFacts): Promise<void> {
    const email = reminderEmail(facts);
    try {
      await this.mailer.sendMail({
        from: this.from,
        to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        attachments: [
          { filename: "session.ics", content: email.ics, contentType: "text/calendar; charset=utf-8; method=PUBLISH" },
        ],
      });
    } catch (err) {
      // The server's reply can quote the address: only nodemailer's code and the SMTP status leave here.
      const { code, responseCode } = (err ?? {}) as { code?: unknown; responseCode?: unknown };
      const tags = [
        typeof code === "string" ? code : null,
        typeof responseCode === "number" ? `SMTP ${responseCode}` : null,
      ];
      throw new Error(`Email failed: ${tags.filter(Boolean).join(", ") || "no answer"}`, { cause: err });
    }
  }

  close(): void {
    this.mailer.close();
  }
}

/** SMS through Twilio Messaging: one short line. */
export class SmsTransport implements ReminderTransport {
  constructor(private readonly sms: SmsSender) {}

  send(to: string, facts: ReminderFacts): Promise<void> {
    return this.sms.send(to, reminderSms(facts));
  }
}

/** The transports the configuration allows (tests pass their own SMS sender, aimed at a fake Twilio). */
export function createReminderTransports(config: Config, sms?: SmsSender): ReminderTransports {
  const transports: ReminderTransports = {};
  if (config.email) transports.EMAIL = new SmtpTransport(config.email.smtpUrl, config.email.from);
  const sender =
    sms ?? (config.twilio && config.smsFrom ? new TwilioSmsSender(config.twilio, config.smsFrom) : undefined);
  if (sender) transports.SMS = new SmsTransport(sender);
  return transports;
}
