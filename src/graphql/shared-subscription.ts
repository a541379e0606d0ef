import { isStream, mapIterator } from "../async-iterators.js";
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from "graphql";

type Result = ExecutionResult | Promise<ExecutionResult>;

/** Per event object: the execution result of each (document text, operation, variables). */
const executed = new WeakMap<object, Map<string, Result>>();

/**
 * graphql's subscribe, except that an event object delivered to many subscribers is executed
 * once per distinct document and variables. slotsChanged hands every subscriber of a provider
 * and range the same result object (computed once per event), so 10,000 subscribers cost one
 * execution; per-viewer events (sessionChanged) are distinct objects and are executed each.
 *
 * With `deliver`, results are pushed to it as they come (in order) instead of being yielded: the
 * returned iterator then only ends (or fails) with the subscription, which is what graphql-ws
 * waits on, and each result costs this subscriber no round through graphql-ws's loop.
 */
export async function subscribeSharingResults(
  args: ExecutionArgs,
  deliver?: (result: ExecutionResult) => void,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const events = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const key = `${args.operationName ?? ""}\n${JSON.stringify(args.variableValues ?? {})}\n${args.document.loc?.source.body ?? ""}`;
  const run = (event: unknown): Result => {
    if (typeof event !== "object" || event === null) return execute({ ...args, rootValue: event });
    let byKey = executed.get(event);
    if (!byKey) executed.set(event, (byKey = new Map()));
    let result = byKey.get(key);
    if (!result) byKey.set(key, (result = execute({ ...args, rootValue: event })));
    return result;
  };
  // Ending the subscription ends its source at once (the dispatcher's listener goes with it).
  if (!isStream(events)) return mapIterator(events, run);
  const results = mapIterator(events, run);
  if (deliver) results.listen(deliver);
  return results;
}
