import { GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { isCalendarDate, isLocalTime, isTimeZone, parseInstant, SUPPORTED_DATES } from "../time.js";

/** A scalar over strings: one check for variables and inline literals alike. */
function stringScalar<T>(
  name: string,
  description: string,
  parse: (value: string) => T | undefined,
  expected: string,
  serialize: (value: unknown) => string,
) {
  const parseValue = (value: unknown): T => {
    const parsed = typeof value === "string" ? parse(value) : undefined;
    // A plain error: graphql wraps it with the value's location and the variable path, which name the field.
    if (parsed === undefined) throw new TypeError(`${name} must be ${expected}, got ${JSON.stringify(value)}`);
    return parsed;
  };
  return new GraphQLScalarType<T, string>({
    name,
    description,
    serialize,
    parseValue,
    parseLiteral: (ast: ValueNode) => parseValue(ast.kind === Kind.STRING ? ast.value : `<${ast.kind}>`),
  });
}

export const DateTimeScalar = stringScalar<Date>(
  "DateTime",
  "ISO 8601 instant with offset, e.g. 2026-03-09T13:00:00.000Z; always returned in UTC.",
  parseInstant,
  `an ISO 8601 date-time with an offset, e.g. 2026-03-09T13:00:00Z, ${SUPPORTED_DATES}`,
  (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
);

export const DateScalar = stringScalar<string>(
  "Date",
  "A calendar day, YYYY-MM-DD, in the time zone the field states.",
  (v) => (isCalendarDate(v) ? v : undefined),
  `a calendar date YYYY-MM-DD ${SUPPORTED_DATES}`,
  (value) => String(value).slice(0, 10),
);

export const LocalTimeScalar = stringScalar<string>(
  "LocalTime",
  "Wall-clock time HH:MM on a 24-hour clock.",
  (v) => (isLocalTime(v) ? v : undefined),
  "a 24-hour time HH:MM",
  (value) => String(value).slice(0, 5),
);

export const TimeZoneScalar = stringScalar<string>(
  "TimeZone",
  "An IANA time zone name, e.g. America/New_York.",
  (v) => (isTimeZone(v) ? v : undefined),
  "an IANA time zone name such as America/New_York",
  (value) => String(value),
);
