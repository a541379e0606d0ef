import type { FastifyInstance } from "fastify";
import type { ShimOptions } from "../shim.js";

/** ../shared/legacy-api/sapphire.md (being built). */
export async function sapphireApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  void app;
  void options;
}
