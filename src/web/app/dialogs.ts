/**
 * The page's dialogs (<dialog>, modal, Escape closes): booking a free slot through a hold, a
 * session's details with confirm / reschedule / cancel, a group session's seats.
 */
import { ApiError, request } from "./api.js";
import { h, labelled, option } from "./dom.js";
import {
  BookSessionDocument,
  CancelSessionDocument,
  ConfirmSessionDocument,
  HoldSlotDocument,
  PeopleDocument,
  ReleaseHoldDocument,
  RescheduleSessionDocument,
  type CalendarDayFragment,
  type CalendarGroupFragment,
  type CalendarSessionFragment,
  type Modality,
  type PeopleQuery,
} from "./generated/graphql.js";
import { formatWhen, instantOf, wallTime } from "./time.js";

export interface DialogContext {
  token: string;
  staff: boolean;
  providerId: string;
  providerName: string;
  /** The zone the calendar shows (the dialogs read and write times in it). */
  zone: string;
  /** A session the page should show at once (the live event confirms it). */
  changed(session: CalendarSessionFragment): void;
}

type Slot = CalendarDayFragment["slots"][number];
const HOLD_SECONDS = 300;
const MODALITIES: [Modality, string][] = [
  ["IN_PERSON", "In person"],
  ["VIDEO", "Video"],
  ["AUDIO", "Audio"],
  ["CHAT", "Chat"],
];
const ACTIVE = new Set(["SCHEDULED", "CONFIRMED"]);

let dialogCount = 0;
function modal(title: string, ...content: (Node | null)[]): { dialog: HTMLDialogElement; close(): void } {
  const id = `dialog-title-${++dialogCount}`;
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": id }, h("h2", { id }, title), ...content);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close: () => dialog.close() };
}

function errorLine(): { el: HTMLElement; show(err: unknown): void } {
  const el = h("p", { class: "error", role: "alert", "data-testid": "dialog-error" });
  return {
    el,
    show: (err) => (el.textContent = err instanceof ApiError ? err.message : String((err as Error)?.message ?? err)),
  };
}

let clients: Promise<PeopleQuery["users"]> | undefined;
/** The clients the signed-in staff member sees (a provider: those in their care or with a session of theirs). */
function careList(token: string): Promise<PeopleQuery["users"]> {
  clients ??= request(PeopleDocument, { role: "CLIENT" }, token).then((r) => r.users);
  return clients;
}

/** Book a free slot: the slot is held while the dialog is open, and the booking consumes the hold. */
export function openBooking(ctx: DialogContext, slot: Slot): void {
  const error = errorLine();
  const duration = h("select", { name: "duration" });
  for (const minutes of slot.availableDurations) duration.append(option(String(minutes), `${minutes} minutes`));
  const client = h("select", { name: "client", required: true });
  const title = h("input", { name: "title", maxlength: "200", placeholder: "Session" });
  const modality = h("select", { name: "modality" });
  for (const [value, text] of MODALITIES) modality.append(option(value, text));
  const holdStatus = h("p", { class: "hold", "data-testid": "hold-status" }, "Holding this time for you…");
  const confirm = h("button", { type: "submit", class: "primary", "data-testid": "book-confirm" }, "Book");
  let hold: { id: string; expiresAt: string } | undefined;
  let booked = false;

  const release = () => {
    if (hold) void request(ReleaseHoldDocument, { id: hold.id }, ctx.token).catch(() => {});
    hold = undefined;
  };
  let holding: Promise<void> = Promise.resolve();
  const placeHold = () => {
    release();
    holdStatus.textContent = "Holding this time for you…";
    holding = request(
      HoldSlotDocument,
      {
        input: {
          providerId: ctx.providerId,
          startsAt: slot.startsAt,
          durationMinutes: Number(duration.value),
          ttlSeconds: HOLD_SECONDS,
        },
      },
      ctx.token,
    ).then(
      ({ holdSlot }) => {
        hold = holdSlot;
        holdStatus.textContent = `Held for you until ${formatWhen(holdSlot.expiresAt, ctx.zone)}.`;
      },
      (err) => {
        holdStatus.textContent = "";
        error.show(err);
      },
    );
  };
  duration.addEventListener("change", placeHold);

  const form = h(
    "form",
    {
      method: "dialog",
      onsubmit: async (event) => {
        event.preventDefault();
        confirm.disabled = true;
        try {
          await holding;
          const { bookSession } = await request(
            BookSessionDocument,
            {
              input: {
                providerId: ctx.providerId,
                clientId: ctx.staff ? client.value : undefined,
                startsAt: slot.startsAt,
                durationMinutes: Number(duration.value),
                title: title.value.trim() || undefined,
                modality: modality.value as Modality,
                holdId: hold?.id,
              },
            },
            ctx.token,
          );
          booked = true;
          ctx.changed(bookSession);
          dialog.close();
        } catch (err) {
          error.show(err);
          confirm.disabled = false;
        }
      },
    },
    h("p", {}, `${formatWhen(slot.startsAt, ctx.zone)} with ${ctx.providerName}`),
    ctx.staff ? labelled("Client", client) : null,
    labelled("Duration", duration),
    labelled("Title", title),
    labelled("Modality", modality),
    holdStatus,
    error.el,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Keep looking"),
      confirm,
    ),
  );
  const { dialog } = modal("Book this time", form);
  dialog.addEventListener("close", () => {
    if (!booked) release();
  });
  if (ctx.staff) {
    client.append(option("", "Loading clients…"));
    void careList(ctx.token).then(
      (people) => client.replaceChildren(option("", "Choose a client"), ...people.map((p) => option(p.id, p.name))),
      (err) => error.show(err),
    );
  }
  placeHold();
}

