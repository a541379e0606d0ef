import type { FastifyInstance } from "fastify";
import type { ShimOptions } from "../shim.js";

/** ../shared/legacy-api/psychologist-video.md (being built). */
export async function psychologistVideoApi(app: FastifyInstance, options: ShimOptions): Promise<void> {
  void app;
  void options;
}
