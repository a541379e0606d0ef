/**
 * The week: FullCalendar's time grid (vanilla API) fed with the provider's sessions, group
 * sessions, working hours and free slots, kept current by slotsChanged and sessionChanged.
 */
import { Calendar, type EventClickArg, type EventInput, type EventMountArg } from "@fullcalendar/core";
import timeGridPlugin from "@fullcalendar/timegrid";
import { Live, request, type LiveState } from "./api.js";
import { openBooking, openGroup, openSession, sessionLabel, type DialogContext } from "./dialogs.js";
import { h, labelled, option } from "./dom.js";
import {
  ClientWeekDocument,
  PeopleDocument,
  ProviderWeekDocument,
  SessionChangedDocument,
  SlotsChangedDocument,
  UpcomingDocument,
  type CalendarDayFragment,
  type CalendarGroupFragment,
  type CalendarSessionFragment,
  type PeopleQuery,
  type ViewerQuery,
} from "./generated/graphql.js";
import { browserZone, dateIn, formatWhen, instantOf, wallTime } from "./time.js";

type Person = PeopleQuery["users"][number];
type Slot = CalendarDayFragment["slots"][number];
type Shown =
  | { kind: "slot"; slot: Slot }
  | { kind: "session"; session: CalendarSessionFragment }
  | { kind: "group"; group: CalendarGroupFragment };

/** Statuses drawn on the calendar (a cancelled session frees its time and disappears). */
const SHOWN = new Set(["SCHEDULED", "CONFIRMED", "COMPLETED", "NO_SHOW"]);
const UPCOMING = new Set(["SCHEDULED", "CONFIRMED"]);
const SLOT_MS = 30 * 60_000;
/** The time grid's own options: its type augmentation does not reach CalendarOptions under "Bundler" resolution. */
const TIME_GRID_OPTIONS = { allDaySlot: false };
const LIVE_TEXT: Record<LiveState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  "signed-out": "Signed out",
};

export class WeekView {
  private readonly staff: boolean;
  private readonly live: Live;
  private readonly calendar: Calendar;
  private readonly liveStatus = h(
    "span",
    { class: "live", "data-testid": "live-status", role: "status" },
    "Connecting…",
  );
  private readonly providerSelect = h("select", { name: "provider", "data-testid": "provider-select" });
  private readonly zoneSelect = h("select", { name: "zone", "data-testid": "zone-select" });
  private readonly upcomingList = h("ul", { class: "upcoming", "data-testid": "upcoming" });
  private readonly message = h("p", { class: "error", role: "alert" });
  private providers: Person[] = [];
  private provider?: Person;
  private visible?: { start: string; end: string };
  private window?: { from: number; to: number };
  private sessions = new Map<string, CalendarSessionFragment>();
  private days = new Map<string, Slot[]>();
  private hours: { startsAt: string; endsAt: string }[] = [];
  private groups: CalendarGroupFragment[] = [];
  private subscribed = "";
  private unsubscribe: (() => void)[] = [];
  private loads = 0;