function details(rows: [string, string | null | undefined][]): HTMLElement {
  return h(
    "dl",
    { class: "details" },
    rows.filter(([, v]) => v).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v!)]),
  );
}

export const sessionLabel = (s: CalendarSessionFragment) => s.title ?? s.type.charAt(0) + s.type.slice(1).toLowerCase();

/** A session: what it is, and for an upcoming one confirm (staff), reschedule (staff) and cancel. */
export function openSession(ctx: DialogContext, session: CalendarSessionFragment): void {
  const error = errorLine();
  const run = async (button: HTMLButtonElement, action: () => Promise<CalendarSessionFragment>) => {
    button.disabled = true;
    try {
      ctx.changed(await action());
      dialog.close();
    } catch (err) {
      error.show(err);
      button.disabled = false;
    }
  };
  const actions: HTMLElement[] = [];
  if (ACTIVE.has(session.status)) {
    if (ctx.staff && session.status === "SCHEDULED") {
      const confirm: HTMLButtonElement = h(
        "button",
        {
          type: "button",
          "data-testid": "confirm-session",
          onclick: () =>
            void run(
              confirm,
              async () => (await request(ConfirmSessionDocument, { id: session.id }, ctx.token)).confirmSession,
            ),
        },
        "Confirm session",
      );
      actions.push(h("div", { class: "actions" }, confirm));
    }
    if (ctx.staff && !session.groupSession) {
      const startsAt = h("input", {
        type: "datetime-local",
        name: "startsAt",
        step: "900",
        value: wallTime(session.startsAt, ctx.zone).slice(0, 16),
        required: true,
      });
      const minutes = h("input", {
        type: "number",
        name: "durationMinutes",
        min: "5",
        max: "1440",
        step: "5",
        value: String(session.durationMinutes),
      });
      const move = h("button", { type: "submit", "data-testid": "reschedule-session" }, "Reschedule");
      actions.push(
        h(
          "form",
          {
            class: "inline",
            onsubmit: (event) => {
              event.preventDefault();
              void run(move, async () => {
                const at = new Date(instantOf(`${startsAt.value}:00`, ctx.zone)).toISOString();
                const variables = { id: session.id, startsAt: at, durationMinutes: Number(minutes.value) };
                return (await request(RescheduleSessionDocument, variables, ctx.token)).rescheduleSession;
              });
            },
          },
          h(
            "fieldset",
            {},
            h("legend", {}, `Reschedule (${ctx.zone})`),
            labelled("Starts", startsAt),
            labelled("Minutes", minutes),
            move,
          ),
        ),
      );
    }
    const reason = h("textarea", { name: "reason", rows: "2", maxlength: "10000" });
    const cancel = h("button", { type: "submit", class: "danger", "data-testid": "cancel-session" }, "Cancel session");
    actions.push(
      h(
        "form",
        {
          class: "inline",
          onsubmit: (event) => {
            event.preventDefault();
            void run(cancel, async () => {
              const variables = { id: session.id, reason: reason.value.trim() || undefined };
              return (await request(CancelSessionDocument, variables, ctx.token)).cancelSession;
            });
          },
        },
        h("fieldset", {}, h("legend", {}, "Cancel"), labelled("Reason (optional)", reason), cancel),
      ),
    );
  }
  const { dialog } = modal(
    sessionLabel(session),
    details([
      ["When", `${formatWhen(session.startsAt, ctx.zone)}, ${session.durationMinutes} minutes`],
      ["Client", session.client?.name],
      ["Provider", session.provider?.name],
      ["Status", session.status.replace("_", " ").toLowerCase()],
      ["Type", session.type.toLowerCase()],
      ["Modality", session.modality.replace("_", " ").toLowerCase()],
      ["Series", session.series ? `occurrence ${session.occurrenceIndex} of ${session.series.recurrence}` : null],
      ["Group", session.groupSession ? "a seat in a group session" : null],
    ]),
    ...actions,
    error.el,
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => dialog.close() }, "Close")),
  );
}

/** A group session: its time, seats and attendees (each seat is also an ordinary session). */
export function openGroup(ctx: DialogContext, group: CalendarGroupFragment): void {
  const { dialog } = modal(
    group.title ?? "Group session",
    details([
      ["When", `${formatWhen(group.startsAt, ctx.zone)} to ${formatWhen(group.endsAt, ctx.zone)}`],
      ["Status", group.status.toLowerCase()],
      ["Seats", `${group.seatsTaken} of ${group.capacity} taken`],
      ["Modality", group.modality.replace("_", " ").toLowerCase()],
    ]),
    h(
      "ul",
      { class: "attendees", "aria-label": "Attendees" },
      group.attendees.map((a) => h("li", {}, `${a.client?.name ?? "A client"} (${a.status.toLowerCase()})`)),
    ),
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => dialog.close() }, "Close")),
  );
}
