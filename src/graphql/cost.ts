import { DAY } from "../time.js";
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  type DocumentNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";
import { AUDIT_LOG_LIMIT } from "../modules/audit/index.js";
import { MAX_PROVIDERS_PER_SLOTS_REQUEST, MAX_SLOT_RANGE_DAYS } from "../modules/availability/index.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../modules/sessions/index.js";
import { operationWalk, selectedFields, type SelectedField } from "./operation-fields.js";

/**
 * The cost of an operation, computed on what will really execute: fragments (named and inline)
 * expanded, aliases counted one by one, variables coerced and applied, @skip/@include honoured.
 * A field is worth 1 per scalar and 2 per object plus its selections, times the number of
 * entries its list can hold. The count of entries is the list's real bound wherever the code
 * sets one (a page: `first` clamped as the resolvers clamp it; the slot lists: the days of the
 * range, the starts of a day, the distinct providers; a list of scalars is one value), so that `first: $n` in a fragment costs
 * what `first: 100` costs inline. graphql-query-complexity does this too, but its ESM build loads
 * a second copy of graphql under this project's layout ("another module or realm"); Armor's cost
 * rule sees neither variables nor types. So: the operation's fields as operation-fields.ts walks
 * them (the walk the write limit and the audit use too), priced here.
 */
export const OBJECT_COST = 2;
export const SCALAR_COST = 1;

/**
 * Lists whose length is the tenant's data (users, plans, items, ...), with no bound in the code,
 * are planned at these sizes; what they really return is bounded by the response budget
 * (src/modules/response-budget.ts), charged as their rows are read.
 */
export const ROOT_DATA_LIST_SIZE = 100;
export const NESTED_DATA_LIST_SIZE = 10;
/** A local day on a 30-minute grid has 48 starts; 50 on the day a DST change adds an hour. */
export const SLOTS_PER_DAY = 50;

/** What an ancestor field fixed for the lists below it: the days of a slot range. */
interface Scope {
  days: number;
}

type Args = Record<string, unknown>;
type ListSize = (args: Args, scope: Scope) => number;

const distinct = (value: unknown) => (Array.isArray(value) ? new Set(value).size : 1);
/** Local dates from..to inclusive, as the slot services count them (to defaults to from); at most 62. */
function rangeDays(args: Args): number {
  const from = typeof args.from === "string" ? Date.parse(`${args.from}T00:00:00Z`) : NaN;
  const to = typeof args.to === "string" ? Date.parse(`${args.to}T00:00:00Z`) : from;
  const days = Math.round((to - from) / DAY) + 1;
  return Number.isFinite(days) && days >= 1 ? Math.min(days, MAX_SLOT_RANGE_DAYS) : MAX_SLOT_RANGE_DAYS;
}
const slotScope = (args: Args): Scope => ({ days: rangeDays(args) });

/** How many entries each list field below can hold (the page size of a connection is applied where `first` is). */
const LIST_SIZES: Record<string, ListSize> = {
  "Query.auditLog": () => AUDIT_LOG_LIMIT,
  "Query.availableSlots": (_, scope) => scope.days,
  // Over 100 distinct providers the service refuses the request (BAD_USER_INPUT) before any work.
  "Query.availableSlotsByProvider": (args) =>
    distinct(args.providerIds) > MAX_PROVIDERS_PER_SLOTS_REQUEST ? 1 : distinct(args.providerIds),
  "ProviderSlots.days": (_, scope) => scope.days,
  "SlotsChange.dates": (_, scope) => scope.days,
  "SlotsChange.days": (_, scope) => scope.days,
  "DaySlots.slots": () => SLOTS_PER_DAY,
  // A page's entries are counted once, on the connection field that takes `first`.
  "SessionConnection.nodes": () => 1,
  "SessionConnection.edges": () => 1,
  "SessionStats.byStatus": () => 5,
  "SessionStats.byType": () => 6,
  "Mutation.createTreatmentDetails": (args) => (Array.isArray(args.lines) ? args.lines.length : 1),
  "Query.freeIntervals": () => 25,
  "Session.treatmentDetails": () => NESTED_DATA_LIST_SIZE,
};
/** The fields whose arguments set the scope of the slot lists below them. */
const SCOPES: Record<string, (args: Args) => Scope> = {
  "Query.availableSlots": slotScope,
  "Query.availableSlotsByProvider": slotScope,
  "Subscription.slotsChanged": slotScope,
};

/** The page a connection will return: `first` defaults to 20 and is clamped to 0..100, as listSessions does. */
function pageSize(first: unknown): number {
  if (typeof first !== "number") return DEFAULT_PAGE_SIZE;
  return Math.max(1, Math.min(first, MAX_PAGE_SIZE));
}

function entries(parent: string, field: GraphQLField<unknown, unknown>, args: Args, scope: Scope): number {
  if (field.args.some((arg) => arg.name === "first")) return pageSize(args.first);
  const known = LIST_SIZES[`${parent}.${field.name}`];
  if (known) return known(args, scope);
  if (!isListType(getNullableType(field.type))) return 1;
  return parent === "Query" || parent === "Mutation" ? ROOT_DATA_LIST_SIZE : NESTED_DATA_LIST_SIZE;
}

/**
 * The cost of the operation `operationName` of `document` with these (raw) variables, or
 * undefined when the variables do not coerce (execution then answers BAD_USER_INPUT itself).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
): number | undefined {
  const prepared = operationWalk(schema, document, operationName, rawVariables);
  if (!prepared) return undefined;
  const { operation, walk } = prepared;
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const coerced = walk.variables ?? {};

  const selectionCost = (
    set: SelectionSetNode,
    type: GraphQLCompositeType,
    scope: Scope,
    inFragments: ReadonlySet<string>,
  ): number => selectedFields(walk, set, type, inFragments).reduce((cost, field) => cost + fieldCost(field, scope), 0);

  const fieldCost = ({ node, parentType: parent, inFragments }: SelectedField, scope: Scope): number => {
    const name = node.name.value;
    // Introspection is answered from the schema in memory, and is switched off in production.
    if (name.startsWith("__")) return name === "__typename" ? SCALAR_COST : 0;
    if (!parent || (!isObjectType(parent) && !isInterfaceType(parent))) return 0;
    const field = parent.getFields()[name];
    if (!field) return 0;
    let args: Args;
    try {
      args = getArgumentValues(field, node, coerced);
    } catch {
      args = {};
    }
    const key = `${parent.name}.${name}`;
    const inner = SCOPES[key]?.(args) ?? scope;
    const size = entries(parent.name, field, args, inner);
    const named = getNamedType(field.type);
    // A list of scalars is one value whose length the code bounds (a slot's durations: at most 8).
    if (!node.selectionSet || !isCompositeType(named)) return SCALAR_COST;
    return size * (OBJECT_COST + selectionCost(node.selectionSet, named, inner, inFragments));
  };

  return selectionCost(operation.selectionSet, root, { days: MAX_SLOT_RANGE_DAYS }, new Set());
}
