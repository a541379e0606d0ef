import fastifyHelmet from "@fastify/helmet";
import fastifySwagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { bookingApi } from "./booking/index.js";
import { fitnessApi } from "./fitness/index.js";
import { psychologistVideoApi } from "./psychologist-video/index.js";
import { sapphireApi } from "./sapphire/index.js";
import type { ShimOptions } from "./shim.js";
import { treatmentDetailsApi } from "./treatment-details/index.js";

/** The five legacy APIs. Each is one encapsulated plugin with its own error envelope. */
const LEGACY_APIS: Array<(app: FastifyInstance, options: ShimOptions) => Promise<void>> = [
  sapphireApi,
  fitnessApi,
  treatmentDetailsApi,
  bookingApi,
  psychologistVideoApi,
];

/**
 * Registers the REST shims and GET /openapi.json (OpenAPI 3.1 of every shim route, built
 * from the routes' own JSON schemas: only tagged routes are shims, so /graphql and the
 * health checks stay out of it).
 */
export async function registerRestShims(server: FastifyInstance, options: ShimOptions): Promise<void> {
  await server.register(fastifySwagger, {
    hideUntagged: true,
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "sessiongraph legacy REST APIs",
        version: "1.0.0",
        description: "The five legacy APIs, served by sessiongraph's services. The same tokens as GraphQL.",
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
          sessionCookie: { type: "apiKey", in: "cookie", name: "session" },
        },
      },
      security: [{ bearerAuth: [] }],
    },
  });
  await server.register(async (rest) => {
    // Security headers (nosniff, frame denial, HSTS, a locked-down CSP) on every shim response.
    await rest.register(fastifyHelmet);
    for (const api of LEGACY_APIS) await rest.register(api, options);
  });
  server.get("/openapi.json", async () => server.swagger());
}
