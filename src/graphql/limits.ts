import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
} from "graphql";
import type { SubscribePayload } from "graphql-ws";
import { operationCost } from "./cost.js";

/**
 * What one GraphQL document may ask for (README: "GraphQL limits"). Cost is src/graphql/cost.ts's
 * (scalars 1, objects 2, × the entries a list can hold, fragments expanded and variables applied):
 * a full page of 100 sessions with their people, plan and items costs about 16,600; the slots of
 * 100 providers for a day about 20,600 (so the limit is 25,000); 20 sessions each with 20 nested
 * sessions each with 20 more about 42,500; 100 with 100 nested about 50,000.
 */
export const GRAPHQL_LIMITS = { maxDepth: 12, maxAliases: 15, maxTokens: 1000, maxCost: 25_000 } as const;

/** An operation over the cost limit: refused before anything runs (HTTP 400 on /graphql). */
export function costError(cost: number): GraphQLError {
  return new GraphQLError(`Query Cost limit of ${GRAPHQL_LIMITS.maxCost} exceeded, found ${cost}.`, {
    extensions: { code: "GRAPHQL_VALIDATION_FAILED", reason: "TOO_MUCH_WORK", http: { status: 400 } },
  });
}

/** A refusal of these limits (depth, aliases, directives, tokens, cost) carries reason TOO_MUCH_WORK; formatError keeps it. */
function tooMuchWork(error: GraphQLError): GraphQLError {
  Object.assign(error.extensions, { reason: "TOO_MUCH_WORK" });
  return error;
}

/**
 * graphql's parser stops at maxTokens with this syntax error, and Armor's rules refuse depth,
 * aliases and directives with these; none has a code of its own (and Armor's onReject hooks
 * repeat the error), so their fixed texts are how they are told from a plain syntax or
 * validation error. Library wording, not ours: test/http/limits.test.ts pins each.
 */
const isTokenLimit = (error: GraphQLError) =>
  error.message.startsWith(`Syntax Error: Document contains more that ${GRAPHQL_LIMITS.maxTokens} tokens`);
const ARMOR_LIMIT = /^Syntax Error: (Query depth|Aliases|Directives) limit of \d+ exceeded/;
const isLimit = (error: GraphQLError) => isTokenLimit(error) || ARMOR_LIMIT.test(error.message);

/**
 * The cost of an operation depends on its variables, so it is checked per request, after
 * validation (which Apollo caches per document, without variables): here for HTTP, in
 * prepareSubscription for graphql-ws.
 */
function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): GraphQLError | undefined {
  const cost = operationCost(schema, document, operationName, variables);
  return cost !== undefined && cost > GRAPHQL_LIMITS.maxCost ? costError(cost) : undefined;
}

/**
 * GraphQL Armor's validation rules (depth, aliases) and the cost limit, for HTTP (Apollo) and graphql-ws alike.
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
  const validationRules = [...armorRules];
  const parseOptions = { maxTokens: GRAPHQL_LIMITS.maxTokens };
  const hideSuggestions = (errors: readonly GraphQLError[]) => {
    if (options.hideSuggestions)
      for (const error of errors) error.message = error.message.replace(/ ?Did you mean .+\?$/, "");
    return errors;
  };
  const suggestionsHidden: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request }) {
          const error = checkCost(schema, document, request.operationName, request.variables);
          if (error) throw error;
        },
        async didEncounterErrors({ errors }) {
          hideSuggestions(errors);
          for (const error of errors) if (isLimit(error)) tooMuchWork(error);
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
        const parseError = new GraphQLError(err.message, {
          nodes: err.nodes,
          source: err.source,
          positions: err.positions,
          extensions: { code: "GRAPHQL_PARSE_FAILED" },
        });
        return [isTokenLimit(err) ? tooMuchWork(parseError) : parseError];
      }
      const errors = validate(schema, document, [...specifiedRules, ...validationRules]);
      if (errors.length) return hideSuggestions(errors).map((error) => (isLimit(error) ? tooMuchWork(error) : error));
      // Queries and mutations go over HTTP, where each has its request transaction, write limit and audit.
      if (getOperationAST(document, payload.operationName)?.operation !== "subscription") {
        return [
          new GraphQLError(
            "Only subscriptions are served over WebSocket; send queries and mutations with HTTP POST /graphql",
            { extensions: { code: "BAD_REQUEST" } },
          ),
        ];
      }
      const tooCostly = checkCost(schema, document, payload.operationName, payload.variables);
      if (tooCostly) return [tooCostly];
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
    },
  };
}
