/**
 * An update input's fields: each of T's, optional, and null where GraphQL lets a client send
 * null. `class XPatch implements Patch<XInput>` keeps the two field lists the same names and
 * types (type-graphql's inheritance example, with `implements Partial<>`), while each keeps its
 * own nullability and descriptions in the schema.
 */
export type Patch<T> = { [K in keyof T]?: T[K] | null };
