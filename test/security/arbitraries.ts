/**
 * fast-check arbitraries for hostile input: values that break parsers, databases and date
 * math (huge and negative numbers, -0, 2^53, NaN-ish strings, NUL and lone surrogates, dates
 * that do not exist or lie outside every range), JSON of any shape, and mutations of a valid
 * body (fields dropped, retyped, replaced, added), so that runs also get past the first checks.
 */
import fc from "fast-check";

/** The seed of every property here (FUZZ_SEED overrides it): a failure replays exactly. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20300106);

const NASTY_NUMBERS = [
  0,
  -0,
  1,
  -1,
  1.5,
  1e308,
  -1e308,
  5e-324,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER,
  1e21,
];

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "x\udc00y",
  "\u202e\u0301",
  "💥",
  "0",
  "-1",
  "1e308",
  "NaN",
  "Infinity",
  "null",
  "true",
  "[]",
  "{}",
  "0000-00-00",
  "0000-01-01",
  "9999-12-31",
  "9999-12-31T25:61",
  "9999-12-31T23:59:59Z",
  "0000-00-00T00:00:00",
  "+275760-09-13T00:00:00.000Z",
  "-271821-04-20T00:00:00Z",
  "2030-02-30",
  "2030-02-29T10:00:00",
  "2030-13-01T10:00:00",
  "2030-01-08T10:00:00+25:00",
  "2030-03-10T02:30:00",
  "24:00",
  "23:60",
  "99:99",
  "00:00:00.0000001",
  "America/Nowhere",
  "' OR 1=1 --",
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "%00",
];

/** Long text, for bodies only: a URL this long never reaches an API (Node answers 431 for the request line). */
const LONG_TEXT = "x".repeat(20_000);

/** A date-time-ish string with every part anywhere from sensible to absurd. */
const dateLike = fc
  .tuple(
    fc.integer({ min: 0, max: 99_999 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.constantFrom("", "Z", "+14:00", "-12:00", ":00", ".123456789"),
  )
  .map(
    ([y, mo, d, h, mi, tail]) =>
      `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}T${String(h).padStart(2, "0")}:${String(mi).padStart(2, "0")}${tail}`,
  );

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
/** Any text: every code point, lone surrogates and NUL included. */
export const anyText = fc.string({
  unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), loneSurrogate, fc.constant("\u0000")),
  maxLength: 40,
});

/** One hostile scalar that fits in a URL. */
const shortScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NASTY_NUMBERS),
  fc.constantFrom(...NASTY_STRINGS),
  fc.constantFrom(null, true, false),
  fc.integer(),
  fc.double(),
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  dateLike,
  anyText,
);

/** One hostile scalar. */
export const nastyScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 20, arbitrary: shortScalar },
  { weight: 1, arbitrary: fc.constant(LONG_TEXT) },
);

/** Any JSON value (its numbers and strings hostile too), up to a small depth. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    nastyScalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(anyText, fc.constantFrom("__proto__", "constructor", "id", "tenant_id", "tenantId")),
      tie("value"),
      { maxKeys: 4 },
    ),
  ),
})).value;

/** A hostile value for a field: a scalar, or a small structure where a scalar belongs. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyScalar },
  { weight: 1, arbitrary: anyJson },
);

/** What a field holds, so that a hostile value of the right type can get past type checks to the rules behind them. */
export type FieldType =
  | { kind: "text" | "integer" | "number" | "boolean" | "instant" | "date" | "time" | "id" }
  | { kind: "choice"; values: readonly unknown[] };

const NASTY_TEXT = NASTY_STRINGS.filter((text) => text.length > 0);
const pad2 = (n: number) => String(n).padStart(2, "0");

