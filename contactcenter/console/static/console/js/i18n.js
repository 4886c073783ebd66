// Translations come from the server (a JSON catalog in the page, built from Django's gettext).

let catalog = {};
let language = "en";

export function setupI18n(config) {
  catalog = config.i18n || {};
  language = config.language || "en";
}

/** Translate ``key`` and fill ``%(name)s`` placeholders from ``params``. */
export function t(key, params) {
  let text = Object.prototype.hasOwnProperty.call(catalog, key) ? catalog[key] : key;
  if (params) text = text.replace(/%\((\w+)\)s/g, (match, name) => (name in params ? String(params[name]) : match));
  return text;
}

export function locale() {
  return language.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

function toDate(value) {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Compact age for lists: "now", "5m", "3h", "2d", then a date. */
export function shortAge(value, now = Date.now()) {
  const date = toDate(value);
  if (!date) return "";
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 45) return t("now");
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return t("%(n)sm", { n: minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 24) return t("%(n)sh", { n: hours });
  const days = Math.round(hours / 24);
  if (days < 7) return t("%(n)sd", { n: days });
  return shortDate(date);
}

export function clockTime(value) {
  const date = toDate(value);
  return date ? new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(date) : "";
}

export function shortDate(value) {
  const date = toDate(value);
  return date ? new Intl.DateTimeFormat(locale(), { year: "numeric", month: "short", day: "numeric" }).format(date) : "";
}

export function fullDateTime(value) {
  const date = toDate(value);
  return date ? new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(date) : "";
}

export function dayLabel(value, now = new Date()) {
  const date = toDate(value);
  if (!date) return "";
  const startOf = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const diffDays = Math.round((startOf(now) - startOf(date)) / 86400000);
  if (diffDays === 0) return t("Today");
  if (diffDays === 1) return t("Yesterday");
  return new Intl.DateTimeFormat(locale(), { weekday: "short", year: "numeric", month: "short", day: "numeric" }).format(date);
}

export function fileSize(bytes) {
  if (bytes < 1024) return t("%(n)s B", { n: bytes });
  if (bytes < 1024 * 1024) return t("%(n)s KB", { n: (bytes / 1024).toFixed(bytes < 10240 ? 1 : 0) });
  return t("%(n)s MB", { n: (bytes / (1024 * 1024)).toFixed(1) });
}

export function statusLabel(status) {
  return (
    {
      bot: t("With the bot"),
      queued: t("Waiting"),
      open: t("Open"),
      resolved: t("Resolved"),
      closed: t("Closed"),
    }[status] || status
  );
}

export function presenceLabel(status) {
  return { online: t("Online"), away: t("Away"), busy: t("Busy"), offline: t("Offline") }[status] || status;
}

/** Marks a string for the catalog without translating it yet (like gettext_noop). */
export const N_ = (text) => text;

const REASONS = {
  take_first: N_("Take the conversation before replying to the customer."),
  already_taken: N_("Someone else took this conversation first."),
  at_capacity: N_("You are at your limit of open conversations."),
  conversation_closed: N_("This conversation is closed."),
  not_an_agent: N_("Only agents can do this."),
  unauthenticated: N_("Your session has ended. Sign in again."),
  client_id_in_use: N_("This message could not be sent. Try again."),
};

const CODES = {
  rate_limited: N_("You are sending too fast; slow down a little."),
  too_large: N_("That is too large to send."),
  not_found: N_("This conversation or file is not available."),
  forbidden: N_("You may not do this."),
  conflict: N_("Someone else changed this first."),
  invalid: N_("That could not be sent; check and try again."),
  bad_frame: N_("The console sent something the server did not understand. Reload the page."),
  unknown_type: N_("The console sent something the server did not understand. Reload the page."),
};

/**
 * A sentence for an error frame or API error body, in the console's language. Socket errors are
 * worded by code here (the server words them in English); HTTP API errors come already translated.
 */
export function errorText(error, { serverWorded = false } = {}) {
  const reason = error && error.details && error.details.reason;
  if (reason && REASONS[reason]) return t(REASONS[reason]);
  if (serverWorded && error && error.message) return error.message;
  if (error && CODES[error.code]) return t(CODES[error.code]);
  return (error && error.message) || t("Something went wrong. Try again.");
}
