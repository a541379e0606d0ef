/** The requests the scenarios send, and a small HTTP GraphQL client. */
import { DateTime } from "luxon";

/** Scenario 1: a provider's month, one page of 50 with everything a calendar shows nested. */
export const SESSIONS_PAGE = `query BenchSessionsPage($filter: SessionFilter!) {
  sessions(filter: $filter, first: 50) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id title status type modality startsAt endsAt location notes
      provider { id name email }
      client { id name email phone }
      treatmentPlan { id title status }
      treatmentDetails { id quantity item { id name sku } unit { id name } }
    }
  }
}`;

/** Issue 16's Q2: the same page, only the names (the side-by-side with PostGraphile's second query). */
export const SESSIONS_NAMES = `query BenchSessionsNames($filter: SessionFilter!) { sessions(filter: $filter, first: 50) { nodes { id provider { name } client { name } } } }`;

/** What any request costs before it reads anything (issue 16's third query). */
export const TYPENAME = "{ __typename }";

export const SLOTS_BY_PROVIDER = `query BenchSlotsByProvider($providerIds: [ID!]!, $from: Date!, $to: Date!) {
  availableSlotsByProvider(providerIds: $providerIds, from: $from, to: $to) { providerId days { date slots { startsAt availableDurations } } }
}`;

export const AVAILABLE_SLOTS = `query BenchSlots($providerId: ID!, $from: Date!, $to: Date!) {
  availableSlots(providerId: $providerId, from: $from, to: $to) { date slots { startsAt availableDurations } }
}`;

export const BOOK_SESSION = `mutation BenchBook($input: BookSessionInput!) { bookSession(input: $input) { id startsAt endsAt status } }`;

export const SLOTS_CHANGED = `subscription BenchSlotsChanged($providerId: ID!, $from: Date!, $to: Date) {
  slotsChanged(providerId: $providerId, from: $from, to: $to) {
    providerId dates reason cursor
    days { date slots { startsAt availableDurations } }
  }
}`;

/** The calendar month of a local date in a zone, as the instants sessions(filter) takes (both inclusive). */
export function monthOf(date: string, zone: string): { from: Date; to: Date; firstDay: string; lastDay: string } {
  const start = DateTime.fromISO(date, { zone }).startOf("month");
  const end = start.endOf("month");
  return { from: start.toJSDate(), to: end.toJSDate(), firstDay: start.toISODate()!, lastDay: end.toISODate()! };
}

export interface GraphQLResponse<T> {
  status: number;
  text: string;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

export function graphqlBody(query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify({ query, variables });
}

export function authHeaders(token: string): Record<string, string> {
  return { "content-type": "application/json", authorization: `Bearer ${token}` };
}

export async function graphql<T>(
  baseUrl: string,
  token: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: authHeaders(token),
    body: graphqlBody(query, variables),
  });
  const text = await response.text();
  let parsed: { data?: T | null; errors?: GraphQLResponse<T>["errors"] } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // Not JSON: the caller reports the status and text.
  }
  return { status: response.status, text, ...parsed };
}