/** Dates, times and instants in no valid format, or naming nothing real. */
const badTemporal = fc.oneof(
  fc.constantFrom(
    "0000-00-00",
    "9999-12-31T25:61",
    "2030-02-30",
    "2030-02-29T10:00:00",
    "24:00",
    "23:60",
    "9:00",
    "09:00:60",
    "T",
    "",
  ),
  dateLike,
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
);
/** Well-formed ones, from the distant past and future to the days around the frozen clock (DST changes included). */
const instant = fc.oneof(
  fc.date({ min: new Date("2029-11-01"), max: new Date("2030-04-01"), noInvalidDate: true }),
  fc.date({ min: new Date("0001-01-01"), max: new Date("9999-12-31"), noInvalidDate: true }),
);
const WELL_FORMED: Record<"instant" | "date" | "time", fc.Arbitrary<string>> = {
  instant: fc.oneof(
    instant.map((d) => d.toISOString()),
    instant.map((d) => d.toISOString().slice(0, 19)),
    fc.constantFrom(
      "2030-03-10T02:30:00",
      "2030-11-03T01:30:00",
      "2030-01-06T11:59:59Z",
      "9999-12-31T23:59:59Z",
      "0001-01-01T00:00:00Z",
    ),
  ),
  date: fc.oneof(
    instant.map((d) => d.toISOString().slice(0, 10)),
    fc.constantFrom("0001-01-01", "9999-12-31", "2030-03-10", "2030-01-06"),
  ),
  time: fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m]) => `${pad2(h)}:${pad2(m)}`),
};

/** A hostile value of the field's own type: edge numbers, dates far away or impossible, NUL and surrogates in text. */
export function typedValue(type: FieldType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case "text":
      return fc.oneof(fc.constantFrom(...NASTY_TEXT), anyText, fc.constant(LONG_TEXT));
    case "integer":
      return fc.oneof(
        fc.constantFrom(0, -1, 1, 59, 60, 61, 1439, 1440, 2 ** 31 - 1, -(2 ** 31), 2 ** 53),
        fc.integer(),
      );
    case "number":
      return fc.oneof(
        fc.constantFrom(0, -0, 1e308, -1e308, 5e-324),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      );
    case "boolean":
      return fc.boolean();
    case "instant":
    case "date":
    case "time":
      return fc.oneof({ weight: 3, arbitrary: WELL_FORMED[type.kind] }, { weight: 1, arbitrary: badTemporal });
    case "id":
      return fc.oneof(
        fc.constantFrom("0", "-1", "1e3", " 1", "2147483647", "2147483648", "99999999999999999999"),
        fc.nat().map(String),
        fc.nat(),
      );
    case "choice":
      return fc.constantFrom(...type.values);
  }
}

/**
 * A valid object, mutated: some fields dropped, some replaced by hostile values (of the field's
 * type when it is known, of any type otherwise), some added (including ones the API does not
 * know, and prototype keys).
 */
export function mutated(
  valid: Record<string, unknown>,
  fieldTypes: Record<string, FieldType | undefined> = {},
): fc.Arbitrary<Record<string, unknown>> {
  const fields = [...new Set([...Object.keys(valid), ...Object.keys(fieldTypes)])];
  const hostile = (field: string) => {
    const type = fieldTypes[field];
    return type
      ? fc.oneof({ weight: 3, arbitrary: typedValue(type) }, { weight: 1, arbitrary: nastyValue })
      : nastyValue;
  };
  const extraKey = fc.oneof(
    fc.constantFrom("extra", "__proto__", "constructor", "tenant_id", "tenantId", "id", "created_at"),
    anyText,
  );
  return fc
    .record({
      dropped: fc.oneof(
        { weight: 2, arbitrary: fc.constant<string[]>([]) },
        { weight: 1, arbitrary: fc.subarray(Object.keys(valid)) },
      ),
      replaced: fields.length
        ? fc.array(
            fc.constantFrom(...fields).chain((name) => hostile(name).map((value): [string, unknown] => [name, value])),
            { maxLength: 3 },
          )
        : fc.constant([]),
      added: fc.oneof(
        { weight: 2, arbitrary: fc.constant<Record<string, unknown>>({}) },
        { weight: 1, arbitrary: fc.dictionary(extraKey, nastyValue, { maxKeys: 2 }) },
      ),
    })
    .map(({ dropped, replaced, added }) => {
      const body: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(valid)) if (!dropped.includes(key)) body[key] = value;
      // defineProperty: "__proto__" becomes an own key, as a JSON client would send it.
      for (const [key, value] of [...Object.entries(added), ...replaced])
        Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true });
      return body;
    });
}

