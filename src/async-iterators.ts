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

/** An async iterator fed by push(): what one subscriber of the dispatcher reads. */
export interface PushIterator<T> extends AsyncIterableIterator<T> {
  /** Queues an item (or hands it to a waiting next()); ignored once ended. */
  push(item: T): void;
  /** Ends the iteration with an error once what was queued before it has been read. */
  fail(error: unknown): void;
}

/**
 * A bounded queue read as an async iterator. push() costs no promise unless a reader waits, so
 * one event pushed to 10,000 subscribers is 10,000 array appends or resolutions (a Repeater
 * costs several promises per push). More than `capacity` unread items end it with
 * overflowError(): a subscriber that stops reading is ended rather than buffered without bound.
 * Ending it (return(), or the error having been read) calls onEnd once.
 */
export function pushIterator<T>(options: {
  capacity: number;
  overflowError: () => unknown;
  onEnd: () => void;
}): PushIterator<T> {
  const queue: T[] = [];
  let waiting: { resolve: (step: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    queue.length = 0;
    options.onEnd();
  };
  const iterator: PushIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    push(item) {
      if (ended || failure) return;
      if (waiting) {
        const { resolve } = waiting;
        waiting = undefined;
        resolve({ done: false, value: item });
      } else if (queue.length >= options.capacity) iterator.fail(options.overflowError());
      else queue.push(item);
    },
    fail(error) {
      if (ended || failure) return;
      failure = { error };
      if (waiting && queue.length === 0) {
        const { reject } = waiting;
        waiting = undefined;
        end();
        reject(error);
      }
    },
    next() {
      if (queue.length > 0) return Promise.resolve({ done: false, value: queue.shift()! });
      if (ended) return Promise.resolve({ done: true, value: undefined });
      if (failure) {
        end();
        return Promise.reject(failure.error);
      }
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return() {
      end();
      if (waiting) {
        const { resolve } = waiting;
        waiting = undefined;
        resolve({ done: true, value: undefined });
      }
      return Promise.resolve({ done: true, value: undefined });
    },
    throw(error: unknown) {
      end();
      return Promise.reject(error);
    },
  };
  return iterator;
}
