import type { FastifyInstance } from "fastify";
import { issueVideoAccess, videoRoomStatus, type VideoAccessResult } from "../../modules/video/index.js";
import { drfDateTime, drfDateTimeOrNull } from "../drf.js";
import { BAD_REQUEST_SCHEMA, DETAIL_SCHEMA, ID_PARAMS, shimRoutes } from "../primitives.js";
import type { ShimOptions } from "../shim.js";

const tags = ["psychologist video"];
const integer = { type: "integer" } as const;
const text = { type: "string" } as const;
const nullableInteger = { type: ["integer", "null"] } as const;
const nullableText = { type: ["string", "null"] } as const;
const ERRORS = {
  400: BAD_REQUEST_SCHEMA,
  401: DETAIL_SCHEMA,
  403: DETAIL_SCHEMA,
  404: DETAIL_SCHEMA,
  503: DETAIL_SCHEMA,
} as const;

const TOKEN_PROPERTIES = {
  access_token: { type: "string", description: "A Twilio Video access token (JWT)" },
  room_name: text,
  user_identity: text,
  expires_in: { type: "integer", description: "Seconds: the appointment's duration + 30 minutes" },
  expires_at: text,
  appointment_id: integer,
  appointment_duration_minutes: integer,
  token_valid_until: { type: "string", description: 'e.g. "90 minutes (1 hours)"' },
} as const;
const TOKEN_SCHEMA = { type: "object", required: Object.keys(TOKEN_PROPERTIES), properties: TOKEN_PROPERTIES } as const;
const REFRESHED_SCHEMA = {
  type: "object",
  required: [...Object.keys(TOKEN_PROPERTIES), "refreshed_at"],
  properties: { ...TOKEN_PROPERTIES, refreshed_at: text },
} as const;

const STATUS_SCHEMA = {
  type: "object",
  required: [
    "room_name",
    "room_sid",
    "status",
    "participants_count",
    "participants",
    "duration",
    "created_at",
    "appointment_id",
  ],
  properties: {
    room_name: { type: ["string", "null"], description: "null until the first token is issued" },
    room_sid: nullableText,
    status: {
      type: "string",
      description: '"not-started" until the room exists, then Twilio\'s: in-progress, completed, failed',
    },
    participants_count: integer,
    participants: {
      type: "array",
      items: {
        type: "object",
        required: ["sid", "identity", "status", "duration", "connected_at"],
        properties: { sid: text, identity: text, status: text, duration: nullableInteger, connected_at: nullableText },
      },
    },
    duration: nullableInteger,
    created_at: nullableText,
    appointment_id: integer,
  },
} as const;

function tokenJson(access: VideoAccessResult) {
  const minutes = Math.floor(access.expiresIn / 60);
  return {
    access_token: access.accessToken,
    room_name: access.roomName,
    user_identity: access.identity,
    expires_in: access.expiresIn,
    expires_at: drfDateTime(access.expiresAt),
    appointment_id: access.sessionId,
    appointment_duration_minutes: access.durationMinutes,
    token_valid_until: `${minutes} minutes (${Math.floor(minutes / 60)} hours)`,
  };
}

export function videoRoutes(api: FastifyInstance, options: ShimOptions): void {
  const routes = shimRoutes(api, options);

  // Issuing a token creates the room: a write, rate-limited like the issueVideoAccess mutation.
  routes.get(
    "/video-token/:id/",
    {
      config: { countsAsWrite: true },
      schema: {
        tags,
        summary: "A token to join the appointment's video room (its psychologist, its patient or an administrator)",
        description: "From 10 minutes before the start until the end of an active telehealth appointment.",
        params: ID_PARAMS,
        response: { 200: TOKEN_SCHEMA, ...ERRORS },
      },
    },
    async (ctx, request) => tokenJson(await issueVideoAccess(ctx, request.params.id)),
  );

  routes.get(
    "/video-token-refresh/:id/",
    {
      config: { countsAsWrite: true },
      schema: {
        tags,
        summary: "A new token for the same room, before the current one expires",
        params: ID_PARAMS,
        response: { 200: REFRESHED_SCHEMA, ...ERRORS },
      },
    },
    async (ctx, request) => {
      const access = await issueVideoAccess(ctx, request.params.id, { refresh: true });
      return { ...tokenJson(access), refreshed_at: drfDateTime(access.refreshedAt!) };
    },
  );

  routes.get(
    "/video-status/:id/",
    {
      schema: {
        tags,
        summary: "The video room's status and participants",
        params: ID_PARAMS,
        response: { 200: STATUS_SCHEMA, ...ERRORS },
      },
    },
    async (ctx, request) => {
      const room = await videoRoomStatus(ctx, request.params.id);
      return {
        room_name: room.roomName,
        room_sid: room.roomSid,
        status: room.status,
        participants_count: room.participantsCount,
        participants: room.participants.map((p) => ({
          sid: p.sid,
          identity: p.identity,
          status: p.status,
          duration: p.durationSeconds,
          connected_at: drfDateTimeOrNull(p.connectedAt),
        })),
        duration: room.durationSeconds,
        created_at: drfDateTimeOrNull(room.createdAt),
        appointment_id: room.sessionId,
      };
    },
  );
}
