/**
 * JSON schemas of /so/api/treatment-details: request validation, the OpenAPI document and,
 * through TypeBox, the types of the requests the handlers read.
 */
import { idSchema, nullableIdSchema } from "../primitives.js";

export const TAGS = ["treatment-details"];

/** Our ids are PostgreSQL integers: anything outside 1..2^31-1 cannot name a record. (envelope.ts words its errors with it.) */
const optionalId = <const D extends string, const E extends number>(description: D, example: E) =>
  ({ ...nullableIdSchema(description), examples: [example] }) as const;

export const tenantHeaders = {
  type: "object",
  properties: {
    "x-tenant-code": {
      type: "string",
      description: "The tenant of the token (400 when missing, 403 when another tenant's)",
    },
  },
  required: ["x-tenant-code"],
} as const;

export const detailParams = {
  type: "object",
  properties: { id: idSchema("The treatment detail's id") },
  required: ["id"],
} as const;

export const byTreatmentParams = {
  type: "object",
  properties: { treatment_id: idSchema("The treatment (= session) id") },
  required: ["treatment_id"],
} as const;

export const listQuery = {
  type: "object",
  properties: {
    treatment_id: idSchema("Only the details of this treatment (= session)"),
    item_id: idSchema("Only the details of this item"),
  },
} as const;

/** Go's TreatmentDetailRequest: unknown fields are ignored, as encoding/json does. */
export const detailRequest = {
  type: "object",
  properties: {
    treatment_id: optionalId("The treatment (= session) this detail belongs to", 5001),
    item_id: optionalId("The item/product used", 101),
    unit_id: optionalId("The unit of measurement", 1),
    quantity: { type: "integer", description: "Quantity of the item used (required, greater than 0)", examples: [2] },
  },
  required: ["quantity"],
} as const;

const nullableInteger = (description: string) => ({ type: ["integer", "null"], description });
const timestamp = (description: string) => ({ type: "string", format: "date-time", description });

const treatmentDetail = {
  type: "object",
  properties: {
    id: { type: "integer" },
    treatment_id: nullableInteger("The treatment (= session)"),
    item_id: nullableInteger("The item/product"),
    unit_id: nullableInteger("The unit of measurement"),
    quantity: { type: "integer" },
    created_by: nullableInteger("User id of the creator"),
    updated_by: nullableInteger("User id of the last updater"),
    deleted_by: nullableInteger("User id of the deleter (always null: deleted records are not returned)"),
    deleted_at: {
      type: ["string", "null"],
      format: "date-time",
      description: "Always null: deleted records are not returned",
    },
    created_at: timestamp("UTC"),
    updated_at: timestamp("UTC"),
  },
  required: [
    "id",
    "treatment_id",
    "item_id",
    "unit_id",
    "quantity",
    "created_by",
    "updated_by",
    "deleted_by",
    "deleted_at",
    "created_at",
    "updated_at",
  ],
};

const success = (description: string, data: object) => ({
  description,
  type: "object",
  properties: { status: { type: "string", enum: ["success"] }, message: { type: "string" }, data },
  required: ["status", "message", "data"],
});

const failure = {
  description: "The Gin error envelope",
  type: "object",
  properties: {
    status: { type: "string", enum: ["error"] },
    message: { type: "string" },
    error: { type: ["string", "null"], description: "Details, or null" },
  },
  required: ["status", "message", "error"],
};

const errors = { "4xx": failure, "5xx": failure };

export const detailResponse = (description: string, status = 200) => ({
  [status]: success(description, treatmentDetail),
  ...errors,
});
export const listResponse = {
  200: success("The details, oldest first", { type: "array", items: treatmentDetail }),
  ...errors,
};
export const deletedResponse = { 200: success("Soft deleted", { type: "null" }), ...errors };
