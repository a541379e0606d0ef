/**
 * Records of practice A for fuzzed requests to act on. A request that succeeds may use one up
 * (cancel, delete, complete it): the next run gets a fresh one. Never the world's own records,
 * which other valid bodies refer to.
 */
import type { TestApp } from "../helpers/app.js";
import type { Kind, Practice } from "./world.js";

export class Targets {
  private readonly current = new Map<Kind, number>();
  private made = 0;

  constructor(
    private readonly t: TestApp,
    private readonly practice: Practice,
  ) {}

  /** The record of this kind to act on: a fresh one of the kinds a write can use up, the world's for the others. */
  async of(kind: Kind): Promise<number> {
    if (!FRESH[kind]) return this.practice.ids[kind];
    let id = this.current.get(kind);
    if (id === undefined) this.current.set(kind, (id = await this.make(kind)));
    return id;
  }

  /** After a write succeeded on it: the next run gets another. */
  usedUp(kind: Kind): void {
    this.current.delete(kind);
  }

  /** A new record; a fuzzed write may have taken its time or day, so the next free one is tried. */
  private async make(kind: Kind): Promise<number> {
    let last: unknown;
    for (let attempt = 0; attempt < 50; attempt++) {
      const n = this.made++;
      const { query, variables } = FRESH[kind]!(this.practice, n);
      const result = await this.t.gql(query, variables, this.practice.tokens.admin);
      if (!result.errors) return Number((Object.values(result.data!)[0] as { id: string }).id);
      last = result.errors;
    }
    throw new Error(`could not make a fresh ${kind}: ${JSON.stringify(last)}`);
  }
}

const pad = (n: number) => String(n).padStart(2, "0");

/** How to make a fresh record of the kinds a write can use up; the n-th one gets its own time. */
const FRESH: Partial<Record<Kind, (p: Practice, n: number) => { query: string; variables: Record<string, unknown> }>> =
  {
    // Back to back from February on: fuzzed valid bodies book in January.
    session: (p, n) => ({
      query: `mutation($input: BookSessionInput!) { bookSession(input: $input) { id } }`,
      variables: {
        input: {
          providerId: String(p.ids.provider),
          clientId: String(p.ids.client),
          startsAt: new Date(Date.UTC(2030, 1, 1) + n * 30 * 60_000).toISOString(),
          durationMinutes: 30,
          modality: "VIDEO",
        },
      },
    }),
    detail: (p) => ({
      query: `mutation($input: TreatmentDetailInput!) { createTreatmentDetail(input: $input) { id } }`,
      variables: {
        input: {
          sessionId: String(p.ids.session),
          itemId: String(p.ids.item),
          unitId: String(p.ids.unit),
          quantity: 1,
        },
      },
    }),
    // Five minutes each, on days the world's and the fuzzed valid rules (Monday, Wednesday) leave alone.
    rule: (p, n) => {
      const start = (Math.floor(n / 5) * 5) % (24 * 60);
      const time = (minutes: number) => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
      return {
        query: `mutation($input: AvailabilityRuleInput!) { createAvailabilityRule(input: $input) { id } }`,
        variables: {
          input: {
            providerId: String(p.ids.provider),
            dayOfWeek: [0, 6, 5, 4, 2][n % 5],
            startTime: time(start),
            endTime: time(start + 4),
          },
        },
      };
    },
  };
