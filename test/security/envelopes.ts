/**
 * Each legacy API's own answers, as predicates over (status, body): its "not found", its error
 * envelope and its success shape. They return a reason when the answer does not fit, else
 * undefined, so a failing property can say why.
 */

/** The tag of each API in /openapi.json. */
export type ApiName =
  "sapphire scheduler" | "fitness-crm-sessions" | "treatment-details" | "booking" | "psychologist video";
export const API_NAMES: readonly ApiName[] = [
  "sapphire scheduler",
  "fitness-crm-sessions",
  "treatment-details",
  "booking",
  "psychologist video",
];

type Check = (status: number, body: unknown) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === "string";
const keysWithin = (body: Record<string, unknown>, allowed: string[]) =>
  Object.keys(body).every((key) => allowed.includes(key));

/** DRF: {"detail": "..."} or field errors {"field": ["message", ...]} (a 500 adds correlation_id). */
const drfError: Check = (status, body) => {
  if (!isObject(body) || Object.keys(body).length === 0) return "not a DRF error object";
  if ("detail" in body)
    return isString(body.detail) && keysWithin(body, ["detail", "correlation_id"])
      ? undefined
      : "a DRF detail body with other keys";
  if (status !== 400) return `field errors with status ${status}`;
  const fieldErrors = Object.values(body).every(
    (messages) => Array.isArray(messages) && messages.length > 0 && messages.every(isString),
  );
  return fieldErrors ? undefined : "not DRF field errors {field: [message]}";
};

/** Flask: {"success": false, "error": "...", "errors"?: {"field": "message"}}. */
const fitnessError: Check = (_status, body) => {
  if (!isObject(body) || body.success !== false || !isString(body.error)) return "not {success: false, error}";
  if (!keysWithin(body, ["success", "error", "errors"])) return "extra keys in the fitness error";
  if ("errors" in body && !(isObject(body.errors) && Object.values(body.errors).every(isString)))
    return "errors is not {field: message}";
  return undefined;
};

/** Gin: {"status": "error", "message": "...", "error": "..." | null}. */
const ginError: Check = (_status, body) => {
  if (
    !isObject(body) ||
    body.status !== "error" ||
    !isString(body.message) ||
    !(body.error === null || isString(body.error))
  )
    return "not {status: error, message, error}";
  return keysWithin(body, ["status", "message", "error"]) ? undefined : "extra keys in the Gin error";
};

/** NestJS: {"statusCode": <the status>, "message": "..." | ["..."], "error": "..."}. */
const nestError: Check = (status, body) => {
  if (!isObject(body) || body.statusCode !== status || !isString(body.error)) return "not {statusCode, message, error}";
  const message = body.message;
  if (!(isString(message) || (Array.isArray(message) && message.length > 0 && message.every(isString))))
    return "message is neither a string nor a list of strings";
  return keysWithin(body, ["statusCode", "message", "error", "correlationId"])
    ? undefined
    : "extra keys in the NestJS error";
};

const drfSuccess: Check = (status, body) =>
  status === 204
    ? body === undefined
      ? undefined
      : "a 204 with a body"
    : isObject(body) || Array.isArray(body)
      ? undefined
      : "not JSON";
const fitnessSuccess: Check = (_status, body) =>
  isObject(body) && body.success === true ? undefined : "not {success: true}";
const ginSuccess: Check = (_status, body) =>
  isObject(body) && body.status === "success" && isString(body.message) && "data" in body
    ? undefined
    : "not {status: success, message, data}";
const nestSuccess: Check = (_status, body) => (isObject(body) || Array.isArray(body) ? undefined : "not JSON");

export interface ApiAnswers {
  /** The answer to a record that is not there (another tenant's included). */
  notFound: Check;
  error: Check;
  success: Check;
}

export const ANSWERS: Record<ApiName, ApiAnswers> = {
  "sapphire scheduler": {
    notFound: (status, body) =>
      status === 404 && JSON.stringify(body) === '{"detail":"Not found."}'
        ? undefined
        : 'not 404 {"detail": "Not found."}',
    error: drfError,
    success: drfSuccess,
  },
  "psychologist video": {
    notFound: (status, body) =>
      status === 404 && JSON.stringify(body) === '{"detail":"Not found."}'
        ? undefined
        : 'not 404 {"detail": "Not found."}',
    error: drfError,
    success: drfSuccess,
  },
  "fitness-crm-sessions": {
    notFound: (status, body) => (status === 404 ? fitnessError(status, body) : "not 404"),
    error: fitnessError,
    success: fitnessSuccess,
  },
  "treatment-details": {
    notFound: (status, body) => (status === 404 ? ginError(status, body) : "not 404"),
    error: ginError,
    success: ginSuccess,
  },
  booking: {
    notFound: (status, body) =>
      status === 404 && isObject(body) && body.error === "Not Found" ? nestError(status, body) : "not 404 Not Found",
    error: nestError,
    success: nestSuccess,
  },
};

/** Why an answer is not in the API's own format (error envelope for >= 400, success shape otherwise), or undefined. */
export function formatProblem(api: ApiName, status: number, body: unknown): string | undefined {
  if (status >= 500) return `a ${status}`;
  return status >= 400 ? ANSWERS[api].error(status, body) : ANSWERS[api].success(status, body);
}

/** GraphQL: every error has a message and an extensions.code; a server bug is INTERNAL_SERVER_ERROR. */
export function graphqlProblem(status: number, body: unknown): string | undefined {
  if (status >= 500) return `HTTP ${status}`;
  if (!isObject(body)) return "not a JSON object";
  if (!("errors" in body)) return isObject(body.data) ? undefined : "neither data nor errors";
  const errors = body.errors;
  if (!Array.isArray(errors) || errors.length === 0) return "errors is not a non-empty list";
  for (const error of errors) {
    if (!isObject(error) || !isString(error.message) || !isObject(error.extensions) || !isString(error.extensions.code))
      return "an error without message or extensions.code";
    if (error.extensions.code === "INTERNAL_SERVER_ERROR") return `INTERNAL_SERVER_ERROR: ${error.message}`;
  }
  return undefined;
}
