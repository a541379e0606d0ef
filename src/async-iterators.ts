/**
 * A subscription's stream of items, read in one of two ways. Pulled, as an async iterator
 * (next() per item). Or pushed: listen(consumer) hands every item from then on to the consumer,
 * in order, and next() settles once, when the stream ends (done) or fails (rejects), so the one
 * who iterates it (graphql-ws) still sees it end. Pushing is what 10,000 subscribers of one
 * event can afford: no promise per item and reader, and no per-item round through graphql-ws.
 */
export interface Stream<T> extends AsyncIterableIterator<T> {
  /** Push mode from now on; items already queued go to the consumer first. A consumer that throws fails the stream. */
  listen(consumer: (item: T) => void): void;
  /** Ends the stream with an error once what was queued before it has been read. */
  fail(error: unknown): void;
}

export const isStream = <T>(iterator: AsyncIterator<T>): iterator is Stream<T> =>
  typeof (iterator as Partial<Stream<T>>).listen === "function";

const isPromiseLike = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> =>
  typeof (value as Partial<PromiseLike<T>> | undefined)?.then === "function";

/**
 * Maps a subscription's source to results (undefined: skipped); ending the result ends the
 * source at once (a next() waiting on it then resolves done). A plain iterator, no Repeater:
 * with 10,000 subscribers this runs 10,000 times per event, and a Repeater's push costs several
 * promises. Over a Stream it is a Stream: pushed items are mapped one after the other (an event's
 * result never overtakes the one before it, whose cursor a client may resume from). Shared by the
 * events module's subscriptions and graphql's shared execution.
 */
export function mapIterator<S, T>(
  source: Stream<S>,
  map: (item: S) => Promise<T | undefined> | T | undefined,
): Stream<T>;
export function mapIterator<S, T>(
  source: AsyncIterator<S>,
  map: (item: S) => Promise<T | undefined> | T | undefined,
): AsyncIterableIterator<T>;
export function mapIterator<S, T>(
  source: AsyncIterator<S>,
  map: (item: S) => Promise<T | undefined> | T | undefined,
): Stream<T> {
  /** Returned or failed: nothing more reaches a push consumer. */
  let stopped = false;
  const iterator: Stream<T> = {
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
      stopped = true;
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      stopped = true;
      await source.return?.();
      throw error;
    },
    listen(consumer) {
      /** Items mapped asynchronously and not yet delivered: while there are any, the next waits its turn. */
      let pending = 0;
      let tail: Promise<void> = Promise.resolve();
      const deliver = (result: T | undefined) => {
        if (!stopped && result !== undefined) consumer(result);
      };
      const delivered = () => void pending--;
      const failed = (error: unknown) => {
        if (stopped) return;
        stopped = true;
        // The source's next() (graphql-ws waits on it) now rejects, and its listener goes.
        (source as Stream<S>).fail(error);
      };
      (source as Stream<S>).listen((item) => {
        if (stopped) return;
        if (pending > 0) {
          pending++;
          tail = tail
            .then(() => (stopped ? undefined : map(item)))
            .then(deliver)
            .then(delivered, failed);
          return;
        }
        // Nothing ahead of it: a result mapped synchronously (an execution already done) goes out at once.
        try {
          const mapped = map(item);
          if (!isPromiseLike(mapped)) return deliver(mapped);
          pending++;
          tail = Promise.resolve(mapped).then(deliver).then(delivered, failed);
        } catch (error) {
          failed(error);
        }
      });
    },
    fail(error) {
      (source as Stream<S>).fail(error);
    },
  };
  return iterator;
}

/** A stream fed by push(): what one subscriber of the dispatcher reads. */
export interface PushIterator<T> extends Stream<T> {
  /** Queues an item, hands it to a waiting next(), or, listened to, to the consumer; ignored once ended. */
  push(item: T): void;
}

/**
 * A bounded queue read as a Stream (one reader). push() costs no promise unless a reader waits,
 * and none when listened to, so one event pushed to 10,000 subscribers is 10,000 appends or
 * calls. More than `capacity` unread items end it with overflowError(): a subscriber that stops
 * reading is ended rather than buffered without bound. Ending it (return(), or the error having
 * been read) calls onEnd once.
 */
export function pushIterator<T>(options: {
  capacity: number;
  overflowError: () => unknown;
  onEnd: () => void;
}): PushIterator<T> {
  const queue: T[] = [];
  let waiting: { resolve: (step: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  let consumer: ((item: T) => void) | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    queue.length = 0;
    options.onEnd();
  };
  const consume = (item: T) => {
    try {
      consumer!(item);
    } catch (error) {
      iterator.fail(error);
    }
  };
  const iterator: PushIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    push(item) {
      if (ended || failure) return;
      if (consumer) consume(item);
      else if (waiting) {
        const { resolve } = waiting;
        waiting = undefined;
        resolve({ done: false, value: item });
      } else if (queue.length >= options.capacity) iterator.fail(options.overflowError());
      else queue.push(item);
    },
    listen(listener) {
      consumer = listener;
      for (const item of queue.splice(0)) consume(item);
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
      // Listened to, this settles only when the stream ends or fails.
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
