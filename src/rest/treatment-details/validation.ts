import { Ajv } from "ajv";
import type { FastifySchemaCompiler } from "fastify";

/**
 * Fastify's own Ajv settings, except that a JSON body is taken as sent: Fastify coerces "2",
 * true and null to integers, where Go's encoding/json refused them (and a null quantity is
 * missing). Path and query values are text and are still coerced.
 */
const defaults = { useDefaults: true, removeAdditional: true, allErrors: true } as const;
const coercing = new Ajv({ ...defaults, coerceTypes: "array" });
const strict = new Ajv({ ...defaults, coerceTypes: false });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === "body" ? strict : coercing).compile(schema);
