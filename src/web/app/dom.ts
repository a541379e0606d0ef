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

/** A labelled control: <label>Text <control></label>. */
export function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", {}, text), control);
}

export function option(value: string, text: string, selected = false): HTMLOptionElement {
  const el = h("option", { value }, text);
  el.selected = selected;
  return el;
}
