/** The Postman collection (v2.1) of the shim routes, derived from the OpenAPI document. */
interface OpenApiDocument {
  info: { title: string; description?: string };
  paths?: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        tags?: string[];
        parameters?: Array<{ name: string; in: string; required?: boolean }>;
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
      }
    >
  >;
}
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  example?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  items?: JsonSchema;
  format?: string;
}

const METHODS = ["get", "post", "put", "patch", "delete"];

/**
 * Deterministic (no generated ids), so the committed file only changes when the routes do.
 * Variables base_url and auth_token, as the legacy documents' Postman setups use.
 */
export function postmanCollection(openapi: OpenApiDocument) {
  const folders = new Map<string, unknown[]>();
  for (const [path, operations] of Object.entries(openapi.paths ?? {})) {
    for (const method of METHODS) {
      const operation = operations[method];
      if (!operation) continue;
      const folder = operation.tags?.[0] ?? "other";
      const query = (operation.parameters ?? [])
        .filter((p) => p.in === "query")
        .map((p) => ({ key: p.name, value: "", disabled: !p.required }));
      const headers = (operation.parameters ?? [])
        .filter((p) => p.in === "header")
        .map((p) => ({ key: p.name, value: p.name.toLowerCase() === "x-tenant-code" ? "{{tenant_code}}" : "" }));
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      const postmanPath = path.replace(/\{(\w+)\}/g, ":$1");
      const item = {
        name: operation.summary ?? `${method.toUpperCase()} ${path}`,
        request: {
          method: method.toUpperCase(),
          header: [...headers, ...(schema ? [{ key: "Content-Type", value: "application/json" }] : [])],
          url: {
            raw: `{{base_url}}${postmanPath}${
              query.length
                ? "?" +
                  query
                    .filter((q) => !q.disabled)
                    .map((q) => `${q.key}=`)
                    .join("&")
                : ""
            }`,
            host: ["{{base_url}}"],
            path: postmanPath.split("/").filter(Boolean),
            ...(query.length ? { query } : {}),
            ...(postmanPath.includes(":")
              ? { variable: [...postmanPath.matchAll(/:(\w+)/g)].map((m) => ({ key: m[1], value: "" })) }
              : {}),
          },
          ...(schema
            ? {
                body: {
                  mode: "raw",
                  raw: JSON.stringify(sampleOf(schema), null, 2),
                  options: { raw: { language: "json" } },
                },
              }
            : {}),
        },
      };
      folders.set(folder, [...(folders.get(folder) ?? []), item]);
    }
  }
  return {
    info: {
      name: openapi.info.title,
      description: openapi.info.description ?? "",
      schema: "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    },
    auth: { type: "bearer", bearer: [{ key: "token", value: "{{auth_token}}", type: "string" }] },
    variable: [
      { key: "base_url", value: "http://localhost:4000" },
      { key: "auth_token", value: "" },
      { key: "tenant_code", value: "DEMO" },
    ],
    item: [...folders].map(([name, item]) => ({ name, item })),
  };
}

/** An example body: the schema's own example, else a placeholder per type. */
function sampleOf(schema: JsonSchema): unknown {
  if (schema.example !== undefined) return schema.example;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, sampleOf(value)]));
    case "array":
      return schema.items ? [sampleOf(schema.items)] : [];
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "string":
      return schema.format === "date" ? "2026-01-15" : schema.format === "date-time" ? "2026-01-15T10:00:00Z" : "";
    default:
      return null;
  }
}
