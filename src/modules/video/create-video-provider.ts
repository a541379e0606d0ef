import type { Config } from "../../config.js";
import { TwilioVideoProvider } from "./twilio-video.provider.js";
import type { VideoProvider } from "./video.provider.js";

/** Twilio when configured; without it the server runs and video operations answer UNAVAILABLE. */
export function createVideoProvider(config: Config): VideoProvider | undefined {
  return config.twilio ? new TwilioVideoProvider(config.twilio) : undefined;
}
