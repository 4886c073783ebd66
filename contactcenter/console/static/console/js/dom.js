// Small DOM helpers. Text always goes in through text nodes (never innerHTML), so customer and
// visitor data shows as typed, whatever markup it contains.

/**
 * Create an element. props: class, text, dataset, hidden, on<event>, or any attribute.
 * Children: nodes or strings (strings become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "hidden") el.hidden = Boolean(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";
const ICONS = {
  lock: "M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h1zm2 0h6V7a3 3 0 0 0-6 0v3z",
  paperclip:
    "M16.5 6.5 8.9 14.1a1.5 1.5 0 0 0 2.1 2.1l7.1-7.1a3.5 3.5 0 0 0-5-5L5.5 11.7a5.5 5.5 0 0 0 7.8 7.8l6.4-6.4 1.4 1.4-6.4 6.4a7.5 7.5 0 0 1-10.6-10.6l7.6-7.6a5.5 5.5 0 0 1 7.8 7.8l-7.1 7.1a3.5 3.5 0 0 1-5-5l7.6-7.6z",
  send: "M3 20.5 21 12 3 3.5l.01 6.6L15 12 3.01 13.9z",
  close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z",
  check: "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
  checks: "M1.4 12.6 7 18.2l1.4-1.4L2.8 11.2zM22.6 5.6 12 16.2 7.8 12l-1.4 1.4L12 19 24 7zM18 7l-1.4-1.4-6.3 6.3 1.4 1.4z",
  file: "M6 2h8l6 6v13a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm7 1.5V9h5.5z",
  bell: "M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11a6 6 0 0 0-5-5.9V4a1 1 0 0 0-2 0v1.1A6 6 0 0 0 6 11v5l-2 2v1h16v-1z",
  back: "M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z",
  globe:
    "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm6.9 6h-2.9a15.7 15.7 0 0 0-1.4-3.6A8 8 0 0 1 18.9 8zM12 4a14 14 0 0 1 1.9 4h-3.8A14 14 0 0 1 12 4zM4.3 14a8 8 0 0 1 0-4h3.4a16.5 16.5 0 0 0 0 4zm.8 2h2.9a15.7 15.7 0 0 0 1.4 3.6A8 8 0 0 1 5.1 16zM8 8H5.1a8 8 0 0 1 4.3-3.6A15.7 15.7 0 0 0 8 8zm4 12a14 14 0 0 1-1.9-4h3.8A14 14 0 0 1 12 20zm2.3-6H9.7a14.7 14.7 0 0 1 0-4h4.6a14.7 14.7 0 0 1 0 4zm.3 5.6a15.7 15.7 0 0 0 1.4-3.6h2.9a8 8 0 0 1-4.3 3.6zm1.7-5.6a16.5 16.5 0 0 0 0-4h3.4a8 8 0 0 1 0 4z",
};

export function icon(name, cls = "icon") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", cls);
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name] || "");
  svg.append(path);
  return svg;
}

/** A link only for http(s) URLs; anything else (javascript:, data:) is shown as plain text. */
export function safeLink(url, text) {
  let parsed = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) return h("span", { text: text ?? url });
  return h("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer nofollow", text: text ?? url });
}

export function initials(name) {
  const trimmed = (name || "?").trim();
  const first = Array.from(trimmed)[0] || "?";
  return first.toUpperCase();
}

/** A stable hue per customer, so avatars are told apart at a glance. */
export function hueFor(id) {
  return (Number(id) * 137.508) % 360;
}
