/** A line-oriented destination for the server's log (tests capture it). */
export interface LogStream {
  write(line: string): void;
}

type LoggedError = {
  type: string;
  message: string;
  code?: string;
  constraint?: string;
  stack: string;
  cause?: LoggedError;
};

/**
 * Fastify's logger settings. Log lines never carry what clients wrote: tokens stay out (the
 * request serializer logs no headers, a calendar feed's path, itself a credential, is logged
 * without its token, and the two headers that carry credentials are redacted should anything
 * log them), and errors are logged as type, message, SQLSTATE and stack frames only.
 */
export function loggerOptions(level: string, stream?: LogStream) {
  return {
    level,
    redact: ["req.headers.authorization", "req.headers.cookie"],
    serializers: { err: safeError, req: safeRequest },
    ...(stream ? { stream } : {}),
  };
}

/** Fastify's own request serializer (it passes its request, typed as the raw one), with the URL through redactUrl. */
function safeRequest(req: {
  method?: string;
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  const version = req.headers?.["accept-version"];
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    version: Array.isArray(version) ? version.join(",") : version,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** A URL as it may be logged: a calendar feed's secret token (/calendar/<token>.ics) left out. */
export const redactUrl = (url: string): string => url.replace(/^\/calendar\/[^?#]*/, "/calendar/[token]");

/**
 * An error as it may be logged. A failed query's parameters (notes, feedback, names) are left
 * out: drizzle appends them to its message, PGlite and postgres.js keep them on the error.
 */
export function safeError(err: unknown): LoggedError {
  if (!(err instanceof Error)) return { type: typeof err, message: "(not an Error)", stack: "" };
  const e = err as Error & { code?: unknown; constraint?: unknown; cause?: unknown };
  const message = err.message.replace(/\nparams: [\s\S]*$/, "");
  const frames = (err.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return {
    type: err.name,
    message,
    ...(typeof e.code === "string" ? { code: e.code } : {}),
    ...(typeof e.constraint === "string" ? { constraint: e.constraint } : {}),
    stack: [`${err.name}: ${message}`, ...frames].join("\n"),
    ...(e.cause instanceof Error && e.cause !== err ? { cause: safeError(e.cause) } : {}),
  };
}
