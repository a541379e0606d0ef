import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import {
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type ASTVisitor,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from "graphql";
import type { SubscribePayload } from "graphql-ws";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../modules/sessions/session.query.js";

/**
 * What one GraphQL document may ask for (README: "GraphQL limits"). Cost is Armor's (objects 2,
 * scalars 1, ×1.5 per level, × the page size): a full page of 100 sessions with their people,
 * plan and items costs about 13,000; 100 sessions each with 100 nested sessions about 250,000.
 */
export const GRAPHQL_LIMITS = { maxDepth: 12, maxAliases: 15, maxTokens: 1000, maxCost: 20_000 } as const;

/**
 * GraphQL Armor's validation rules (depth, aliases, cost) for HTTP (Apollo) and graphql-ws alike.
 * Tokens are counted by graphql's own parser (Armor's token plugin throws where Apollo answers
 * 500). Field suggestions ("Did you mean ...?") are removed when introspection is off, so a
 * production schema cannot be guessed field by field.
 */
export function graphqlLimits(options: { hideSuggestions: boolean }) {
  const { validationRules: armorRules } = new ApolloArmor({
    maxDepth: { n: GRAPHQL_LIMITS.maxDepth, ignoreIntrospection: true },
    maxAliases: { n: GRAPHQL_LIMITS.maxAliases },
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    maxDirectives: { n: 50 },
    blockFieldSuggestion: { enabled: false },
  }).protect();
  const validationRules = [...armorRules, pagedCostRule()];
  const parseOptions = { maxTokens: GRAPHQL_LIMITS.maxTokens };
  const hideSuggestions = (errors: readonly GraphQLError[]) => {
    if (options.hideSuggestions) for (const error of errors) error.message = error.message.replace(/ ?Did you mean .+\?$/, "");
    return errors;
  };
  const suggestionsHidden: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          hideSuggestions(errors);
        },
      };
    },
  };
  return {
    plugins: [suggestionsHidden],
    validationRules,
    /** Apollo's parseOptions: graphql's parser stops at maxTokens with a syntax error (400). */
    parseOptions,
    /**
     * graphql-ws's onSubscribe: the same token limit, rules and masking as over HTTP. A document
     * that does not parse or validate fails its subscription (an error message), not the socket.
     */
    prepareSubscription(schema: GraphQLSchema, payload: SubscribePayload): ExecutionArgs | readonly GraphQLError[] {
      let document: DocumentNode;
      try {
        document = parse(payload.query, parseOptions);
      } catch (err) {
        if (!(err instanceof GraphQLError)) throw err;
        return [new GraphQLError(err.message, { nodes: err.nodes, source: err.source, positions: err.positions, extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
      }
      const errors = validate(schema, document, [...specifiedRules, ...validationRules]);
      if (errors.length) return hideSuggestions(errors);
      // Queries and mutations go over HTTP, where each has its request transaction, write limit and audit.
      if (getOperationAST(document, payload.operationName)?.operation !== "subscription") {
        return [new GraphQLError("Only subscriptions are served over WebSocket; send queries and mutations with HTTP POST /graphql", { extensions: { code: "BAD_REQUEST" } })];
      }
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
    },
  };
}

/**
 * Armor's cost limit, with every paged field costed at the page size it will really get:
 * Armor multiplies by a literal `first` only, so `first: $n` or no `first` at all would count
 * once. Here a literal is clamped to 100 as the resolvers clamp it, a variable counts as the
 * most it can be (100), and an omitted `first` as the default page (20).
 */
function pagedCostRule(): ValidationRule {
  const [costRule] = new ApolloArmor({
    costLimit: { maxCost: GRAPHQL_LIMITS.maxCost, ignoreIntrospection: true },
    maxDepth: { enabled: false },
    maxAliases: { enabled: false },
    maxTokens: { enabled: false },
    maxDirectives: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }).protect().validationRules;
  return (context) => {
    // Armor's visitor computes the whole operation's cost when it enters the operation.
    const armorVisitor = costRule(context) as ASTVisitor & { OperationDefinition: { enter(node: OperationDefinitionNode): void } };
    return { OperationDefinition: (node) => armorVisitor.OperationDefinition.enter(withPageSizes(node, context.getSchema())) };
  };
}

/** The operation with `first: <the page size the field will return>` on every field that pages. */
function withPageSizes(operation: OperationDefinitionNode, schema: GraphQLSchema): OperationDefinitionNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    operation,
    visitWithTypeInfo(typeInfo, {
      Field(field: FieldNode) {
        if (!typeInfo.getFieldDef()?.args.some((arg) => arg.name === "first")) return undefined;
        const given = field.arguments?.find((arg) => arg.name.value === "first")?.value;
        if (given?.kind === Kind.INT && Number(given.value) <= MAX_PAGE_SIZE) return undefined;
        const size = given === undefined ? DEFAULT_PAGE_SIZE : MAX_PAGE_SIZE;
        const first = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: "first" }, value: { kind: Kind.INT, value: String(size) } } as const;
        return { ...field, arguments: [...(field.arguments ?? []).filter((arg) => arg.name.value !== "first"), first] };
      },
    }),
  );
}
