/** The reminders module's GraphQL face: its resolvers and object types (apart from index.ts, as every module's). */
export { ReminderSettingsResolver, SessionRemindersResolver } from "./reminders.resolver.js";
export { Reminder, ReminderChannel, ReminderSettings } from "./reminders.type.js";