  constructor(
    root: HTMLElement,
    private readonly token: string,
    private readonly me: ViewerQuery["me"],
    signOut: (message?: string) => void,
  ) {
    this.staff = me.role !== "CLIENT";
    this.live = new Live(token, (state) => {
      this.liveStatus.textContent = LIVE_TEXT[state];
      this.liveStatus.dataset.state = state;
      if (state === "signed-out")
        signOut("The server ended this sign-in (the token expired or the user was deactivated).");
    });
    const calendarEl = h("div", { class: "calendar", "data-testid": "calendar" });
    this.providerSelect.addEventListener("change", () => this.selectProvider(this.providerSelect.value));
    this.zoneSelect.addEventListener("change", () => {
      this.calendar.setOption("now", () => wallTime(Date.now(), this.zone));
      void this.reload();
    });
    root.replaceChildren(
      h(
        "header",
        { class: "top" },
        h("h1", {}, this.staff ? "Week" : "Book a session"),
        h("span", { class: "who" }, `${me.name} (${me.role.toLowerCase()})`),
        this.liveStatus,
        h("button", { type: "button", onclick: () => signOut() }, "Sign out"),
      ),
      h(
        "div",
        { class: "toolbar" },
        me.role === "PROVIDER" ? null : labelled(this.staff ? "Provider" : "Your provider", this.providerSelect),
        labelled("Time zone", this.zoneSelect),
        legend(this.staff),
      ),
      this.message,
      calendarEl,
    );
    if (!this.staff)
      root.append(
        h("section", { class: "upcoming-section" }, h("h2", {}, "Your upcoming sessions"), this.upcomingList),
      );
    const narrow = window.matchMedia("(max-width: 640px)").matches;
    this.calendar = new Calendar(calendarEl, {
      plugins: [timeGridPlugin],
      // FullCalendar is given wall times of the chosen zone (see time.ts) and draws them as UTC.
      timeZone: "UTC",
      now: () => wallTime(Date.now(), this.zone),
      initialView: narrow ? "timeGridDay" : "timeGridWeek",
      headerToolbar: { left: "prev,today,next", center: "title", right: "timeGridWeek,timeGridDay" },
      firstDay: 1,
      ...TIME_GRID_OPTIONS,
      nowIndicator: true,
      height: "auto",
      slotDuration: "00:30:00",
      slotMinTime: "08:00",
      slotMaxTime: "18:00",
      eventMinHeight: 18,
      displayEventEnd: false,
      slotEventOverlap: false,
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      datesSet: (info) => {
        this.visible = { start: info.startStr.slice(0, 10), end: info.endStr.slice(0, 10) };
        void this.reload();
      },
      eventClick: (info) => this.clicked(info),
      eventDidMount: (info) => this.mounted(info),
    });
    void this.start();
  }

  /** The zone the week is drawn in: the provider's, or this browser's. */
  private get zone(): string {
    return this.zoneSelect.value === "browser" ? browserZone : (this.provider?.timeZone ?? browserZone);
  }

  private async start(): Promise<void> {
    try {
      this.providers =
        this.me.role === "PROVIDER"
          ? [{ ...this.me }]
          : (await request(PeopleDocument, { role: "PROVIDER" }, this.token)).users;
    } catch (err) {
      this.message.textContent = (err as Error).message;
      return;
    }
    if (!this.providers.length) {
      this.message.textContent = this.staff ? "There is no provider yet." : "You are not in care with a provider yet.";
      return;
    }
    this.providerSelect.replaceChildren(...this.providers.map((p) => option(p.id, p.name)));
    this.selectProvider(this.providers[0].id);
    this.calendar.render();
  }

  private selectProvider(id: string): void {
    this.provider = this.providers.find((p) => p.id === id);
    const zone = this.provider?.timeZone ?? browserZone;
    const chosen = this.zoneSelect.value || "provider";
    this.zoneSelect.replaceChildren(
      option("provider", `The provider's (${zone})`, chosen === "provider"),
      option("browser", `This browser's (${browserZone})`, chosen === "browser"),
    );
    this.calendar.setOption("now", () => wallTime(Date.now(), this.zone));
    if (this.visible) void this.reload();
  }

  /** Reads the visible week again (on navigation, a zone or provider change, or a gap in the live feed). */
  private async reload(): Promise<void> {
    const provider = this.provider;
    if (!provider || !this.visible) return;
    const load = ++this.loads;
    const from = instantOf(`${this.visible.start}T00:00:00`, this.zone);
    const to = instantOf(`${this.visible.end}T00:00:00`, this.zone);
    const variables = {
      providerId: provider.id,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      fromDate: dateIn(from, provider.timeZone),
      toDate: dateIn(to - 1, provider.timeZone),
    };
    try {
      const week = this.staff
        ? await request(ProviderWeekDocument, variables, this.token)
        : { ...(await request(ClientWeekDocument, variables, this.token)), workingHours: [], groupSessions: [] };
      const upcoming = this.staff
        ? undefined
        : await request(UpcomingDocument, { from: new Date().toISOString() }, this.token);
      if (load !== this.loads) return; // a newer reload has started
      this.message.textContent = "";
      this.window = { from, to };
      this.sessions = new Map(week.sessions.nodes.map((s) => [s.id, s]));
      this.days = new Map(week.availableSlots.map((d) => [d.date, d.slots]));
      this.hours = week.workingHours;
      this.groups = week.groupSessions;
      if (upcoming) this.upcoming = upcoming.sessions.nodes;
      this.subscribe(provider.id, variables.fromDate, variables.toDate);
      this.render();
    } catch (err) {
      if (load === this.loads) this.message.textContent = (err as Error).message;
    }
  }

