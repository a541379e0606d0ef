import { Field, Int, ObjectType } from "type-graphql";
import { RecordId } from "../../graphql/ids.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

@ObjectType("VideoAccess", { description: "A token to join a session's video room" })
export class VideoAccess {
  @Field(() => String, { description: "Twilio Video access token (JWT)" }) accessToken!: string;
  @Field(() => String) roomName!: string;
  @Field(() => String, { description: "<userId>-<email or username>" }) identity!: string;
  @Field(() => Int, {
    description: "Token lifetime in seconds: the session's duration plus 30 minutes, at most 24 hours",
  })
  expiresIn!: number;
  @Field(() => DateTimeScalar) expiresAt!: Date;
  @Field(() => RecordId) sessionId!: number;
  @Field(() => Int) durationMinutes!: number;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "Set when this token replaces an earlier one for the same room",
  })
  refreshedAt!: Date | null;
}

@ObjectType("VideoParticipant")
export class VideoParticipant {
  @Field(() => String) sid!: string;
  @Field(() => String) identity!: string;
  @Field(() => String, { description: "connected or disconnected" }) status!: string;
  @Field(() => Int, { nullable: true }) durationSeconds!: number | null;
  @Field(() => DateTimeScalar, { nullable: true }) connectedAt!: Date | null;
}

@ObjectType("VideoRoomStatus")
export class VideoRoomStatus {
  @Field(() => String, { nullable: true, description: "null until the first access token is issued for the session" })
  roomName!: string | null;
  @Field(() => String, { nullable: true }) roomSid!: string | null;
  @Field(() => String, { description: "not-started until the room is opened, then in-progress, completed or failed" })
  status!: string;
  @Field(() => Int) participantsCount!: number;
  @Field(() => [VideoParticipant], { description: "Everyone who joined, connected or already left" })
  participants!: VideoParticipant[];
  @Field(() => Int, { nullable: true }) durationSeconds!: number | null;
  @Field(() => DateTimeScalar, { nullable: true }) createdAt!: Date | null;
  @Field(() => RecordId) sessionId!: number;
}
