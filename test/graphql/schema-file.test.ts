import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SCHEMA_FILE } from "../../src/graphql/build-schema.js";
import { printedSchema } from "../../src/graphql/emit-schema.js";

describe("schema/schema.graphql", () => {
  it("is the schema the code builds (run `npm run schema:emit` when this fails)", async () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(await printedSchema());
  });
});