  private upcoming: CalendarSessionFragment[] = [];

  /** One slotsChanged and one sessionChanged for what is shown; kept while the same week is shown. */
  private subscribe(providerId: string, fromDate: string, toDate: string): void {
    const key = `${providerId}|${fromDate}|${toDate}`;
    if (key === this.subscribed) return;
    this.subscribed = key;
    for (const stop of this.unsubscribe) stop();
    const resync = () => void this.reload();
    this.unsubscribe = [
      this.live.subscribe(
        SlotsChangedDocument,
        { providerId, from: fromDate, to: toDate },
        {
          cursor: (data) => data.slotsChanged.cursor,
          next: (data) => {
            for (const day of data.slotsChanged.days) this.days.set(day.date, day.slots);
            this.render();
          },
          resync,
        },
      ),
      this.live.subscribe(SessionChangedDocument, this.staff ? { providerId } : { clientId: this.me.id }, {
        cursor: (data) => data.sessionChanged.cursor,
        next: (data) => this.apply(data.sessionChanged.session),
        resync,
      }),
    ];
  }

  /** A session as it is now: drawn, moved or gone; the client's upcoming list follows. */
  private apply(session: CalendarSessionFragment): void {
    const inWeek =
      this.window !== undefined &&
      Date.parse(session.endsAt) > this.window.from &&
      Date.parse(session.startsAt) < this.window.to &&
      session.provider?.id === this.provider?.id;
    if (inWeek && SHOWN.has(session.status)) this.sessions.set(session.id, session);
    else this.sessions.delete(session.id);
    if (!this.staff) {
      this.upcoming = this.upcoming.filter((s) => s.id !== session.id);
      if (UPCOMING.has(session.status) && Date.parse(session.startsAt) > Date.now()) {
        this.upcoming = [...this.upcoming, session].sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
      }
    }
    // A seat changes its group's counts and attendees: read the week again.
    if (this.staff && session.groupSession) void this.reload();
    else this.render();
  }

  private render(): void {
    const zone = this.zone;
    const events: EventInput[] = [];
    const at = (instant: string | number) => wallTime(instant, zone);
    for (const hours of this.hours)
      events.push({
        start: at(hours.startsAt),
        end: at(hours.endsAt),
        display: "background",
        classNames: ["working-hours"],
      });
    for (const slots of this.days.values())
      for (const slot of slots)
        events.push({
          id: `slot-${slot.startsAt}`,
          title: "Free",
          start: at(slot.startsAt),
          end: at(Date.parse(slot.startsAt) + SLOT_MS),
          classNames: ["slot"],
          extendedProps: { shown: { kind: "slot", slot } satisfies Shown },
        });
    for (const session of this.sessions.values()) {
      if (this.staff && session.groupSession) continue; // drawn once, as its group
      events.push({
        id: `session-${session.id}`,
        title: this.sessionTitle(session),
        start: at(session.startsAt),
        end: at(session.endsAt),
        classNames: [
          "session",
          `status-${session.status.toLowerCase()}`,
          session.series ? "series" : "",
          session.groupSession ? "seat" : "",
        ],
        extendedProps: { shown: { kind: "session", session } satisfies Shown },
      });
    }
    for (const group of this.groups) {
      if (group.status === "CANCELLED") continue;
      events.push({
        id: `group-${group.id}`,
        title: `Group: ${group.title ?? "group session"} · ${group.seatsTaken}/${group.capacity} seats`,
        start: at(group.startsAt),
        end: at(group.endsAt),
        classNames: ["group"],
        extendedProps: { shown: { kind: "group", group } satisfies Shown },
      });
    }
    this.fitHours(events);
    this.calendar.batchRendering(() => {
      this.calendar.removeAllEventSources();
      this.calendar.addEventSource(events);
    });
    if (!this.staff) this.renderUpcoming();
  }

