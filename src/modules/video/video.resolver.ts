import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import type { RequestContext } from "../context.js";
import {
  issueVideoAccess,
  videoRoomStatus,
  type VideoAccessResult,
  type VideoRoomStatusResult,
} from "./video.service.js";
import { VideoAccess, VideoRoomStatus } from "./video.type.js";

@Resolver()
export class VideoResolver {
  @Query(() => VideoRoomStatus, {
    description: "The session's video room: status and participants (provider, client or ADMIN)",
  })
  videoRoomStatus(
    @Arg("sessionId", () => RecordId) sessionId: number,
    @Ctx() ctx: RequestContext,
  ): Promise<VideoRoomStatusResult> {
    return videoRoomStatus(ctx, sessionId);
  }

  @Mutation(() => VideoAccess, {
    description:
      "A token to join an active VIDEO session, from 10 minutes before its start until its end; calling again refreshes (refreshedAt set)",
  })
  issueVideoAccess(
    @Arg("sessionId", () => RecordId) sessionId: number,
    @Ctx() ctx: RequestContext,
  ): Promise<VideoAccessResult> {
    return issueVideoAccess(ctx, sessionId);
  }
}
