// Shared by the ticket desk pages: the REST client, labels for statuses and priorities, toasts.
// Everything customer-typed goes into the page as text (dom.js h()), never as markup.

import { h } from "./dom.js";
import { N_, errorText, setupI18n, t } from "./i18n.js";

export function readConfig() {
  const config = JSON.parse(document.getElementById("console-config").textContent);
  setupI18n(config);
  return config;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }

  /** The server's sentence (already in the page's language), with the first field error if any. */
  text() {
    if (this.status === 0) return t("The server cannot be reached. Check the connection and try again.");
    const fields = this.body.details && this.body.details.fields;
    const first = fields && typeof fields === "object" ? Object.entries(fields)[0] : null;
    const detail = first ? flatten(first[1]) : "";
    const base = errorText(this.body, { serverWorded: true });
    return detail && !base.includes(detail) ? `${base} ${detail}` : base;
  }
}

function flatten(value) {
  if (Array.isArray(value)) return value.map(flatten).join(" ");
  if (value && typeof value === "object") return Object.values(value).map(flatten).join(" ");
  return String(value ?? "");
}

export class Api {
  constructor(loginUrl) {
    this.csrf = document.querySelector("meta[name=csrf-token]").content;
    this.loginUrl = loginUrl;
  }

  async request(method, url, body, { form = false } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = this.csrf;
    let payload;
    if (form) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    } catch {
      throw new ApiError(0, null);
    }
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.status === 401 || (response.status === 403 && data && data.code === "not_authenticated")) {
      window.location.assign(`${this.loginUrl}?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  get(url) {
    return this.request("GET", url);
  }

  post(url, body = {}) {
    return this.request("POST", url, body);
  }

  patch(url, body) {
    return this.request("PATCH", url, body);
  }

  delete(url) {
    return this.request("DELETE", url);
  }

  upload(url, formData) {
    return this.request("POST", url, formData, { form: true });
  }
}

export const STATUSES = ["open", "solved", "closed"];
export const PRIORITIES = ["urgent", "high", "normal", "low"];

export function ticketStatusLabel(status) {
  return { open: t("Open"), solved: t("Solved"), closed: t("Closed") }[status] || status;
}

export function priorityLabel(priority) {
  return { low: t("Low"), normal: t("Normal"), high: t("High"), urgent: t("Urgent") }[priority] || priority;
}

export const SORT_LABELS = {
  "-updated": N_("Recently updated"),
  updated: N_("Least recently updated"),
  "-created": N_("Newest"),
  created: N_("Oldest"),
  "-priority": N_("Highest priority"),
  due: N_("Due soonest"),
  "-urged": N_("Most urged"),
  "-number": N_("Number, descending"),
};

export function option(value, label, selected = false) {
  return h("option", { value, text: label, selected: selected || undefined });
}

export function toast(container, text, kind = "info") {
  const el = h("div", { class: `toast toast--${kind}`, role: kind === "error" ? "alert" : "status", text });
  container.append(el);
  setTimeout(() => el.remove(), kind === "error" ? 7000 : 3500);
}

export function dateTime(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const lang = document.documentElement.lang.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
  return new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(date);
}

/** The typed key, unless the person is typing in a field (then shortcuts stay out of the way). */
export function shortcutKey(event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return null;
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return null;
  if (document.querySelector("dialog[open]")) return null;
  return event.key;
}

/** Wire a <dialog> with its Cancel button; returns open/close helpers. */
export function dialog(el) {
  const error = el.querySelector("[data-role=error]");
  el.querySelector("[data-role=cancel]").addEventListener("click", () => el.close());
  return {
    el,
    open() {
      if (error) error.hidden = true;
      el.showModal();
    },
    close() {
      el.close();
    },
    fail(text) {
      if (!error) return;
      error.textContent = text;
      error.hidden = false;
    },
  };
}

/** Type colours come from the admin; only #rrggbb reaches the page, and through the CSSOM (the CSP forbids style attributes). */
export function typeChip(type) {
  const chip = h("span", { class: "type-chip", text: type.name });
  chip.style.setProperty("--chip", /^#[0-9a-fA-F]{6}$/.test(type.colour || "") ? type.colour : "#607d8b");
  return chip;
}

export const SLA_METRICS = {
  first_response: N_("First reply"),
  next_response: N_("Next reply"),
  resolution: N_("Resolution"),
  stage: N_("Stage target"),
};

/** Working time left, compactly: "45m", "3h 20m", "2d 4h". */
export function workingTime(seconds) {
  const s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return t("%(d)sd %(h)sh", { d, h: hh });
  if (hh) return t("%(h)sh %(m)sm", { h: hh, m });
  return t("%(m)sm", { m: Math.max(m, s ? 1 : 0) });
}

/** The clock that matters most on a list row: a breached one, else the running one due first. */
export function urgentClock(clocks) {
  const running = clocks.filter((c) => ["ok", "warning", "breached", "paused"].includes(c.state));
  if (!running.length) return null;
  const rank = { breached: 0, warning: 1, ok: 2, paused: 3 };
  return running.sort((a, b) => rank[a.state] - rank[b.state] || (a.remaining_s ?? 0) - (b.remaining_s ?? 0))[0];
}

export function slaChip(clock) {
  const label = t(SLA_METRICS[clock.metric] || clock.metric);
  let text;
  if (clock.state === "breached") text = t("%(what)s overdue %(time)s", { what: label, time: workingTime(clock.remaining_s ?? 0) });
  else if (clock.state === "paused") text = t("%(what)s paused", { what: label });
  else if (clock.state === "met") text = t("%(what)s met", { what: label });
  else text = t("%(what)s in %(time)s", { what: label, time: workingTime(clock.remaining_s ?? 0) });
  return h("span", { class: `sla-chip sla-chip--${clock.state}`, title: clock.policy, dataset: { testid: "sla-chip", state: clock.state }, text });
}
