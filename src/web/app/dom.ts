/** Elements built from data with textContent only (names and titles are people's input: never HTML). */
type Attrs = Record<string, string | boolean | undefined | ((event: Event) => void)>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, "");
    else if (typeof value === "string") el.setAttribute(name, value);
  }
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

let fields = 0;
/** A control with its <label for>, so its accessible name is exactly the label's text. */
export function labelled(text: string, control: HTMLElement): HTMLElement {
  control.id ||= `field-${++fields}`;
  return h("div", { class: "field" }, h("label", { for: control.id }, text), control);
}

export function option(value: string, text: string, selected = false): HTMLOptionElement {
  const el = h("option", { value }, text);
  el.selected = selected;
  return el;
}
