// Routing in the console: offers to accept or decline, the routing pause, and transfers.
// Protocol: docs/protocol.md (offer, offer_withdrawn, accept_offer, decline_offer, pause, transfer).

import { clear, h } from "./dom.js";
import { t } from "./i18n.js";

const TICK_MS = 1000;

/** The "Incoming" tray: one card per open offer, with a countdown and Accept / Decline. */
export class OfferTray {
  constructor(root, { onAccept, onDecline, summaryFor }) {
    this.root = root;
    this.list = root.querySelector("[data-role=offer-list]");
    this.onAccept = onAccept;
    this.onDecline = onDecline;
    this.summaryFor = summaryFor;
    this.offers = new Map(); // conversation id -> offer frame (+ busy)
    this.timer = null;
    this.clockSkewMs = 0;
  }

  /** Replace all offers (the `ready` frame is the truth after a reconnect). */
  set(offers) {
    this.offers = new Map(offers.map((offer) => [offer.conversation_id, { ...offer, busy: false }]));
    this.render();
  }

  add(offer) {
    this.offers.set(offer.conversation_id, { ...offer, busy: false });
    this.render();
  }

  remove(conversationId) {
    if (this.offers.delete(conversationId)) this.render();
  }

  byOfferId(offerId) {
    for (const offer of this.offers.values()) if (offer.offer_id === offerId) return offer;
    return null;
  }

  has(conversationId) {
    return this.offers.has(conversationId);
  }

  setBusy(conversationId, busy) {
    const offer = this.offers.get(conversationId);
    if (offer) {
      offer.busy = busy;
      this.render();
    }
  }

  render() {
    clear(this.list);
    this.root.hidden = this.offers.size === 0;
    const now = Date.now();
    for (const offer of this.offers.values()) {
      const summary = this.summaryFor(offer.conversation_id);
      const name = summary ? summary.customer.name : t("Conversation #%(id)s", { id: offer.conversation_id });
      const preview = summary && summary.last_body ? summary.last_body : "";
      const left = offer.expires_at ? Math.max(0, Math.ceil((Date.parse(offer.expires_at) - now) / 1000)) : null;
      this.list.append(
        h(
          "li",
          { class: "offer-card", "data-testid": "offer-card", dataset: { conversationId: String(offer.conversation_id), offerId: String(offer.offer_id) } },
          h(
            "div",
            { class: "offer-head" },
            h("span", { class: "offer-name", text: name }),
            left === null ? null : h("span", { class: "offer-timer", "data-testid": "offer-timer", text: t("%(s)ss left", { s: left }) }),
          ),
          preview ? h("p", { class: "offer-preview", text: preview }) : null,
          offer.note ? h("p", { class: "offer-note", "data-testid": "offer-note", text: offer.note }) : null,
          h(
            "div",
            { class: "offer-actions" },
            h("button", {
              type: "button",
              class: "button button--primary button--sm",
              "data-testid": "offer-accept",
              disabled: offer.busy,
              text: t("Accept"),
              onclick: () => this.onAccept(offer),
            }),
            h("button", {
              type: "button",
              class: "button button--ghost button--sm",
              "data-testid": "offer-decline",
              disabled: offer.busy,
              text: t("Decline"),
              onclick: () => this.onDecline(offer),
            }),
          ),
        ),
      );
    }
    // The countdown ticks only while something is offered.
    if (this.offers.size && !this.timer) this.timer = setInterval(() => this.render(), TICK_MS);
    if (!this.offers.size && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

/** The routing pause picker: taking chats, or paused with a reason (status stays as it is). */
export class PausePicker {
  constructor(select, { onChange }) {
    this.select = select;
    this.select.addEventListener("change", () => onChange(this.select.value));
  }

  show(reason) {
    const value = reason || "";
    if (value && ![...this.select.options].some((option) => option.value === value)) {
      this.select.append(h("option", { value, text: t("Paused: %(reason)s", { reason: value }) }));
    }
    this.select.value = value;
    this.select.dataset.paused = value ? "true" : "false";
  }
}

/** The transfer dialog: to an agent, a queue or a supervisor, with a note for the next agent. */
export class TransferDialog {
  constructor(dialog, { loadTargets, onSubmit }) {
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.target = dialog.querySelector("[data-testid=transfer-target]");
    this.note = dialog.querySelector("[data-testid=transfer-note]");
    this.error = dialog.querySelector("[data-role=transfer-error]");
    this.loadTargets = loadTargets;
    this.onSubmit = onSubmit;
    this.conversationId = null;
    dialog.querySelector("[data-role=cancel]").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = this.target.value;
      if (!value) return;
      const frame = { type: "transfer", conversation_id: this.conversationId, note: this.note.value.trim() };
      if (value === "supervisor") frame.to_supervisor = true;
      else if (value.startsWith("agent:")) frame.to_agent_id = Number(value.slice(6));
      else if (value.startsWith("queue:")) frame.to_queue_id = Number(value.slice(6));
      this.onSubmit(frame);
      this.close();
    });
  }

  async open(conversationId) {
    this.conversationId = conversationId;
    this.note.value = "";
    this.error.hidden = true;
    clear(this.target);
    this.target.append(h("option", { value: "", text: t("Loading…") }));
    if (typeof this.dialog.showModal === "function") this.dialog.showModal();
    else this.dialog.setAttribute("open", "");
    let targets;
    try {
      targets = await this.loadTargets(conversationId);
    } catch (error) {
      this.error.textContent = error.message;
      this.error.hidden = false;
      clear(this.target);
      return;
    }
    clear(this.target);
    this.target.append(h("option", { value: "", text: t("Choose…") }));
    const agents = h("optgroup", { label: t("Agents") });
    for (const agent of targets.agents) {
      const state = agent.paused ? t("paused") : statusText(agent.status);
      agents.append(h("option", { value: `agent:${agent.id}`, text: `${agent.name} (${state})` }));
    }
    const queues = h("optgroup", { label: t("Queues") });
    for (const queue of targets.queues) {
      queues.append(h("option", { value: `queue:${queue.id}`, text: t("%(name)s · %(n)s waiting", { name: queue.name, n: queue.waiting }) }));
    }
    this.target.append(agents, queues, h("option", { value: "supervisor", text: t("A supervisor") }));
    this.target.focus();
  }

  close() {
    if (typeof this.dialog.close === "function" && this.dialog.open) this.dialog.close();
    else this.dialog.removeAttribute("open");
  }
}

function statusText(status) {
  return { online: t("Online"), away: t("Away"), busy: t("Busy"), offline: t("Offline") }[status] || status;
}
