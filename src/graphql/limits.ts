import { ApolloArmor } from "@escape.tech/graphql-armor";
import { specifiedRules, validate, type DocumentNode, type GraphQLSchema } from "graphql";

/** What one GraphQL document may ask for (README: "GraphQL limits"). */
export const GRAPHQL_LIMITS = { maxDepth: 12, maxAliases: 15, maxTokens: 1000, maxCost: 5000 } as const;

/**
 * GraphQL Armor: depth, aliases, tokens and cost, for HTTP (Apollo plugins + validation rules)
 * and graphql-ws (the same validation rules). Field suggestions ("Did you mean ...?") are
 * masked when introspection is off, so a production schema cannot be guessed field by field.
 */
export function graphqlLimits(options: { hideSuggestions: boolean }) {
  const armor = new ApolloArmor({
    maxDepth: { n: GRAPHQL_LIMITS.maxDepth, ignoreIntrospection: true },
    maxAliases: { n: GRAPHQL_LIMITS.maxAliases },
    maxTokens: { n: GRAPHQL_LIMITS.maxTokens },
    costLimit: { maxCost: GRAPHQL_LIMITS.maxCost, ignoreIntrospection: true },
    maxDirectives: { n: 50 },
    blockFieldSuggestion: { enabled: options.hideSuggestions },
  });
  const { plugins, validationRules } = armor.protect();
  return {
    plugins,
    validationRules,
    /** graphql-ws validates itself: the same rules (max tokens is a parser limit Apollo applies; documents over a socket are bounded by depth, aliases and cost). */
    validateSubscription: (schema: GraphQLSchema, document: DocumentNode) => validate(schema, document, [...specifiedRules, ...validationRules]),
  };
}
