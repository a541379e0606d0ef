import "reflect-metadata";
import { writeFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { createApp } from "../app.js";
import { loadConfig } from "../config.js";
import { Database } from "../db/client.js";
import { postmanCollection } from "./postman.js";

export const OPENAPI_FILE = new URL("../../schema/openapi.json", import.meta.url);
export const POSTMAN_FILE = new URL("../../schema/postman-collection.json", import.meta.url);

/** The committed API documents as a ready server describes them (test/rest/api-documents.test.ts fails when stale). */
export function apiDocuments(server: FastifyInstance): { openapi: string; postman: string } {
  const openapi = server.swagger() as Parameters<typeof postmanCollection>[0];
  return {
    openapi: `${JSON.stringify(openapi, null, 2)}\n`,
    postman: `${JSON.stringify(postmanCollection(openapi), null, 2)}\n`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const database = await Database.open({ url: "memory://" });
  // The server's background work (the job engine) starts with it and needs the schema.
  await database.migrate();
  const app = await createApp({ config: loadConfig({ NODE_ENV: "test", DATABASE_URL: "memory://" }), database });
  await app.server.ready();
  const { openapi, postman } = apiDocuments(app.server);
  writeFileSync(OPENAPI_FILE, openapi);
  writeFileSync(POSTMAN_FILE, postman);
  await app.close();
  await database.close();
  console.log(`wrote ${OPENAPI_FILE.pathname} and ${POSTMAN_FILE.pathname}`);
}