  /** Shows the hours that hold something (08:00–18:00 when nothing does), so the week fits a screen. */
  private fitHours(events: EventInput[]): void {
    if (!events.length) return this.setHours(8, 18);
    let first = 24;
    let last = 0;
    for (const e of events) {
      const start = String(e.start);
      const end = String(e.end);
      if (start.slice(0, 10) !== end.slice(0, 10)) return this.setHours(0, 24);
      first = Math.min(first, Number(start.slice(11, 13)));
      last = Math.max(last, Number(end.slice(11, 13)) + (end.slice(14, 16) === "00" ? 0 : 1));
    }
    this.setHours(first, last);
  }

  private setHours(first: number, last: number): void {
    const pad = (n: number) => `${String(n).padStart(2, "0")}:00`;
    if (this.calendar.getOption("slotMinTime") !== pad(first)) this.calendar.setOption("slotMinTime", pad(first));
    if (this.calendar.getOption("slotMaxTime") !== pad(last)) this.calendar.setOption("slotMaxTime", pad(last));
  }

  private sessionTitle(session: CalendarSessionFragment): string {
    const what = sessionLabel(session);
    const series = session.series ? `↻ ${session.occurrenceIndex} · ` : "";
    return this.staff
      ? `${series}${session.client?.name ?? "Client"} · ${what}`
      : `${series}${what} with ${session.provider?.name ?? "your provider"}`;
  }

  private renderUpcoming(): void {
    const zone = this.zone;
    this.upcomingList.replaceChildren(
      ...(this.upcoming.length
        ? this.upcoming.map((s) =>
            h(
              "li",
              {},
              h(
                "button",
                { type: "button", "data-session-id": s.id, onclick: () => openSession(this.dialogContext(), s) },
                `${formatWhen(s.startsAt, zone)} · ${sessionLabel(s)} with ${s.provider?.name ?? "your provider"} (${s.status.toLowerCase()})`,
              ),
            ),
          )
        : [h("li", {}, "Nothing booked yet: choose a free time above.")]),
    );
  }

  private dialogContext(): DialogContext {
    return {
      token: this.token,
      staff: this.staff,
      providerId: this.provider!.id,
      providerName: this.provider!.name,
      zone: this.zone,
      changed: (session) => this.apply(session),
    };
  }

  private clicked({ event, jsEvent }: EventClickArg): void {
    jsEvent.preventDefault();
    const shown = event.extendedProps.shown as Shown | undefined;
    if (shown?.kind === "slot") openBooking(this.dialogContext(), shown.slot);
    else if (shown?.kind === "session") openSession(this.dialogContext(), shown.session);
    else if (shown?.kind === "group") openGroup(this.dialogContext(), shown.group);
  }

  /** The test contract's attributes and a spoken label on every slot, session and group. */
  private mounted({ event, el }: EventMountArg): void {
    const shown = event.extendedProps.shown as Shown | undefined;
    if (!shown) return;
    el.setAttribute("role", "button");
    if (shown.kind === "slot") {
      el.dataset.testid = "slot";
      el.dataset.start = shown.slot.startsAt;
      el.setAttribute("aria-label", `Free: ${formatWhen(shown.slot.startsAt, this.zone)}. Book this time`);
    } else if (shown.kind === "session") {
      el.dataset.testid = "session";
      el.dataset.sessionId = shown.session.id;
      el.dataset.status = shown.session.status;
      el.setAttribute(
        "aria-label",
        `${event.title}, ${formatWhen(shown.session.startsAt, this.zone)}, ${shown.session.status.toLowerCase()}`,
      );
    } else {
      el.dataset.testid = "group-session";
      el.dataset.groupId = shown.group.id;
      el.setAttribute("aria-label", `${event.title}, ${formatWhen(shown.group.startsAt, this.zone)}`);
    }
  }

  close(): void {
    for (const stop of this.unsubscribe) stop();
    this.live.close();
    this.calendar.destroy();
  }
}

function legend(staff: boolean): HTMLElement {
  const items: [string, string][] = [
    ["slot", "free"],
    ["status-scheduled", "scheduled"],
    ["status-confirmed", "confirmed"],
    ["status-completed", "completed"],
    ["status-no_show", "no-show"],
  ];
  if (staff) items.push(["group", "group session"], ["working-hours", "working hours"]);
  return h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    items.map(([cls, text]) => h("li", {}, h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), text)),
  );
}
