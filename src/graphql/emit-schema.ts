import { writeFileSync } from "node:fs";
import { lexicographicSortSchema, printSchema } from "graphql";
import { getSchema, SCHEMA_FILE } from "./build-schema.js";

/** schema/schema.graphql as the code defines it (test/graphql/schema-file.test.ts fails when it is stale). */
export async function printedSchema(): Promise<string> {
  return `# Emitted from the code by \`npm run schema:emit\`; do not edit.\n\n${printSchema(lexicographicSortSchema(await getSchema()))}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(SCHEMA_FILE, await printedSchema());
  console.log(`wrote ${SCHEMA_FILE.pathname}`);
}
