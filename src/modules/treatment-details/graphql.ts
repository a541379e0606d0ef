/**
 * The treatment-details module's GraphQL face: its resolvers (for the schema) and the object types other
 * modules' resolvers return. Apart from index.ts because the types extend graphql/node.ts's Node,
 * which itself uses a service (the audit): a service importing another module's index must not
 * load resolvers, or that import cycle leaves Node uninitialized when a class extends it.
 */
export {
  CatalogResolver,
  ItemUsageResolver,
  SessionTreatmentDetailsResolver,
  TreatmentDetailResolver,
} from "./treatment-detail.resolver.js";
