import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiDocuments, OPENAPI_FILE, POSTMAN_FILE } from "../../src/rest/emit-openapi.js";
import { startTestApp, type TestApp } from "../helpers/app.js";
import { rest } from "../helpers/rest.js";

describe("OpenAPI document and Postman collection", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it("GET /openapi.json serves OpenAPI 3.1 of the shim routes only", async () => {
    const { status, body } = await rest(t.url, "GET", "/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    const paths = Object.keys(body.paths ?? {});
    expect(paths).not.toContain("/graphql");
    expect(paths).not.toContain("/healthz");
  });

  it("schema/openapi.json and schema/postman-collection.json are current (run `npm run openapi:emit`)", () => {
    const current = apiDocuments(t.app.server);
    expect(readFileSync(OPENAPI_FILE, "utf8")).toBe(current.openapi);
    expect(readFileSync(POSTMAN_FILE, "utf8")).toBe(current.postman);
  });

  it("the Postman collection uses the variables base_url and auth_token", () => {
    const collection = JSON.parse(readFileSync(POSTMAN_FILE, "utf8"));
    expect(collection.variable.map((v: { key: string }) => v.key)).toEqual(
      expect.arrayContaining(["base_url", "auth_token"]),
    );
    expect(collection.auth.bearer[0].value).toBe("{{auth_token}}");
    for (const folder of collection.item)
      for (const item of folder.item) expect(item.request.url.raw.startsWith("{{base_url}}/")).toBe(true);
  });
});
