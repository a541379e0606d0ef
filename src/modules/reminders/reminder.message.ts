import ical, { ICalCalendarMethod } from "ical-generator";
import { DateTime } from "luxon";
import type { Modality } from "../../db/schema/index.js";

/**
 * What a reminder may say: when, with whom, how and where. Deliberately no title, description,
 * notes or feedback (clinical text never leaves in an email or SMS).
 */
export interface ReminderFacts {
  sessionId: number;
  /** The session's revision: the invitation's SEQUENCE, so a calendar takes a moved session's newer copy. */
  revision: number;
  startsAt: Date;
  endsAt: Date;
  modality: Modality;
  location: string | null;
  providerName: string;
  /** The practice (the tenant's name). */
  practiceName: string;
  /** The client's IANA zone: every time is written in it. */
  timeZone: string;
}

export interface ReminderEmail {
  subject: string;
  text: string;
  html: string;
  /** An RFC 5545 calendar (METHOD:PUBLISH) with the session as its one event. */
  ics: string;
}

/** A session's iCalendar UID, the same in every invitation and calendar feed, whatever changes. */
export const sessionUid = (sessionId: number): string => `session-${sessionId}@sessiongraph`;

const HOW: Record<Modality, string> = {
  IN_PERSON: "in person",
  VIDEO: "by video",
  AUDIO: "by phone",
  CHAT: "by chat",
};

/** Where to go: the location, else what the modality means ("video: join from the app"). */
function where(facts: ReminderFacts): string {
  if (facts.location) return facts.location;
  return facts.modality === "IN_PERSON" ? "the practice" : `${facts.modality.toLowerCase()}: join from the app`;
}

const local = (facts: ReminderFacts, at: Date) => DateTime.fromJSDate(at, { zone: facts.timeZone }).setLocale("en-GB");

export function reminderEmail(facts: ReminderFacts): ReminderEmail {
  const start = local(facts, facts.startsAt);
  const when = `${start.toFormat("cccc d LLLL yyyy")} at ${start.toFormat("HH:mm")} (${start.toFormat("ZZZZ")}, ${facts.timeZone})`;
  const lines = [
    `This is a reminder of your session with ${facts.providerName}.`,
    `When: ${when}, until ${local(facts, facts.endsAt).toFormat("HH:mm")}`,
    `How: ${HOW[facts.modality]}`,
    `Where: ${where(facts)}`,
    `${facts.practiceName}`,
  ];
  const calendar = ical({
    prodId: { company: "sessiongraph", product: "reminders", language: "EN" },
    method: ICalCalendarMethod.PUBLISH,
  });
  calendar.createEvent({
    id: sessionUid(facts.sessionId),
    sequence: facts.revision,
    start: facts.startsAt,
    end: facts.endsAt,
    summary: `Session with ${facts.providerName}`,
    location: where(facts),
  });
  return {
    subject: `Reminder: your session on ${start.toFormat("ccc d LLL")} at ${start.toFormat("HH:mm")}`,
    text: `${lines.join("\n")}\n`,
    html: `<!doctype html><html><body>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join("")}</body></html>`,
    ics: calendar.toString(),
  };
}

/** One short line. */
export function reminderSms(facts: ReminderFacts): string {
  const start = local(facts, facts.startsAt);
  return `Reminder: your session with ${facts.providerName} is on ${start.toFormat("ccc d LLL 'at' HH:mm ZZZZ")} (${HOW[facts.modality]}).`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}
