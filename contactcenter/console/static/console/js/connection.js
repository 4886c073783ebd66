// The agent socket: connect, reconnect with backoff and jitter, heartbeat, and a dead-link check.

const PING_EVERY_MS = 20000;
// No frame at all (not even a pong) for this long means the link is dead even if the socket
// has not noticed yet (a laptop waking from sleep, a proxy that dropped the connection).
const SILENCE_LIMIT_MS = 50000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
const CLOSE_UNAUTHENTICATED = 4401;

export class AgentConnection {
  /**
   * onFrame(frame) gets every parsed frame; onState(state) gets
   * "connecting" | "online" | "reconnecting" | "signed_out".
   */
  constructor({ url, onFrame, onState }) {
    this.url = url;
    this.onFrame = onFrame;
    this.onState = onState;
    this.ws = null;
    this.attempts = 0;
    this.everOnline = false;
    this.stopped = false;
    this.lastFrameAt = 0;
    this.retryTimer = null;
    this.heartbeat = null;
    this.state = "connecting";
  }

  start() {
    this._connect();
    this.heartbeat = setInterval(() => this._beat(), PING_EVERY_MS);
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.state === "reconnecting") this.reconnectNow();
    });
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.state === "online";
  }

  /** Send a frame now; false when not connected (the caller keeps what must not be lost). */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  reconnectNow() {
    if (this.stopped) return;
    if (this.ws && (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)) return;
    clearTimeout(this.retryTimer);
    this.attempts = 0;
    this._connect();
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }

  _connect() {
    if (this.stopped) return;
    this._setState(this.everOnline ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this._scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.lastFrameAt = Date.now();
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "ready") {
        // Online means the server has authenticated us and sent the inbox, not just TCP up.
        this.attempts = 0;
        this.everOnline = true;
        this._setState("online");
      }
      this.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      if (event.code === CLOSE_UNAUTHENTICATED) {
        this.stopped = true;
        this._setState("signed_out");
        return;
      }
      this._scheduleRetry();
    });
  }

  _scheduleRetry() {
    if (this.stopped) return;
    this._setState(this.everOnline ? "reconnecting" : "connecting");
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempts);
    this.attempts += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._connect(), delay);
  }

  _beat() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
      const dead = this.ws;
      this.ws = null;
      dead.close();
      this._scheduleRetry();
      return;
    }
    this.send({ type: "ping" });
  }
}
