// The agent console: wires the socket, the outbox and the three columns together.
// Protocol: docs/protocol.md; server side chat/realtime/agent.py (AgentSession).

import { AgentConnection } from "./connection.js";
import { ConversationView } from "./conversation.js";
import { CustomerCard } from "./customer.js";
import { h } from "./dom.js";
import { errorText, presenceLabel, setupI18n, t } from "./i18n.js";
import { InboxView, isMine, isUnassigned } from "./inbox.js";
import { Outbox } from "./outbox.js";
import { OfferTray, PausePicker, TransferDialog } from "./routing.js";

const READ_DEBOUNCE_MS = 300;
const OUTBOX_CHECK_MS = 2000;

class ConsoleApp {
  constructor(config) {
    this.config = config;
    this.me = { id: config.agent_id, name: "", role: "agent", status: null, isSupervisor: false };
    this.summaries = new Map();
    this.readyOnce = false;
    this.online = false;
    this.open = null;
    this.baseTitle = document.title;
    this.csrfToken = document.querySelector("meta[name=csrf-token]").content;
    this.outbox = new Outbox(`cc.console.outbox.${config.agent_id}`);
    this.readTimer = null;
    this.drafts = new Map();

    const $ = (sel) => document.querySelector(sel);
    this.connectionEl = $("[data-testid=connection-state]");
    this.connectionText = this.connectionEl.querySelector("[data-role=text]");
    this.statusSelect = $("[data-testid=status-select]");
    this.notifyButton = $("[data-testid=notify-toggle]");
    this.toasts = $("[data-role=toasts]");
    this.inbox = new InboxView({
      mine: { list: $("[data-testid=inbox-mine]"), count: $("[data-role=mine-count]"), empty: $("[data-role=mine-empty]") },
      unassigned: { list: $("[data-testid=inbox-unassigned]"), count: $("[data-role=unassigned-count]"), empty: $("[data-role=unassigned-empty]") },
      onOpen: (id) => this.openConversation(id),
    });
    this.view = new ConversationView($("[data-role=conversation]"), this);
    this.offers = new OfferTray($("[data-testid=offers]"), {
      onAccept: (offer) => this.answerOffer(offer, "accept_offer"),
      onDecline: (offer) => this.answerOffer(offer, "decline_offer"),
      summaryFor: (id) => this.summaries.get(id) || null,
    });
    this.pause = new PausePicker($("[data-testid=pause-select]"), { onChange: (reason) => this.setPause(reason) });
    this.transferDialog = new TransferDialog($("[data-testid=transfer-dialog]"), {
      loadTargets: (id) => this.loadTransferTargets(id),
      onSubmit: (frame) => this.transfer(frame),
    });
    this.card = new CustomerCard($("[data-testid=customer-card]"), { onOpenHistory: (summary) => this.openHistory(summary) });
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.conn = new AgentConnection({
      url: `${scheme}//${location.host}${config.socket_path}`,
      onFrame: (frame) => this.onFrame(frame),
      onState: (state) => this.onConnectionState(state),
    });
  }

