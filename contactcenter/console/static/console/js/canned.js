// Canned replies in a composer: typing "::" and a few letters lists the agent's canned replies
// (GET /api/canned-replies/?q=, shortcuts first, placeholders already filled in by the server for the
// ticket or customer at hand); arrow keys choose, Enter or Tab inserts, Esc closes. No markup from the
// server is ever parsed: every text goes in as textContent, styles through the CSSOM (the console's CSP).

import { t } from "./i18n.js";

const TOKEN = /(?:^|\s)::([\p{L}\p{N}_-]{0,40})$/u;
const DEBOUNCE_MS = 150;

/**
 * Attach the "::shortcut" suggestions to a textarea.
 * @param {HTMLTextAreaElement} textarea
 * @param {{context?: () => ({ticket?: number, customer?: number}), url?: string}} options
 * @returns {{close: () => void, detach: () => void}}
 */
export function attachCannedReplies(textarea, { context = () => ({}), url = "/api/canned-replies/" } = {}) {
  const list = document.createElement("ul");
  list.id = `canned-${Math.random().toString(36).slice(2)}`;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", t("Canned replies"));
  list.dataset.testid = "canned-list";
  list.hidden = true;
  Object.assign(list.style, {
    position: "fixed",
    zIndex: "1000",
    margin: "0",
    padding: "4px 0",
    listStyle: "none",
    background: "#fff",
    color: "#1f2933",
    border: "1px solid #c5cdd6",
    borderRadius: "6px",
    boxShadow: "0 6px 18px rgba(0, 0, 0, 0.15)",
    maxHeight: "240px",
    overflowY: "auto",
    fontSize: "14px",
  });
  document.body.append(list);

  let items = [];
  let active = 0;
  let timer = null;
  let asked = 0;
  let token = null; // {start, end, query}

  function currentToken() {
    const end = textarea.selectionStart;
    if (end !== textarea.selectionEnd) return null;
    const match = TOKEN.exec(textarea.value.slice(0, end));
    if (!match) return null;
    return { start: end - match[1].length - 2, end, query: match[1] };
  }

  function place() {
    const rect = textarea.getBoundingClientRect();
    const below = window.innerHeight - rect.bottom;
    list.style.left = `${Math.max(4, rect.left)}px`;
    list.style.width = `${Math.max(240, Math.min(rect.width, 520))}px`;
    if (below >= 160 || below >= rect.top) {
      list.style.top = `${rect.bottom + 2}px`;
      list.style.bottom = "";
    } else {
      list.style.top = "";
      list.style.bottom = `${window.innerHeight - rect.top + 2}px`;
    }
  }

  function close() {
    list.hidden = true;
    items = [];
    token = null;
    textarea.removeAttribute("aria-activedescendant");
    textarea.setAttribute("aria-expanded", "false");
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((node, n) => {
      const on = n === index;
      node.setAttribute("aria-selected", String(on));
      node.style.background = on ? "#e3edf7" : "";
      if (on) {
        textarea.setAttribute("aria-activedescendant", node.id);
        node.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function show(found, query) {
    list.replaceChildren();
    items = found;
    if (!found.length) {
      const empty = document.createElement("li");
      empty.textContent = t("No canned reply matches ::%(q)s", { q: query });
      empty.dataset.testid = "canned-empty";
      Object.assign(empty.style, { padding: "6px 12px", color: "#65758a" });
      list.append(empty);
    }
    found.forEach((reply, n) => {
      const option = document.createElement("li");
      option.id = `${list.id}-${n}`;
      option.setAttribute("role", "option");
      option.dataset.testid = "canned-option";
      Object.assign(option.style, { padding: "6px 12px", cursor: "pointer" });
      const head = document.createElement("div");
      const shortcut = document.createElement("strong");
      shortcut.textContent = `::${reply.shortcut}`;
      const title = document.createElement("span");
      title.textContent = ` ${reply.title}`;
      head.append(shortcut, title);
      const text = document.createElement("div");
      text.textContent = (reply.rendered ?? reply.body).slice(0, 140);
      Object.assign(text.style, { color: "#65758a", whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" });
      option.append(head, text);
      option.addEventListener("mousedown", (event) => {
        event.preventDefault(); // keep the focus (and the caret) in the textarea
        insert(n);
      });
      list.append(option);
    });
    const hint = document.createElement("li");
    hint.textContent = t("↑ ↓ choose · Enter or Tab inserts · Esc closes");
    Object.assign(hint.style, { padding: "4px 12px", color: "#8a97a8", fontSize: "12px", borderTop: "1px solid #eef1f4" });
    if (found.length) list.append(hint);
    place();
    list.hidden = false;
    textarea.setAttribute("aria-expanded", "true");
    if (found.length) highlight(0);
  }

  async function lookup(query) {
    const ask = ++asked;
    const params = new URLSearchParams({ q: query, limit: "8" });
    const about = context() || {};
    if (about.ticket) params.set("ticket", String(about.ticket));
    else if (about.customer) params.set("customer", String(about.customer));
    let found = [];
    try {
      const response = await fetch(`${url}?${params}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      found = await response.json();
    } catch {
      return;
    }
    if (ask !== asked || !token || token.query !== query) return; // typed on meanwhile
    show(Array.isArray(found) ? found : [], query);
  }

  function insert(index) {
    const reply = items[index];
    const at = currentToken() || token;
    if (!reply || !at) return close();
    const text = reply.rendered ?? reply.body;
    textarea.focus();
    textarea.setSelectionRange(at.start, at.end);
    // setRangeText keeps the undo stack sane in most browsers and fires no input event: send one.
    textarea.setRangeText(text, at.start, at.end, "end");
    close();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function onInput() {
    const found = currentToken();
    clearTimeout(timer);
    if (!found) return close();
    token = found;
    timer = setTimeout(() => lookup(found.query), DEBOUNCE_MS);
  }

  function onKeydown(event) {
    if (list.hidden) return;
    const keys = ["ArrowDown", "ArrowUp", "Enter", "Tab", "Escape"];
    if (!keys.includes(event.key) || event.isComposing) return;
    if ((event.key === "Enter" || event.key === "Tab") && !items.length) {
      if (event.key === "Tab") close();
      return;
    }
    // Ahead of the composer's own keys (Enter sends a chat message): this listener captures.
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.key === "ArrowDown") highlight((active + 1) % items.length);
    else if (event.key === "ArrowUp") highlight((active - 1 + items.length) % items.length);
    else if (event.key === "Escape") close();
    else insert(active);
  }

  const onBlur = () => setTimeout(close, 100);
  const onScroll = () => {
    if (!list.hidden) place();
  };
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", list.id);
  textarea.setAttribute("aria-expanded", "false");
  textarea.addEventListener("input", onInput);
  textarea.addEventListener("keydown", onKeydown, true);
  textarea.addEventListener("blur", onBlur);
  window.addEventListener("resize", onScroll);
  window.addEventListener("scroll", onScroll, true);

  return {
    close,
    detach() {
      textarea.removeEventListener("input", onInput);
      textarea.removeEventListener("keydown", onKeydown, true);
      textarea.removeEventListener("blur", onBlur);
      window.removeEventListener("resize", onScroll);
      window.removeEventListener("scroll", onScroll, true);
      list.remove();
    },
  };
}
