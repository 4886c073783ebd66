// The middle column: header with Take / Resolve, the transcript, the typing line and the composer.

import { attachCannedReplies } from "./canned.js";
import { clear, h, hueFor, icon, initials } from "./dom.js";
import { clockTime, dayLabel, errorText, fileSize, fullDateTime, statusLabel, t } from "./i18n.js";

const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 4000;
const TYPING_SHOW_MS = 6000;
const NEAR_BOTTOM_PX = 120;

function dayKey(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export class ConversationView {
  constructor(root, app) {
    this.app = app;
    this.root = root;
    const $ = (sel) => root.querySelector(sel);
    this.emptyState = $("[data-role=empty]");
    this.pane = $("[data-role=pane]");
    this.title = $("[data-testid=conversation-title]");
    this.avatar = $("[data-role=avatar]");
    this.statusChip = $("[data-testid=conversation-status]");
    this.meta = $("[data-role=meta]");
    this.takeButton = $("[data-testid=take-button]");
    this.transferButton = $("[data-testid=transfer-button]");
    this.resolveButton = $("[data-testid=resolve-button]");
    this.convertButton = $("[data-testid=convert-button]");
    this.closeButton = $("[data-testid=close-conversation]");
    this.readonlyBanner = $("[data-testid=readonly-banner]");
    this.backButton = $("[data-role=back]");
    this.scroller = $("[data-role=scroller]");
    this.transcript = $("[data-testid=transcript]");
    this.pendingList = $("[data-role=pending]");
    this.loading = $("[data-role=loading]");
    this.typing = $("[data-testid=typing-indicator]");
    this.typingText = $("[data-role=typing-text]");
    this.composer = $("[data-testid=composer]");
    this.replyTab = $("[data-testid=reply-toggle]");
    this.noteTab = $("[data-testid=internal-note-toggle]");
    this.composerHint = $("[data-testid=composer-hint]");
    this.textarea = $("[data-testid=composer-input]");
    this.sendButton = $("[data-testid=send-button]");
    this.attachButton = $("[data-testid=attach-button]");
    this.fileInput = $("[data-role=file-input]");
    this.chips = $("[data-role=chips]");
    this.newBelow = $("[data-role=new-below]");

    this.mode = "reply";
    this.uploads = [];
    this.rendered = new Map();
    this.maxRendered = 0;
    this.lastDay = null;
    this.typingSent = { active: false, at: 0, internal: false, timer: null };
    this.typingHideTimer = null;

    this.takeButton.addEventListener("click", () => app.take());
    this.transferButton.addEventListener("click", () => app.openTransfer());
    this.resolveButton.addEventListener("click", () => app.resolve());
    this.convertButton.addEventListener("click", () => app.convertToTicket());
    this.closeButton.addEventListener("click", () => app.closeConversation());
    this.backButton.addEventListener("click", () => app.backFromHistory());
    this.replyTab.addEventListener("click", () => this.setMode("reply"));
    this.noteTab.addEventListener("click", () => this.setMode(this.mode === "note" && this.canReply() ? "reply" : "note"));
    this.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.textarea.addEventListener("keydown", (event) => this._onKeydown(event));
    this.textarea.addEventListener("input", () => {
      this._autosize();
      this._typed();
      this._updateSendState();
    });
    attachCannedReplies(this.textarea, { context: () => ({ customer: this.open && this.open.summary ? this.open.summary.customer.id : undefined }) });
    this.attachButton.addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      for (const file of this.fileInput.files) this.upload(file);
      this.fileInput.value = "";
    });
    this.textarea.addEventListener("paste", (event) => {
      const files = Array.from(event.clipboardData ? event.clipboardData.files : []);
      if (files.length) {
        event.preventDefault();
        files.forEach((file) => this.upload(file));
      }
    });
    this.composer.addEventListener("dragover", (event) => {
      if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) {
        event.preventDefault();
        this.composer.classList.add("is-dragging");
      }
    });
    this.composer.addEventListener("dragleave", () => this.composer.classList.remove("is-dragging"));
    this.composer.addEventListener("drop", (event) => {
      this.composer.classList.remove("is-dragging");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        event.preventDefault();
        Array.from(event.dataTransfer.files).forEach((file) => this.upload(file));
      }
    });
    this.scroller.addEventListener("scroll", () => {
      if (this._nearBottom()) this.newBelow.hidden = true;
      this.app.maybeSendRead();
    });
    this.newBelow.addEventListener("click", () => this.scrollToBottom());
  }

  get open() {
    return this.app.open;
  }

  // ------------------------------------------------------------------ showing a conversation

  show() {
    this.emptyState.hidden = true;
    this.pane.hidden = false;
    clear(this.transcript);
    clear(this.pendingList);
    this.rendered = new Map();
    this.maxRendered = 0;
    this.lastDay = null;
    this.loading.hidden = false;
    this.newBelow.hidden = true;
    this._hideTyping();
    this.stopTyping();
    this.uploads = [];
    this._renderChips();
    this.textarea.value = this.open.draft || "";
    this._autosize();
    this.mode = this.canReply() ? "reply" : "note";
    this.renderHeader();
    this.renderPending();
  }

  hide() {
    this.stopTyping();
    this._hideTyping();
    this.pane.hidden = true;
    this.emptyState.hidden = false;
  }

  canReply() {
    const open = this.open;
    if (!open || open.readOnly || !open.summary) return false;
    const summary = open.summary;
    if (summary.status === "closed") return false;
    const me = this.app.me;
    if (summary.assignee && summary.assignee.id === me.id) return true;
    // A supervisor may step into a conversation another agent holds.
    return me.isSupervisor && Boolean(summary.assignee);
  }

  canWrite() {
    const open = this.open;
    return Boolean(open && !open.readOnly && open.summary && open.summary.status !== "closed");
  }

  renderHeader() {
    const open = this.open;
    if (!open) return;
    const summary = open.summary;
    const me = this.app.me;
    const name = summary ? summary.customer.name : t("Loading…");
    this.title.textContent = name;
    this.avatar.textContent = initials(name);
    if (summary) this.avatar.style.setProperty("--hue", String(hueFor(summary.customer.id)));
    this.statusChip.hidden = !summary;
    if (summary) {
      this.statusChip.textContent = statusLabel(summary.status);
      this.statusChip.className = `status-chip status-chip--${summary.status}`;
      this.statusChip.dataset.status = summary.status;
    }
    const parts = [];
    if (summary) {
      parts.push(`#${summary.id}`);
      if (summary.channel) parts.push(summary.channel.name);
      if (!summary.assignee) parts.push(t("Unassigned"));
      else if (summary.assignee.id === me.id) parts.push(t("Assigned to you"));
      else parts.push(t("Assigned to %(name)s", { name: summary.assignee.name }));
    }
    this.meta.textContent = parts.join(" · ");
    const active = summary && (summary.status === "open" || summary.status === "queued" || summary.status === "bot");
    const takeable = !open.readOnly && summary && !summary.assignee && (summary.status === "queued" || summary.status === "bot");
    const resolvable =
      !open.readOnly && active && (!summary.assignee || summary.assignee.id === me.id || me.isSupervisor);
    const transferable = !open.readOnly && summary && summary.status === "open" && summary.assignee && (summary.assignee.id === me.id || me.isSupervisor);
    this.takeButton.hidden = !takeable;
    this.transferButton.hidden = !transferable;
    this.transferButton.disabled = Boolean(open.busy) || !this.app.online;
    this.resolveButton.hidden = !resolvable;
    this.convertButton.hidden = !resolvable;
    this.convertButton.disabled = Boolean(open.busy) || !this.app.online;
    this.takeButton.disabled = Boolean(open.busy) || !this.app.online;
    this.resolveButton.disabled = Boolean(open.busy) || !this.app.online;
    this.readonlyBanner.hidden = !open.readOnly;
    this.backButton.hidden = !open.returnTo;
    this.updateComposer();
  }

  updateComposer() {
    const open = this.open;
    if (!open) return;
    const canWrite = this.canWrite();
    const canReply = this.canReply();
    if (!canReply && this.mode === "reply") this.mode = "note";
    this.composer.hidden = open.readOnly;
    this.composer.classList.toggle("is-note", this.mode === "note");
    this.composer.classList.toggle("is-disabled", !canWrite);
    this.replyTab.disabled = !canReply;
    this.replyTab.setAttribute("aria-pressed", String(this.mode === "reply"));
    this.noteTab.setAttribute("aria-pressed", String(this.mode === "note"));
    this.noteTab.disabled = !canWrite;
    this.textarea.disabled = !canWrite;
    this.attachButton.disabled = !canWrite;
    this.textarea.placeholder =
      this.mode === "note" ? t("Write an internal note — only agents see it") : t("Reply to the customer… (Enter to send, Shift+Enter for a new line)");
    let hint = "";
    const summary = open.summary;
    if (summary && summary.status === "closed") hint = t("This conversation is closed.");
    else if (summary && !canReply && !summary.assignee) hint = t("Take this conversation to reply to the customer. Internal notes are allowed.");
    else if (summary && !canReply && summary.assignee) hint = t("%(name)s is handling this conversation. You can add internal notes.", { name: summary.assignee.name });
    else if (summary && summary.status === "resolved") hint = t("This conversation is resolved. A reply from the customer opens it again.");
    this.composerHint.textContent = hint;
    this.composerHint.hidden = !hint;
    this._updateSendState();
  }

  setMode(mode) {
    if (mode === "reply" && !this.canReply()) return;
    if (mode !== this.mode) this.stopTyping();
    this.mode = mode;
    this.updateComposer();
    this.textarea.focus();
  }

  // ------------------------------------------------------------------------------ transcript

  /** Add messages (replayed or live); duplicates by seq are dropped, order is by seq. */
  addMessages(messages) {
    const stick = this._nearBottom() || this.rendered.size === 0;
    let outOfOrder = false;
    let addedFromOthers = false;
    for (const message of messages) {
      if (this.rendered.has(message.seq)) continue;
      if (message.seq < this.maxRendered) outOfOrder = true;
      this.maxRendered = Math.max(this.maxRendered, message.seq);
      const el = this._messageElement(message);
      this.rendered.set(message.seq, { message, el });
      if (!outOfOrder) this._appendWithDay(message, el);
      if (message.sender.kind !== "agent" || message.sender.agent_id !== this.app.me.id) addedFromOthers = true;
    }
    if (outOfOrder) this._rerender();
    if (this.rendered.size) this.loading.hidden = true;
    if (stick) this.scrollToBottom();
    else if (addedFromOthers) this.newBelow.hidden = false;
  }

  replayDone() {
    this.loading.hidden = true;
  }

  _rerender() {
    clear(this.transcript);
    this.lastDay = null;
    const seqs = Array.from(this.rendered.keys()).sort((a, b) => a - b);
    for (const seq of seqs) this._appendWithDay(this.rendered.get(seq).message, this.rendered.get(seq).el);
  }

  _appendWithDay(message, el) {
    const key = dayKey(message.created_at);
    if (key !== this.lastDay) {
      this.lastDay = key;
      this.transcript.append(h("li", { class: "day-divider", role: "separator" }, h("span", { text: dayLabel(message.created_at) })));
    }
    this.transcript.append(el);
  }

  _authorName(message) {
    const kind = message.sender.kind;
    if (kind === "visitor") return this.open && this.open.summary ? this.open.summary.customer.name : t("Customer");
    if (kind === "bot") return t("Bot");
    if (kind === "agent") {
      if (message.sender.agent_id === this.app.me.id) return t("You");
      return message.sender.name || t("Agent");
    }
    return "";
  }

  _systemText(message) {
    const meta = message.meta || {};
    const name = meta.agent_name || "";
    if (meta.event === "agent_joined") return t("%(name)s joined the conversation", { name });
    if (meta.event === "resolved") return name ? t("%(name)s resolved the conversation", { name }) : t("The conversation was resolved");
    if (meta.event === "reopened") return t("The conversation was reopened");
    if (meta.event === "transferred") return t("%(from)s transferred the conversation to %(name)s", { from: meta.from_agent_name || "", name });
    if (meta.event === "transferred_to_queue") return t("Transferred to a queue; waiting for the next agent");
    if (meta.event === "visitor_left") return t("The visitor left before an agent answered");
    if (meta.event === "no_agent_available") return t("Nobody answered in time; the visitor was asked to leave a message");
    if (meta.event === "bot_handoff") return t("The bot handed the conversation to a person");
    if (meta.event === "ticket_created") return t("Ticket %(number)s was created from this conversation", { number: meta.number || "" });
    if (meta.event === "routing_note") return t("Note for the next agent: %(note)s", { note: message.body });
    return message.body;
  }

  _messageElement(message) {
    const kind = message.sender.kind;
    const mine = kind === "agent" && message.sender.agent_id === this.app.me.id;
    const classes = ["msg", `msg--${kind}`];
    if (message.internal) classes.push("msg--internal");
    if (mine) classes.push("msg--mine");
    const outgoing = kind === "agent" || message.internal;
    if (outgoing) classes.push("msg--out");
    const attrs = {
      class: classes.join(" "),
      "data-testid": "message",
      dataset: { seq: String(message.seq), sender: kind, internal: String(Boolean(message.internal)) },
    };
    if (message.client_id) attrs.dataset.clientId = message.client_id;
    if (kind === "system") {
      return h("li", attrs, h("div", { class: "msg-system", title: fullDateTime(message.created_at), text: this._systemText(message) }));
    }
    const bubble = h("div", { class: "msg-bubble" });
    if (message.internal) {
      bubble.append(h("div", { class: "note-label", "data-testid": "note-label" }, icon("lock", "icon icon--sm"), h("span", { text: t("Internal note · only agents see this") })));
    }
    if (message.body) bubble.append(h("div", { class: "msg-body", "data-testid": "message-body", text: message.body }));
    if (message.attachments && message.attachments.length) bubble.append(this._attachments(message.attachments));
    const metaLine = h(
      "div",
      { class: "msg-meta" },
      h("span", { class: "msg-author", text: this._authorName(message) }),
      h("time", { class: "msg-time", datetime: message.created_at, title: fullDateTime(message.created_at), text: clockTime(message.created_at) }),
    );
    if (kind === "agent" && !message.internal) {
      const seen = this.open && message.seq <= this.open.visitorReadSeq;
      metaLine.append(this._receipt(seen));
    }
    return h("li", attrs, metaLine, bubble);
  }

  _receipt(seen) {
    return h(
      "span",
      { class: `receipt ${seen ? "is-seen" : ""}`, "data-testid": "receipt", dataset: { state: seen ? "seen" : "sent" } },
      icon(seen ? "checks" : "check", "icon icon--xs"),
      h("span", { text: seen ? t("Seen") : t("Sent") }),
    );
  }

  updateReceipts() {
    if (!this.open) return;
    for (const { message, el } of this.rendered.values()) {
      if (message.sender.kind !== "agent" || message.internal) continue;
      const old = el.querySelector("[data-testid=receipt]");
      const seen = message.seq <= this.open.visitorReadSeq;
      if (old && old.dataset.state !== (seen ? "seen" : "sent")) old.replaceWith(this._receipt(seen));
    }
  }

  _attachments(attachments) {
    const box = h("div", { class: "msg-attachments" });
    for (const attachment of attachments) {
      const url = this.app.attachmentUrl(attachment.id);
      if (attachment.content_type.startsWith("image/")) {
        box.append(
          h(
            "a",
            { class: "msg-image-link", href: url, target: "_blank", rel: "noopener", "data-testid": "attachment-image" },
            h("img", { class: "msg-image", src: url, alt: attachment.filename, loading: "lazy" }),
          ),
        );
      } else {
        box.append(
          h(
            "a",
            { class: "file-chip", href: url, download: attachment.filename, "data-testid": "attachment-file" },
            icon("file"),
            h("span", { class: "file-name", text: attachment.filename }),
            h("span", { class: "file-size", text: fileSize(attachment.size) }),
          ),
        );
      }
    }
    return box;
  }

  // -------------------------------------------------------------- pending (outbox) messages

  renderPending() {
    clear(this.pendingList);
    if (!this.open) return;
    const stick = this._nearBottom();
    for (const item of this.app.outbox.forConversation(this.open.id)) {
      const failed = item.state === "failed";
      const state = failed
        ? h(
            "span",
            { class: "pending-state is-failed" },
            h("span", { text: t("Not sent: %(reason)s", { reason: errorText(item.error) }) }),
            h("button", { type: "button", class: "link-button", text: t("Retry"), onclick: () => this.app.retryMessage(item.client_id) }),
            h("button", { type: "button", class: "link-button", text: t("Discard"), onclick: () => this.app.discardMessage(item.client_id) }),
          )
        : h("span", { class: "pending-state", text: this.app.online ? t("Sending…") : t("Waiting for the connection…") });
      const bubble = h("div", { class: "msg-bubble" });
      if (item.internal) bubble.append(h("div", { class: "note-label" }, icon("lock", "icon icon--sm"), h("span", { text: t("Internal note · only agents see this") })));
      if (item.body) bubble.append(h("div", { class: "msg-body", text: item.body }));
      if (item.attachments.length) {
        bubble.append(h("div", { class: "msg-attachments" }, item.attachments.map((a) => h("span", { class: "file-chip" }, icon("file"), h("span", { class: "file-name", text: a.filename })))));
      }
      this.pendingList.append(
        h(
          "li",
          {
            class: `msg msg--agent msg--out msg--mine msg--pending ${item.internal ? "msg--internal" : ""} ${failed ? "is-failed" : ""}`,
            "data-testid": "pending-message",
            dataset: { clientId: item.client_id, state: item.state },
          },
          h("div", { class: "msg-meta" }, h("span", { class: "msg-author", text: t("You") }), state),
          bubble,
        ),
      );
    }
    if (stick) this.scrollToBottom();
  }

  // ---------------------------------------------------------------------------------- typing

  showTyping(frame) {
    clearTimeout(this.typingHideTimer);
    if (!frame.is_typing) {
      this._hideTyping();
      return;
    }
    const name = frame.from === "visitor" ? (this.open && this.open.summary ? this.open.summary.customer.name : t("Customer")) : frame.name || t("Agent");
    this.typingText.textContent = frame.internal ? t("%(name)s is writing a note…", { name }) : t("%(name)s is typing…", { name });
    this.typing.dataset.from = frame.from;
    this.typing.hidden = false;
    this.typingHideTimer = setTimeout(() => this._hideTyping(), TYPING_SHOW_MS);
  }

  _hideTyping() {
    clearTimeout(this.typingHideTimer);
    this.typing.hidden = true;
  }

  _saveDraft() {
    if (!this.open || this.open.readOnly) return;
    this.open.draft = this.textarea.value;
    if (this.open.draft) this.app.drafts.set(this.open.id, this.open.draft);
    else this.app.drafts.delete(this.open.id);
  }

  _typed() {
    this._saveDraft();
    if (!this.open || !this.canWrite()) return;
    const state = this.typingSent;
    const internal = this.mode === "note";
    const now = Date.now();
    if (!this.textarea.value.trim()) {
      this.stopTyping();
      return;
    }
    if (!state.active || state.internal !== internal || now - state.at > TYPING_REPEAT_MS) {
      if (state.active && state.internal !== internal) this.stopTyping();
      if (this.app.sendFrame({ type: "typing", conversation_id: this.open.id, is_typing: true, internal })) {
        state.active = true;
        state.internal = internal;
        state.at = now;
      }
    }
    clearTimeout(state.timer);
    state.timer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    const state = this.typingSent;
    clearTimeout(state.timer);
    if (state.active && this.open) {
      this.app.sendFrame({ type: "typing", conversation_id: this.open.id, is_typing: false, internal: state.internal });
    }
    state.active = false;
  }

  // -------------------------------------------------------------------------------- composer

  _onKeydown(event) {
    // While an input method is composing (pinyin), Enter picks a candidate; it must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      this.send();
    }
  }

  _autosize() {
    this.textarea.style.height = "auto";
    this.textarea.style.height = `${Math.min(this.textarea.scrollHeight, 200)}px`;
  }

  _updateSendState() {
    const uploading = this.uploads.some((u) => u.state === "uploading");
    const hasContent = this.textarea.value.trim() !== "" || this.uploads.some((u) => u.state === "done");
    this.sendButton.disabled = !this.canWrite() || uploading || !hasContent;
    this.sendButton.textContent = "";
    this.sendButton.append(icon("send", "icon icon--sm"), h("span", { text: this.mode === "note" ? t("Add note") : t("Send") }));
  }

  send() {
    if (!this.open || !this.canWrite()) return;
    if (this.mode === "reply" && !this.canReply()) return;
    if (this.uploads.some((u) => u.state === "uploading")) return;
    const body = this.textarea.value.trim();
    const attachments = this.uploads.filter((u) => u.state === "done").map((u) => u.attachment);
    if (!body && !attachments.length) return;
    this.stopTyping();
    this.app.sendMessage({ conversationId: this.open.id, body, internal: this.mode === "note", attachments });
    this.textarea.value = "";
    this._saveDraft();
    this.uploads = [];
    this._renderChips();
    this._autosize();
    this._updateSendState();
    this.scrollToBottom();
  }

  async upload(file) {
    if (!this.open || !this.canWrite()) return;
    const entry = { key: Math.random().toString(36).slice(2), file, state: "uploading", attachment: null, error: "" };
    this.uploads.push(entry);
    this._renderChips();
    this._updateSendState();
    try {
      entry.attachment = await this.app.uploadFile(this.open.id, file);
      entry.state = "done";
    } catch (error) {
      entry.state = "failed";
      entry.error = error.message || t("Upload failed.");
    }
    this._renderChips();
    this._updateSendState();
  }

  _renderChips() {
    clear(this.chips);
    this.chips.hidden = this.uploads.length === 0;
    for (const entry of this.uploads) {
      const label =
        entry.state === "uploading" ? t("Uploading…") : entry.state === "failed" ? entry.error : fileSize(entry.attachment.size);
      this.chips.append(
        h(
          "li",
          { class: `upload-chip is-${entry.state}`, "data-testid": "upload-chip", dataset: { state: entry.state } },
          icon("paperclip", "icon icon--sm"),
          h("span", { class: "file-name", text: entry.file.name }),
          h("span", { class: "file-size", text: label }),
          h(
            "button",
            {
              type: "button",
              class: "icon-button icon-button--sm",
              "aria-label": t("Remove"),
              title: t("Remove"),
              onclick: () => {
                this.uploads = this.uploads.filter((u) => u.key !== entry.key);
                this._renderChips();
                this._updateSendState();
              },
            },
            icon("close", "icon icon--sm"),
          ),
        ),
      );
    }
  }

  // ------------------------------------------------------------------------------- scrolling

  _nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.newBelow.hidden = true;
  }

  isReading() {
    return !this.pane.hidden && this._nearBottom();
  }

  focusComposer() {
    if (!this.textarea.disabled) this.textarea.focus();
  }
}
