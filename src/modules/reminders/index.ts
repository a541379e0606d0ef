/**
 * The reminders module's public face: reminders of sessions by email and SMS. Which reminders a
 * session has is the database's rule (drizzle/0014: triggers on sessions, in the session's own
 * transaction); this module holds the tenant's settings, sends due reminders through the job
 * engine and the transports (SMTP, Twilio Messaging), and resolves Session.reminders. Its
 * GraphQL face is ./graphql.ts.
 */
export { startReminderDelivery } from "./reminder.delivery.js";
export { REMINDER_QUEUE } from "./reminder.jobs.js";
export { reminderEmail, reminderSms, sessionUid, type ReminderFacts } from "./reminder.message.js";
export { ReminderSender, type ReminderJob, type SendOutcome } from "./reminder.sender.js";
export { createReminderTransports, type ReminderTransports } from "./reminder.transports.js";
export { reminderSettings, updateReminderSettings, type ReminderSettings } from "./reminders.service.js";