/** A request body: mostly the valid one mutated, sometimes any JSON at all, sometimes the valid one as is. */
export function bodyOf(
  valid: Record<string, unknown> | undefined,
  fieldTypes: Record<string, FieldType | undefined> = {},
): fc.Arbitrary<unknown> {
  if (!valid) return fc.oneof(fc.constant(undefined), anyJson);
  return fc.oneof(
    { weight: 6, arbitrary: mutated(valid, fieldTypes) },
    { weight: 2, arbitrary: anyJson },
    { weight: 1, arbitrary: fc.constant(valid) },
  );
}

/** A raw body that is not the JSON it claims to be, or JSON that parsers treat specially. */
export const rawBody = fc.oneof(
  fc.constantFrom(
    "{",
    '{"a":',
    "[",
    "nul",
    "\u0000",
    "{}}",
    '{"quantity": 1e999}',
    '{"__proto__": {"admin": true}}',
    '{"constructor": {"prototype": {"x": 1}}}',
    '"\\ud800"',
    "1".repeat(400),
  ),
  anyText,
);

/** A query string: the route's own parameters (values of their type, or any) and others, repeated keys, broken percent-encoding. */
export function queryOf(parameters: Record<string, FieldType | undefined>): fc.Arbitrary<string> {
  const text = (value: unknown) => (typeof value === "string" ? value : (JSON.stringify(value) ?? ""));
  const anyValue = fc.oneof(shortScalar.map(text), anyText);
  const own = Object.entries(parameters).map(([name, type]) =>
    fc.tuple(
      fc.constant(name),
      type
        ? fc.oneof(
            typedValue(type)
              .map(text)
              .filter((v) => v.length < 2_000),
            anyValue,
          )
        : anyValue,
    ),
  );
  const pair = own.length
    ? fc.oneof({ weight: 4, arbitrary: fc.oneof(...own) }, { weight: 1, arbitrary: fc.tuple(anyText, anyValue) })
    : fc.tuple(anyText, anyValue);
  const pairs = fc
    .array(pair, { maxLength: 4 })
    .map((list) => list.map(([k, v]) => `${encodeURIComponent(wellFormed(k))}=${encodeURIComponent(wellFormed(v))}`));
  const broken = fc.constantFrom(
    "",
    "",
    "",
    "%",
    "a=%ZZ",
    "%00=1",
    "a[b]=1",
    "__proto__[x]=1",
    "page=1&page=2",
    "=",
    "&&&",
  );
  return fc.tuple(pairs, broken).map(([list, tail]) => [...list, tail].filter(Boolean).join("&"));
}

/** encodeURIComponent refuses lone surrogates: they are sent as the replacement character, as a browser would. */
export const wellFormed = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");

/** 100 KB of text: past every text limit, far inside the body limit. */
export const HUGE_TEXT = "x".repeat(100_000);

/**
 * The boundary values a parameter gets, each sent (not sampled), by what the parameter holds:
 * the edges of int4 and of safe integers, 10^18, -1 and 0, a fraction and NaN for numbers;
 * the empty string, 100 KB of text and lone surrogates for text; and for every parameter
 * arrays, objects and null where a scalar goes. (JSON has no NaN: it is sent as "NaN".)
 */
const WRONG_SHAPES: readonly unknown[] = [[1, 2], { a: 1 }, null];
export const BOUNDARY_JSON = {
  number: [2 ** 31, 2 ** 53, 1e18, -1, 0, 1.5, "NaN", "", ...WRONG_SHAPES],
  text: ["", HUGE_TEXT, "\ud800", "a\udc00b", 2 ** 53, ...WRONG_SHAPES],
} as const;

/**
 * The same for a URL (a path segment or a query value), already percent-encoded: a lone
 * surrogate as the bytes of its (invalid) UTF-8 form; 4 KB of text (a URL of 100 KB never
 * reaches an API: Node refuses the request line).
 */
export const BOUNDARY_URL = {
  number: ["2147483648", "9007199254740992", "1000000000000000000", "-1", "0", "NaN", "", "1.5"],
  text: ["", "x".repeat(4_000), "%ED%A0%80", "%7B%7D", "9007199254740992"],
} as const;