  start() {
    this._setupStatusSelect();
    this._setupNotifications();
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.open && !event.defaultPrevented) {
        event.preventDefault();
        if (this.open.returnTo) this.backFromHistory();
        else this.closeConversation();
      }
    });
    document.addEventListener("visibilitychange", () => this.maybeSendRead());
    window.addEventListener("focus", () => this.maybeSendRead());
    setInterval(() => this.flushOutbox(), OUTBOX_CHECK_MS);
    this.onConnectionState("connecting");
    this.conn.start();
  }

  // ------------------------------------------------------------------------------- frames

  sendFrame(frame) {
    return this.online && this.conn.send(frame);
  }

  onFrame(frame) {
    const handler = {
      ready: this.onReady,
      joined: this.onJoined,
      replay: this.onReplay,
      message: this.onMessage,
      ack: this.onAck,
      conversation: this.onConversation,
      typing: this.onTyping,
      read: this.onRead,
      taken: this.onTaken,
      resolved: this.onResolved,
      converted: this.onConverted,
      agent_status: this.onAgentStatus,
      offer: this.onOffer,
      offer_withdrawn: this.onOfferWithdrawn,
      offer_accepted: this.onOfferAccepted,
      offer_declined: this.onOfferDeclined,
      assigned: this.onAssigned,
      transferred: this.onTransferred,
      paused: this.onPaused,
      agent_state: this.onAgentState,
      error: this.onError,
    }[frame.type];
    if (handler) handler.call(this, frame);
  }

  onReady(frame) {
    const agent = frame.agent;
    this.me = { id: agent.id, name: agent.name, role: agent.role, status: agent.status, isSupervisor: agent.role === "supervisor" || agent.role === "admin" };
    this._showStatus(agent.status);
    // The inbox in `ready` is the truth after every (re)connect: what changed while away is in it.
    const fresh = new Map();
    for (const summary of [...frame.inbox.mine, ...frame.inbox.unassigned]) fresh.set(summary.id, summary);
    if (this.open && !fresh.has(this.open.id) && this.summaries.has(this.open.id)) fresh.set(this.open.id, this.summaries.get(this.open.id));
    this.summaries = fresh;
    this.offers.set(frame.offers || []);
    this.pause.show(frame.pause_reason || "");
    this.renderInbox();
    if (this.open) {
      this.open.busy = false;
      this.conn.send({ type: "join", conversation_id: this.open.id, last_seq: this.open.maxSeq, ref: `join-${this.open.id}` });
    } else if (!this.readyOnce) {
      const match = /^#conversation-(\d+)$/.exec(location.hash);
      if (match) this.openConversation(Number(match[1]));
    }
    this.readyOnce = true;
    this.flushOutbox({ all: true });
  }

  onJoined(frame) {
    if (!this.open || frame.conversation.id !== this.open.id) return;
    const summary = this._merge(frame.conversation);
    this.open.summary = summary;
    if (this.summaries.has(summary.id) || isMine(summary, this.me.id) || isUnassigned(summary)) this.summaries.set(summary.id, summary);
    const details = frame.details || {};
    this.open.visitorReadSeq = Math.max(this.open.visitorReadSeq, details.visitor_last_read_seq || 0);
    this.open.customer = frame.customer;
    this.card.render({
      customer: frame.customer,
      details,
      history: frame.history,
      insights: frame.insights,
      conversation: summary,
      activeId: summary.id,
      readOnly: this.open.readOnly,
    });
    this.view.renderHeader();
    this.view.updateReceipts();
    this.renderInbox();
  }

  onReplay(frame) {
    if (!this.open || frame.conversation_id !== this.open.id) return;
    this._addMessages(frame.messages);
    if (!frame.more) this.view.replayDone();
  }

  onMessage(frame) {
    const message = frame.message;
    if (!this.open || message.conversation_id !== this.open.id) return;
    this._addMessages([message]);
  }

  _addMessages(messages) {
    if (!messages.length) return;
    for (const message of messages) {
      this.open.maxSeq = Math.max(this.open.maxSeq, message.seq);
      // Read marks go to the visitor too: point at the last public message, never at a note.
      if (!message.internal) this.open.maxPublicSeq = Math.max(this.open.maxPublicSeq, message.seq);
      // The stored message replaces its pending copy, even if the ack was lost on the way.
      if (message.client_id && this.outbox.remove(message.client_id)) this.view.renderPending();
    }
    this.view.addMessages(messages);
    this.maybeSendRead();
  }

  onAck(frame) {
    if (this.outbox.remove(frame.client_id) && this.open && this.open.id === frame.conversation_id) this.view.renderPending();
  }

  onConversation(frame) {
    const summary = this._merge(frame.conversation);
    const known = this.summaries.has(summary.id);
    const listed = isMine(summary, this.me.id) || isUnassigned(summary);
    if (listed || (this.open && this.open.id === summary.id)) this.summaries.set(summary.id, summary);
    else this.summaries.delete(summary.id);
    if (this.offers.has(summary.id)) this.offers.render();
    if (this.readyOnce && !known && isUnassigned(summary)) this._announce(summary);
    if (this.open && this.open.id === summary.id) {
      this.open.summary = summary;
      this.open.busy = false;
      this.view.renderHeader();
    }
    this.renderInbox();
  }

  _merge(incoming) {
    const previous = this.summaries.get(incoming.id) || (this.open && this.open.id === incoming.id ? this.open.summary : null);
    const merged = { ...(previous || {}), ...incoming };
    // Notes and status changes come without a preview; keep the last public line.
    if (incoming.last_body === null || incoming.last_body === undefined) merged.last_body = previous ? previous.last_body : null;
    if (this.open && this.open.id === incoming.id && this._reading()) merged.unread = 0;
    return merged;
  }

  onTyping(frame) {
    if (this.open && frame.conversation_id === this.open.id) this.view.showTyping(frame);
  }

  onRead(frame) {
    if (!this.open || frame.conversation_id !== this.open.id || frame.by !== "visitor") return;
    if (frame.seq > this.open.visitorReadSeq) {
      this.open.visitorReadSeq = frame.seq;
      this.view.updateReceipts();
    }
  }

  onTaken(frame) {
    if (this.open && this.open.id === frame.conversation_id) {
      // The `conversation` frame with the new assignee follows; show the result at once.
      this.open.busy = false;
      this._heldByMe(frame.conversation_id);
    }
  }

  onResolved(frame) {
    if (this.open && this.open.id === frame.conversation_id) {
      this.open.busy = false;
      this.toast(t("Conversation resolved."), "ok");
      this.view.renderHeader();
    }
  }

  onAgentStatus(frame) {
    if (frame.agent_id === this.me.id) {
      this.me.status = frame.status;
      this._showStatus(frame.status);
    }
  }

  // ------------------------------------------------------------------------------ routing

  onOffer(frame) {
    this.offers.add(frame);
    const summary = this.summaries.get(frame.conversation_id);
    this._announce(summary || { id: frame.conversation_id, customer: { name: t("Conversation #%(id)s", { id: frame.conversation_id }) } });
  }

  onOfferWithdrawn(frame) {
    if (this.offers.has(frame.conversation_id) && frame.reason === "taken") this.toast(t("Someone else took that conversation."), "info");
    this.offers.remove(frame.conversation_id);
  }

  answerOffer(offer, type) {
    if (this.sendFrame({ type, offer_id: offer.offer_id, ref: `offer-${offer.offer_id}` })) this.offers.setBusy(offer.conversation_id, true);
    else this.toast(t("Not connected. Try again in a moment."), "error");
  }

  onOfferAccepted(frame) {
    this.offers.remove(frame.conversation_id);
    this.openConversation(frame.conversation_id);
    // Like a take: it is mine now (the `conversation` frame confirms it); answer, not a note.
    this._heldByMe(frame.conversation_id);
  }

  _heldByMe(conversationId) {
    if (!this.open || this.open.id !== conversationId) return;
    if (this.open.summary) this.open.summary = { ...this.open.summary, assignee: { id: this.me.id, name: this.me.name }, status: "open" };
    this.view.renderHeader();
    this.view.setMode("reply");
  }

  onOfferDeclined(frame) {
    this.offers.remove(frame.conversation_id);
  }

  onAssigned(frame) {
    this.offers.remove(frame.conversation_id);
    if (frame.via === "transfer" || frame.via === "supervisor") this.toast(t("A conversation was transferred to you."), "info");
  }

  setPause(reason) {
    if (!this.sendFrame({ type: "pause", reason, ref: "pause" })) {
      this.toast(t("Not connected. Try again in a moment."), "error");
      this.pause.show(this.me.pauseReason || "");
    }
  }

  onPaused(frame) {
    this.me.pauseReason = frame.reason;
    this.pause.show(frame.reason);
  }

  onAgentState(frame) {
    if (frame.agent_id === this.me.id) {
      this.me.pauseReason = frame.pause_reason;
      this.pause.show(frame.pause_reason);
    }
  }

  openTransfer() {
    if (this.open) this.transferDialog.open(this.open.id);
  }

  async loadTransferTargets(conversationId) {
    let response;
    try {
      response = await fetch(this.config.api.transfer_targets.replace("{id}", String(conversationId)), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch {
      throw new Error(t("Could not load the agents and queues; check the connection."));
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(errorText(body || {}, { serverWorded: true }));
    return body;
  }

  transfer(frame) {
    if (this.sendFrame({ ...frame, ref: `transfer-${frame.conversation_id}` })) {
      if (this.open && this.open.id === frame.conversation_id) {
        this.open.busy = true;
        this.view.renderHeader();
      }
    } else this.toast(t("Not connected. Try again in a moment."), "error");
  }

  onTransferred(frame) {
    if (this.open && this.open.id === frame.conversation_id) {
      this.open.busy = false;
      this.view.renderHeader();
    }
    this.toast(t("Conversation transferred."), "ok");
  }

  onError(frame) {
    const ref = frame.ref;
    if (typeof ref === "string" && ref.startsWith("offer-")) {
      const offer = this.offers.byOfferId(Number(ref.slice(6)));
      if (offer) this.offers.remove(offer.conversation_id);
      this.toast(errorText(frame), "error");
      return;
    }
    if (typeof ref === "string" && this.outbox.get(ref)) {
      // Retrying cannot fix these; everything else (rate limits, server hiccups) is sent again.
      const permanent = ["invalid", "forbidden", "not_found", "conflict", "too_large"].includes(frame.code);
      if (permanent) {
        this.outbox.fail(ref, { code: frame.code, message: frame.message, details: frame.details });
        this.toast(errorText(frame), "error");
      } else {
        const item = this.outbox.get(ref);
        item.sentAt = Date.now();
      }
      if (this.open) this.view.renderPending();
      return;
    }
    if (typeof ref === "string" && ref.startsWith("join-")) {
      const id = Number(ref.slice(5));
      if (this.open && this.open.id === id) {
        this.toast(errorText(frame), "error");
        this.closeConversation();
      }
      return;
    }
    if (this.open) {
      this.open.busy = false;
      this.view.renderHeader();
    }
    if (frame.details && frame.details.reason === "unauthenticated") return;
    this.toast(errorText(frame), "error");
  }

  // ------------------------------------------------------------------------ connection state

  onConnectionState(state) {
    this.online = state === "online";
    const labels = {
      connecting: t("Connecting…"),
      online: t("Connected"),
      reconnecting: t("Reconnecting…"),
      signed_out: t("Signed out"),
    };
    this.connectionEl.dataset.state = state;
    this.connectionText.textContent = labels[state] || state;
    this.connectionEl.title = state === "online" ? t("Live updates are on.") : t("Messages you write are kept and sent when the connection is back.");
    document.body.classList.toggle("is-offline", !this.online);
    if (state === "signed_out") {
      this.toast(t("Your session has ended. Sign in again."), "error", { sticky: true, action: { label: t("Sign in"), href: this.config.login_url } });
    }
    if (this.open) {
      this.view.renderHeader();
      this.view.renderPending();
    }
  }

  // -------------------------------------------------------------------------------- actions

  openConversation(id, { readOnly = false, summary = null, returnTo = null } = {}) {
    if (this.open && this.open.id === id && this.open.readOnly === readOnly) {
      this.view.focusComposer();
      return;
    }
    this._leaveOpen();
    this.open = {
      id,
      readOnly,
      returnTo,
      summary: this.summaries.get(id) || summary,
      customer: null,
      maxSeq: 0,
      maxPublicSeq: 0,
      visitorReadSeq: 0,
      readSent: 0,
      busy: false,
      // Drafts outlive switching away (or Esc), like in every mail client.
      draft: this.drafts.get(id) || "",
    };
    this.view.show();
    this.card.loading();
    this.renderInbox();
    if (!readOnly) history.replaceState(null, "", `#conversation-${id}`);
    this.sendFrame({ type: "join", conversation_id: id, last_seq: 0, ref: `join-${id}` });
    this.view.focusComposer();
  }

  openHistory(summary) {
    const returnTo = this.open && !this.open.readOnly ? this.open.id : this.open ? this.open.returnTo : null;
    // A conversation from the lists (or the one we came from) opens as usual, not read-only.
    const listed = this.summaries.get(summary.id);
    if (summary.id === returnTo || (listed && (isMine(listed, this.me.id) || isUnassigned(listed)))) {
      this.openConversation(summary.id);
      return;
    }
    this.openConversation(summary.id, { readOnly: true, summary, returnTo });
  }

  backFromHistory() {
    const target = this.open && this.open.returnTo;
    if (target) this.openConversation(target);
    else this.closeConversation();
  }

  closeConversation() {
    this._leaveOpen();
    this.open = null;
    this.view.hide();
    this.card.clear();
    history.replaceState(null, "", location.pathname + location.search);
    this.renderInbox();
  }

  _leaveOpen() {
    if (!this.open) return;
    // Closing right after new messages arrived still counts as having seen them.
    if (this._reading()) this._sendRead(this.open);
    this.view.stopTyping();
    this.sendFrame({ type: "leave", conversation_id: this.open.id });
  }

  take() {
    if (!this.open) return;
    if (this.sendFrame({ type: "take", conversation_id: this.open.id, ref: `take-${this.open.id}` })) {
      this.open.busy = true;
      this.view.renderHeader();
    } else this.toast(t("Not connected. Try again in a moment."), "error");
  }

  resolve() {
    if (!this.open) return;
    if (this.sendFrame({ type: "resolve", conversation_id: this.open.id, ref: `resolve-${this.open.id}` })) {
      this.open.busy = true;
      this.view.renderHeader();
    } else this.toast(t("Not connected. Try again in a moment."), "error");
  }

  convertToTicket() {
    if (!this.open) return;
    if (this.sendFrame({ type: "convert_to_ticket", conversation_id: this.open.id, ref: `convert-${this.open.id}` })) {
      this.open.busy = true;
      this.view.renderHeader();
    } else this.toast(t("Not connected. Try again in a moment."), "error");
  }

  onConverted(frame) {
    if (this.open && this.open.id === frame.conversation_id) {
      this.open.busy = false;
      this.toast(t("Ticket %(number)s created.", { number: frame.ticket_number }), "ok", {
        action: { href: `/console/tickets/${Number(frame.ticket_id)}/`, label: t("Open it") },
      });
      this.view.renderHeader();
    }
  }

  sendMessage({ conversationId, body, internal, attachments }) {
    this.outbox.add({ conversationId, body, internal, attachments });
    this.view.renderPending();
    this.flushOutbox();
  }

  retryMessage(clientId) {
    this.outbox.retry(clientId);
    this.view.renderPending();
    this.flushOutbox();
  }

  discardMessage(clientId) {
    this.outbox.remove(clientId);
    this.view.renderPending();
  }

  /** Send what is due: everything pending right after (re)connecting, else what waits for an ack. */
  flushOutbox({ all = false } = {}) {
    if (!this.online) return;
    const now = Date.now();
    const items = all ? this.outbox.items.filter((item) => item.state === "pending") : this.outbox.due(now);
    for (const item of items) {
      if (!this.conn.send(this.outbox.frame(item))) return;
      item.sentAt = now;
    }
  }

  _reading() {
    return document.visibilityState === "visible" && this.view.isReading();
  }

  /** Tell the server the agent has seen the open conversation up to its newest message. */
  maybeSendRead() {
    const open = this.open;
    if (!open || open.readOnly || open.maxPublicSeq <= open.readSent || !this._reading()) return;
    clearTimeout(this.readTimer);
    // Debounced, so a burst of replayed or live messages costs one frame.
    this.readTimer = setTimeout(() => {
      if (this.open === open && this._reading()) this._sendRead(open);
    }, READ_DEBOUNCE_MS);
  }

  _sendRead(open) {
    clearTimeout(this.readTimer);
    if (open.readOnly || open.maxPublicSeq <= open.readSent) return;
    if (this.sendFrame({ type: "read", conversation_id: open.id, seq: open.maxPublicSeq })) {
      open.readSent = open.maxPublicSeq;
      const summary = this.summaries.get(open.id);
      if (summary && summary.unread) {
        summary.unread = 0;
        this.renderInbox();
      }
    }
  }

  async uploadFile(conversationId, file) {
    const form = new FormData();
    form.append("file", file);
    let response;
    try {
      response = await fetch(this.config.api.upload.replace("{id}", String(conversationId)), {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRFToken": this.csrfToken, Accept: "application/json" },
      });
    } catch {
      throw new Error(t("Upload failed; check the connection."));
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) throw new Error(errorText(body || {}, { serverWorded: true }));
    return body;
  }

  attachmentUrl(id) {
    return this.config.api.attachment.replace("{id}", String(id));
  }

  // ---------------------------------------------------------------------------- rendering

  renderInbox() {
    this.inbox.render(this.summaries.values(), { meId: this.me.id, activeId: this.open ? this.open.id : null });
    let waiting = 0;
    let unread = 0;
    for (const summary of this.summaries.values()) {
      if (isUnassigned(summary)) waiting += 1;
      else if (isMine(summary, this.me.id)) unread += summary.unread > 0 ? 1 : 0;
    }
    const badge = waiting + unread;
    document.title = badge ? `(${badge}) ${this.baseTitle}` : this.baseTitle;
  }

  toast(text, kind = "info", { sticky = false, action = null } = {}) {
    const el = h(
      "div",
      { class: `toast toast--${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": "toast" },
      h("span", { text }),
      action ? h("a", { class: "toast-action", href: action.href, text: action.label }) : null,
    );
    this.toasts.append(el);
    while (this.toasts.children.length > 4) this.toasts.firstChild.remove();
    if (!sticky) setTimeout(() => el.remove(), 5000);
  }

  _setupStatusSelect() {
    this.statusSelect.addEventListener("change", () => this.setStatus(this.statusSelect.value));
    document.querySelector("[data-role=go-online]").addEventListener("click", () => this.setStatus("online"));
  }

  setStatus(status) {
    if (!this.sendFrame({ type: "status", status, ref: "status" })) {
      this.toast(t("Not connected. Try again in a moment."), "error");
      this._showStatus(this.me.status);
    }
  }

  _showStatus(status) {
    if (!status) return;
    this.statusSelect.value = status;
    this.statusSelect.dataset.status = status;
    this.statusSelect.title = presenceLabel(status);
    document.querySelector("[data-testid=presence-hint]").hidden = status !== "offline";
  }

  _setupNotifications() {
    const button = this.notifyButton;
    if (!("Notification" in window)) {
      button.hidden = true;
      return;
    }
    const show = () => {
      button.dataset.state = Notification.permission;
      button.title =
        Notification.permission === "granted"
          ? t("Desktop notifications are on for new conversations.")
          : Notification.permission === "denied"
            ? t("Notifications are blocked in the browser settings.")
            : t("Notify me of new conversations");
      button.setAttribute("aria-label", button.title);
    };
    show();
    button.addEventListener("click", async () => {
      if (Notification.permission === "default") await Notification.requestPermission();
      show();
    });
  }

  _announce(summary) {
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const note = new Notification(t("New conversation from %(name)s", { name: summary.customer.name }), {
      body: summary.last_body || "",
      tag: `conversation-${summary.id}`,
    });
    note.onclick = () => {
      window.focus();
      this.openConversation(summary.id);
      note.close();
    };
  }
}

const config = JSON.parse(document.getElementById("console-config").textContent);
setupI18n(config);
const app = new ConsoleApp(config);
app.start();
// For debugging in the browser console and for end-to-end tests; nothing relies on it.
window.ccConsole = app;
