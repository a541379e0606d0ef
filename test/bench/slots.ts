/** Scenario 4's many-provider case, as the API allows it (at most 15 aliases per GraphQL request). */
import { AVAILABLE_SLOTS, authHeaders, graphqlBody } from "./requests.js";

/**
 * One week view of many providers: one availableSlots request per provider, `concurrency` in
 * flight at a time (a browser's connection limit). Resolves once all have answered without error.
 */
export function slotsOfManyProviders(baseUrl: string, token: string, providerIds: number[], from: string, to: string, concurrency: number): () => Promise<void> {
  const bodies = providerIds.map((id) => graphqlBody(AVAILABLE_SLOTS, { providerId: String(id), from, to }));
  const headers = authHeaders(token);
  return async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, bodies.length) }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const response = await fetch(`${baseUrl}/graphql`, { method: "POST", headers, body });
          const text = await response.text();
          if (response.status !== 200 || text.includes('"errors":[')) throw new Error(`availableSlots failed: HTTP ${response.status} ${text.slice(0, 200)}`);
        }
      }),
    );
  };
}
