import { registerEnumType } from "type-graphql";

/**
 * GraphQL enums registered from the database's own lists (a pgEnum's enumValues, a checked
 * column's values): the database is the single source, as src/modules/events/outbox.ts's event
 * types are. A value added to the database enum is in the schema at the next `schema:emit`.
 */

/** { SCHEDULED: "SCHEDULED", ... }: a database enum whose GraphQL names are its values. */
export function databaseEnum<const V extends string>(
  name: string,
  values: readonly V[],
  options: { description?: string } = {},
): { readonly [K in V]: K } {
  const enumObject = Object.fromEntries(values.map((v) => [v, v])) as { readonly [K in V]: K };
  registerEnumType(enumObject, { name, ...options });
  return enumObject;
}

/** { SUCCESS: "success", ... }: a database enum of lowercase values, named in GraphQL by their uppercase. */
export function upperCasedEnum<const V extends string>(
  name: string,
  values: readonly V[],
  options: { description?: string } = {},
): { readonly [K in V as Uppercase<K>]: K } {
  const enumObject = Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as {
    readonly [K in V as Uppercase<K>]: K;
  };
  registerEnumType(enumObject, { name, ...options });
  return enumObject;
}
