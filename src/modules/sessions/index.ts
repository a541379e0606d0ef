/**
 * The sessions module's public face: what code outside src/modules/sessions may use. Files
 * inside the module import each other directly.
 */
export { getVisibleSession, providerNotesFor } from "./session.access.js";
export { sessionById } from "./session.loaders.js";
export { JOIN_WINDOW_OPENS_MINUTES, sessionTiming, type Timing } from "./session.timing.js";
export {
  DEFAULT_PAGE_SIZE,
  listAllSessions,
  listSessions,
  listSessionsOfPlans,
  listSessionsPage,
  MAX_PAGE_SIZE,
  pageArgs,
  sessionStats,
  type SessionConnectionResult,
  type SessionFilter,
  type SessionOrder,
  type SessionOrderField,
} from "./session.query.js";
export { bookedEvent } from "./session.events.js";
export {
  bookSession,
  cancelActiveSessions,
  cancelSession,
  cancellationOf,
  completeSession,
  confirmSession,
  deleteSession,
  markNoShow,
  noticeHours,
  reassignSession,
  rescheduleSession,
  updateSession,
  checkBookingInput,
  checkSeatFree,
  providerTimeTaken,
  refusedSlots,
  resolveBookingParty,
  resolveTimes,
  writeBookings,
  type BookingDetails,
  type BookingParty,
  type RefusedSlot,
  type SeriesLink,
  type SlotTimes,
  type BookSessionCommand,
  type CompleteSessionCommand,
  type NewTimes,
  type ReassignSessionCommand,
  type UpdateSessionCommand,
} from "./session.service.js";
