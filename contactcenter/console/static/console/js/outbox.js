// Messages the agent wrote that the server has not acknowledged yet. Each has a client_id, so
// sending it again (after a reconnect, a timeout or a page reload) stores it once.

const RESEND_AFTER_MS = 8000;

function newClientId() {
  // crypto.getRandomValues works on plain-http LAN addresses, where randomUUID does not.
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return "a-" + Date.now().toString(36) + "-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Outbox {
  constructor(storageKey) {
    this.storageKey = storageKey;
    this.items = [];
    try {
      const saved = JSON.parse(sessionStorage.getItem(storageKey) || "[]");
      if (Array.isArray(saved)) this.items = saved.map((item) => ({ ...item, sentAt: 0 }));
    } catch {
      this.items = [];
    }
  }

  _save() {
    try {
      sessionStorage.setItem(this.storageKey, JSON.stringify(this.items));
    } catch {
      // Storage full or disabled: the outbox still works for this page's life.
    }
  }

  add({ conversationId, body, internal, attachments }) {
    const item = {
      client_id: newClientId(),
      conversation_id: conversationId,
      body,
      internal,
      attachments,
      state: "pending",
      error: null,
      createdAt: new Date().toISOString(),
      sentAt: 0,
    };
    this.items.push(item);
    this._save();
    return item;
  }

  get(clientId) {
    return this.items.find((item) => item.client_id === clientId) || null;
  }

  remove(clientId) {
    const before = this.items.length;
    this.items = this.items.filter((item) => item.client_id !== clientId);
    if (this.items.length !== before) this._save();
    return this.items.length !== before;
  }

  fail(clientId, error) {
    const item = this.get(clientId);
    if (!item) return null;
    item.state = "failed";
    item.error = error;
    this._save();
    return item;
  }

  retry(clientId) {
    const item = this.get(clientId);
    if (!item) return null;
    item.state = "pending";
    item.error = null;
    item.sentAt = 0;
    this._save();
    return item;
  }

  /** Pending items not sent yet, or sent long enough ago without an ack. */
  due(now = Date.now()) {
    return this.items.filter((item) => item.state === "pending" && (!item.sentAt || now - item.sentAt > RESEND_AFTER_MS));
  }

  forConversation(conversationId) {
    return this.items.filter((item) => item.conversation_id === conversationId);
  }

  frame(item) {
    return {
      type: "message",
      conversation_id: item.conversation_id,
      client_id: item.client_id,
      body: item.body,
      internal: item.internal,
      attachments: item.attachments.map((a) => a.id),
    };
  }
}
