/**
 * Maps a subscription's source to results (undefined: skipped); ending the result ends the
 * source at once (a next() waiting on it then resolves done). A plain iterator, no Repeater:
 * with 10,000 subscribers this runs 10,000 times per event, and a Repeater's push costs several
 * promises. Shared by the events module's subscriptions and graphql's shared execution.
 */
export function mapIterator<S, T>(
  source: AsyncIterator<S>,
  map: (item: S) => Promise<T | undefined> | T | undefined,
): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      try {
        for (;;) {
          const step = await source.next();
          if (step.done) return { done: true, value: undefined };
          const result = await map(step.value);
          if (result !== undefined) return { done: false, value: result };
        }
      } catch (error) {
        // A consumer does not call return() after a failed next(): the source's listener goes here.
        await source.return?.();
        throw error;
      }
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await source.return?.();
      throw error;
    },
  };
  return iterator;
}
