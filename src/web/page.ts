/**
 * The live calendar page at `/`: its browser code (src/web/app/, TypeScript) is bundled by
 * esbuild's API in memory, once per process on the first request, and served with its content
 * hash in the names (cached for a year, with an ETag). The page itself is tiny HTML that names
 * those files and carries a per-response CSP nonce, the only way FullCalendar 6 may inject its
 * stylesheet under a policy without 'unsafe-inline'.
 */
import { basename, extname } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyHelmet from "@fastify/helmet";
import { build } from "esbuild";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import type { UserRow } from "../db/schema/index.js";
import { signToken } from "../modules/tenants/index.js";

/** The demo tenant's people whose tokens `npm start` prints: offered as "sign in as" on the page. */
export interface DemoSignIn {
  tenantCode: string;
  users: readonly Pick<UserRow, "id" | "name" | "role" | "username">[];
}

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

interface Bundle {
  script: string;
  stylesheet: string;
  assets: Map<string, Asset>;
}

const ENTRY = fileURLToPath(new URL("./app/main.ts", import.meta.url));
const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

let bundle: Promise<Bundle> | undefined;

/** The page's bundle, built once per process (tests start many servers; only the page's tests ask for it). */
export function pageBundle(): Promise<Bundle> {
  bundle ??= buildBundle().catch((err) => {
    bundle = undefined; // a failed build is tried again on the next request
    throw err;
  });
  return bundle;
}

async function buildBundle(): Promise<Bundle> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: ["chrome111", "firefox115", "safari16"],
    write: false,
    outdir: "/assets",
    entryNames: "[name]-[hash]",
    legalComments: "none",
    logLevel: "silent",
  });
  const assets = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    assets.set(name, {
      body: Buffer.from(file.contents),
      contentType: CONTENT_TYPES[extname(name)] ?? "application/octet-stream",
      etag: `"${file.hash}"`,
    });
  }
  const named = (ext: string) => [...assets.keys()].find((n) => n.endsWith(ext))!;
  return { script: named(".js"), stylesheet: named(".css"), assets };
}

function html(page: Bundle, nonce: string, demo: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csp-nonce" content="${nonce}">
<link rel="icon" href="data:,">${demo ? '\n<meta name="demo-sign-in" content="/demo/sign-in">' : ""}
<title>sessiongraph · calendar</title>
<link rel="stylesheet" href="/assets/${page.stylesheet}">
<script type="module" src="/assets/${page.script}"></script>
</head>
<body><main id="app" aria-live="polite"></main></body>
</html>
`;
}

/**
 * GET / (the page), GET /assets/<name>-<hash>.(js|css), and GET /demo/sign-in only when `demo`
 * is given (the embedded demo tenant, where its tokens are printed anyway).
 */
export async function installWebPage(
  server: FastifyInstance,
  options: { jwt: Config["jwt"]; demo?: DemoSignIn },
): Promise<void> {
  await server.register(async (web) => {
    await web.register(fastifyHelmet, {
      enableCSPNonces: true,
      contentSecurityPolicy: {
        useDefaults: false,
        // Scripts only from this origin (no inline script, no eval); styles from this origin plus
        // FullCalendar's one injected <style> carrying this response's nonce; fetch and graphql-ws
        // to this origin only; nothing may frame the page.
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          connectSrc: ["'self'"],
          imgSrc: ["'self'", "data:"],
          // FullCalendar's arrow icons are a font in a data: URL inside its injected stylesheet.
          fontSrc: ["'self'", "data:"],
          baseUri: ["'none'"],
          formAction: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
      // Tokens ride in the fragment: no referrer ever carries a URL of this page.
      referrerPolicy: { policy: "no-referrer" },
    });

    web.get("/", async (_request, reply) => {
      const page = await pageBundle();
      return reply
        .header("cache-control", "no-store")
        .type("text/html; charset=utf-8")
        .send(html(page, reply.cspNonce.style, options.demo !== undefined));
    });

    web.get<{ Params: { name: string } }>("/assets/:name", async (request, reply) => {
      const asset = (await pageBundle()).assets.get(request.params.name);
      if (!asset) return reply.code(404).send({ error: "not found" });
      reply.header("cache-control", "public, max-age=31536000, immutable").header("etag", asset.etag);
      if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
      return reply.type(asset.contentType).send(asset.body);
    });

    const demo = options.demo;
    if (demo) {
      web.get("/demo/sign-in", async (_request, reply) => {
        const users = await Promise.all(
          demo.users.map(async (u) => ({
            name: u.name,
            role: u.role,
            username: u.username,
            token: await signToken(options.jwt, { sub: String(u.id), tenant: demo.tenantCode }, "8h"),
          })),
        );
        return reply.header("cache-control", "no-store").send({ tenant: demo.tenantCode, users });
      });
    }
  });
}
