/**
 * The video module's public face: access tokens for a session's room and the room's status,
 * behind the VideoProvider interface (Twilio is its one adapter). Code outside the module imports from here
 * only; its GraphQL resolvers and object types are in ./graphql.ts (see there why apart).
 */
export { createVideoProvider } from "./create-video-provider.js";
export { TwilioSmsSender, TwilioVideoProvider, type SmsSender } from "./twilio-video.provider.js";
export { VideoProviderError, type VideoProvider } from "./video.provider.js";
export { issueVideoAccess, videoRoomStatus, type VideoAccessResult } from "./video.service.js";
