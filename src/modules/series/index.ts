/**
 * The series module's public face: courses of sessions booked from an RFC 5545 rule. Its
 * occurrences are ordinary sessions (the sessions module books, checks and cancels them); this
 * module expands rules, keeps the series row and edits occurrences together. Its GraphQL face is
 * ./graphql.ts.
 */
export { endRuleBefore, expandRecurrence, MAX_OCCURRENCES, MAX_SPAN_YEARS, parseRecurrence } from "./recurrence.js";
export { cancelInScope, rescheduleInScope, updateInScope, type EditScope } from "./series.edit.js";
export { shiftRule } from "./recurrence.js";
export {
  bookSeries,
  cancelSeries,
  findVisibleSeries,
  getVisibleSeries,
  previewSeries,
  seriesStatus,
  type BookSeriesCommand,
  type OccurrencePreview,
  type SeriesBookingResult,
  type SkippedOccurrence,
} from "./series.service.js";
