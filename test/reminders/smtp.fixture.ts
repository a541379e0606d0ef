import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** One message the server accepted: its envelope and its raw MIME text. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/** A MIME leaf part, decoded. */
export interface MailPart {
  contentType: string;
  filename?: string;
  body: string;
}

/**
 * A real SMTP server on 127.0.0.1 (a random port), without TLS or authentication, keeping what
 * it receives. failWith(451) answers every message with that status (a failing mail server).
 */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  private failure: number | null = null;
  /** How many messages are still to be refused with `failure` (Infinity: until failWith(null)). */
  private failures = 0;

  private constructor(
    private readonly server: SMTPServer,
    readonly url: string,
  ) {}

  static async start(): Promise<TestSmtpServer> {
    let smtp!: TestSmtpServer;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          if (smtp.failure !== null && smtp.failures > 0) {
            smtp.failures -= 1;
            return callback(Object.assign(new Error("Try again later"), { responseCode: smtp.failure }));
          }
          smtp.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("utf8"),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.server.address() as AddressInfo;
    smtp = new TestSmtpServer(server, `smtp://127.0.0.1:${port}`);
    return smtp;
  }

  /** Refuses the next `times` messages (every one by default) with this status; null: accepts again. */
  failWith(status: number | null, times = Infinity): void {
    this.failure = status;
    this.failures = status === null ? 0 : times;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The leaf parts of a MIME message, their transfer encodings (base64, quoted-printable) undone. */
export function mimeParts(raw: string): MailPart[] {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join("\r\n\r\n");
  const headers = unfold(head);
  const contentType = headers["content-type"] ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (boundary) {
    return body
      .split(`--${boundary}`)
      .slice(1)
      .filter((chunk) => !chunk.startsWith("--"))
      .flatMap((chunk) => mimeParts(chunk.replace(/^\r?\n/, "")));
  }
  const encoding = (headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  const decoded =
    encoding === "base64"
      ? Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8")
      : encoding === "quoted-printable"
        ? Buffer.from(
            body
              .replace(/=\r?\n/g, "")
              .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            "latin1",
          ).toString("utf8")
        : body;
  const filename = /filename="?([^";\r\n]+)"?/i.exec(`${headers["content-disposition"] ?? ""};${contentType}`)?.[1];
  return [{ contentType: contentType.split(";")[0].trim().toLowerCase(), filename, body: decoded.trim() }];
}

function unfold(head: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
