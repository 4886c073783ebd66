// The right column: who the customer is, where they came from, and their earlier conversations.

import { clear, h, hueFor, initials, safeLink } from "./dom.js";
import { fullDateTime, shortDate, statusLabel, t } from "./i18n.js";

function identityLabel(kind) {
  return { email: t("E-mail"), phone: t("Phone"), external: t("External ID"), visitor: t("Visitor ID") }[kind] || kind;
}

function prechatLabel(name) {
  return { name: t("Name"), email: t("E-mail"), phone: t("Phone") }[name] || name;
}

function languageLabel(code) {
  if (!code) return "";
  return { en: t("English"), "zh-hans": t("Chinese (Simplified)") }[code] || code;
}

function row(label, value) {
  if (value === null || value === undefined || value === "") return null;
  return [h("dt", { text: label }), h("dd", {}, value)];
}

export class CustomerCard {
  constructor(root, { onOpenHistory }) {
    this.root = root;
    this.body = root.querySelector("[data-role=card-body]");
    this.empty = root.querySelector("[data-role=card-empty]");
    this.onOpenHistory = onOpenHistory;
  }

  clear() {
    clear(this.body);
    this.body.hidden = true;
    this.empty.hidden = false;
  }

  loading() {
    clear(this.body);
    this.body.hidden = false;
    this.empty.hidden = true;
    this.body.append(h("p", { class: "muted card-loading", text: t("Loading…") }));
  }

  render({ customer, details, history, conversation, insights, activeId, readOnly = false }) {
    clear(this.body);
    this.body.hidden = false;
    this.empty.hidden = true;
    const avatar = h("span", { class: "avatar avatar--lg", "aria-hidden": "true", text: initials(customer.name) });
    avatar.style.setProperty("--hue", String(hueFor(customer.id)));
    this.body.append(
      h(
        "header",
        { class: "card-head" },
        avatar,
        h(
          "div",
          {},
          h("h2", { class: "card-name", "data-testid": "customer-name", text: customer.name }),
          h("p", { class: "muted", text: t("Customer since %(date)s", { date: shortDate(customer.created_at) }) }),
        ),
      ),
    );

    const contact = [
      row(t("E-mail"), customer.email ? h("a", { href: `mailto:${customer.email}`, text: customer.email }) : null),
      row(t("Phone"), customer.phone ? h("span", { text: customer.phone }) : null),
      row(t("Language"), languageLabel(customer.language)),
    ].filter(Boolean);
    this.body.append(
      this._section(
        t("Contact"),
        contact.length ? h("dl", { class: "facts", "data-testid": "customer-contact" }, contact) : h("p", { class: "muted", text: t("No contact details yet.") }),
      ),
    );

    const identities = (customer.identities || []).filter((i) => i.kind !== "visitor");
    if (identities.length) {
      this.body.append(
        this._section(
          t("Identities"),
          h(
            "ul",
            { class: "identities", "data-testid": "customer-identities" },
            identities.map((i) =>
              h(
                "li",
                {},
                h("span", { class: "identity-kind", text: identityLabel(i.kind) }),
                h("span", { class: "identity-value", text: i.value }),
                i.verified ? h("span", { class: "tag tag--ok", text: t("verified") }) : null,
              ),
            ),
          ),
        ),
      );
    }

    const prechat = Object.entries((details && details.prechat) || {});
    const facts = [
      row(t("Source page"), details && details.source_url ? safeLink(details.source_url) : null),
      row(t("Conversation language"), conversation ? languageLabel(conversation.language) : null),
      row(t("Started"), conversation ? fullDateTime(conversation.created_at) : null),
      row(t("Channel"), conversation && conversation.channel ? conversation.channel.name : null),
    ].filter(Boolean);
    const prechatRows = prechat.map(([name, value]) => row(prechatLabel(name), String(value))).filter(Boolean);
    this.body.append(
      this._section(
        t("This conversation"),
        h("dl", { class: "facts", "data-testid": "conversation-facts" }, facts),
        prechatRows.length ? h("h4", { class: "subhead", text: t("Pre-chat answers") }) : null,
        prechatRows.length ? h("dl", { class: "facts", "data-testid": "prechat-answers" }, prechatRows) : null,
      ),
    );

    // What the bot's classifier makes of the visitor's messages (bot.classify): mood and likely topics.
    const labels = (insights && insights.labels) || [];
    if (insights && (insights.negative || labels.length)) {
      this.body.append(
        this._section(
          t("Insights"),
          h(
            "div",
            { class: "insights", "data-testid": "conversation-insights" },
            insights.negative ? h("span", { class: "tag tag--warn", "data-testid": "insight-negative", text: t("Upset customer") }) : null,
            labels.map((l) =>
              h("span", { class: "tag", "data-testid": "insight-label", title: `${Math.round(l.probability * 100)}%`, text: l.label }),
            ),
          ),
        ),
      );
    }

    const earlier = (history || []).filter((c) => c.id !== activeId);
    this.body.append(
      this._section(
        // Seen from an earlier conversation, the list also holds later ones.
        readOnly ? t("Other conversations") : t("Earlier conversations"),
        earlier.length
          ? h(
              "ul",
              { class: "history", "data-testid": "customer-history" },
              earlier.map((c) =>
                h(
                  "li",
                  {},
                  h(
                    "button",
                    {
                      type: "button",
                      class: "history-item",
                      "data-testid": "history-item",
                      dataset: { conversationId: String(c.id) },
                      onclick: () => this.onOpenHistory(c),
                    },
                    h(
                      "span",
                      { class: "history-top" },
                      h("span", { class: "history-id", text: `#${c.id}` }),
                      h("span", { class: `status-chip status-chip--sm status-chip--${c.status}`, text: statusLabel(c.status) }),
                      h("span", { class: "history-date", text: shortDate(c.created_at) }),
                    ),
                    h("span", { class: "history-preview", text: c.last_body || t("No messages") }),
                  ),
                ),
              ),
            )
          : h("p", { class: "muted", text: readOnly ? t("None.") : t("None — this is the first conversation.") }),
      ),
    );
  }

  _section(title, ...content) {
    return h("section", { class: "card-section" }, h("h3", { class: "card-title", text: title }), content);
  }
}
