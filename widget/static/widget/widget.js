/*!
 * contactcenter chat widget — embed with one tag:
 *   <script src="https://HOST/widget.js" data-channel="KEY" async></script>
 *
 * Optional attributes on the tag:
 *   data-lang="zh-hans" | "en"   language (default: from navigator.languages)
 *   data-transport="polling"     skip WebSocket and use the socket.io long-poll fallback at once
 *
 * Vanilla JS, no build step. Speaks the frame protocol of docs/protocol.md over WebSocket
 * (/ws/widget/) or, when WebSockets are blocked, over socket.io long polling (/socket.io/, the
 * vendored client is loaded only then). The UI lives in an open Shadow DOM, so the host page's
 * CSS does not leak in and ours does not leak out. Every text from visitors, agents, the
 * channel's settings or the server is put on the page with textContent, never parsed as HTML.
 *
 * Reliability: the visitor token, the outbox of unsent messages and the read mark live in
 * localStorage per channel key. Each message has a client_id and stays in the outbox, shown as
 * "Sending…", until the server acks it; it is re-sent after every reconnect (the server stores a
 * client_id once). Reconnects back off exponentially with jitter and resume from the last seen
 * seq; a heartbeat compares the server's last seq with ours and asks for what is missing. A fresh
 * page load says hello with last_seq 0 and gets the whole conversation replayed.
 *
 * Global: only window.ContactCenterWidget = { open(), close(), transport } where transport is
 * "websocket" or "polling" (null before the first connection attempt).
 *
 * Stable hooks for tests (data-testid inside the shadow root of #contactcenter-widget; Playwright
 * locators pierce open shadow roots):
 *   cc-launcher          the round button; aria-expanded tells whether the panel is open
 *   cc-unread            unread badge on the launcher (hidden when 0); text is the count
 *   cc-panel             the chat panel; attribute data-connection = "connecting" | "online" | "offline"
 *   cc-close             close button in the panel header
 *   cc-title             channel name in the header
 *   cc-status            "online" / "we'll reply soon" text; attribute data-online = "true" | "false"
 *   cc-connection        banner shown while (re)connecting
 *   cc-greeting          the channel's greeting
 *   cc-prechat           pre-chat form (present only while it is needed)
 *   cc-prechat-<name>    one input per pre-chat field, by the field's name
 *   cc-prechat-error-<name>  that field's error text
 *   cc-prechat-submit    the form's submit button
 *   cc-messages          the message list
 *   cc-message           one message; attributes data-seq (absent while unsent), data-sender
 *                        ("visitor" | "agent" | "bot" | "system"), data-client-id, data-event
 *                        (system messages), data-state ("sending" | "sent" | "failed")
 *   cc-message-body      the text of a message
 *   cc-seen              "Seen" under the visitor's last message the agent has read; data-seq
 *   cc-typing            agent typing indicator (hidden when nobody types)
 *   cc-composer          the textarea
 *   cc-send              the send button
 *   cc-attach            the attach button; cc-file-input is its <input type=file>
 *   cc-attachment        an attachment in a message (img or download button); data-attachment-id
 *   cc-upload            a file being uploaded (before it becomes a message)
 *   cc-notice            a transient error line above the composer (upload refused, ...)
 *   cc-queue             place in line while waiting for an agent (hidden otherwise); data-position;
 *                        cc-queue-position and cc-queue-eta are its two texts
 */
(function () {
  "use strict";

  if (window.ContactCenterWidget) {
    return; // embedded twice: the first copy wins
  }

  var script = document.currentScript || document.querySelector('script[data-channel][src*="widget.js"]');
  if (!script || !script.getAttribute("data-channel")) {
    if (window.console) console.warn("contactcenter widget: the <script> tag needs data-channel=\"KEY\".");
    return;
  }

  // ------------------------------------------------------------------------------ settings

  var KEY = script.getAttribute("data-channel");
  var SRC = new URL(script.src, location.href);
  var PREFIX = SRC.pathname.replace(/\/widget\.js$/, ""); // the server may live under a path
  var BASE = SRC.origin + PREFIX;
  var SOCKETIO_VERSION = "4.8.4";
  var OPEN_TIMEOUT_MS = 5000; // a WebSocket not open by then counts as a failed attempt
  var WELCOME_TIMEOUT_MS = 10000;
  var HEARTBEAT_MS = 25000;
  var PONG_TIMEOUT_MS = 10000;
  var BACKOFF_BASE_MS = 1000;
  var BACKOFF_MAX_MS = 20000;
  var POLLING_MEMORY_MS = 30 * 60 * 1000; // how long a page remembers that WebSockets fail here
  var TYPING_SEND_EVERY_MS = 3000;
  var TYPING_IDLE_MS = 4000;
  var AGENT_TYPING_SHOW_MS = 8000;
  var MAX_IN_FLIGHT = 5;

  var LANG = pickLanguage(script.getAttribute("data-lang"));

  function pickLanguage(attr) {
    var wanted = [attr].concat(navigator.languages || [], [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var tag = String(wanted[i] || "").toLowerCase();
      if (!tag) continue;
      if (tag.indexOf("zh") === 0) return "zh-hans";
      if (tag.indexOf("en") === 0) return "en";
    }
    return "en";
  }

  // ---------------------------------------------------------------------------------- i18n

  var STRINGS = {
    en: {
      open_chat: "Open chat",
      close_chat: "Close chat",
      chat: "Chat",
      online: "We're online",
      away: "We'll reply as soon as we can",
      prechat_intro: "Tell us a little about yourself and we'll be right with you.",
      start_chat: "Start chat",
      starting: "Starting…",
      required: "Please fill this in.",
      bad_email: "Please enter a valid e-mail address.",
      placeholder: "Write a message…",
      send: "Send",
      attach: "Attach a file",
      sending: "Sending…",
      failed: "Not sent. Tap to retry.",
      seen: "Seen",
      typing: "{name} is typing…",
      someone_typing: "Typing…",
      connecting: "Connecting…",
      reconnecting: "Connection lost. Reconnecting…",
      unavailable: "Chat is not available on this website.",
      agent_joined: "{name} joined the conversation",
      agent_left: "{name} left the conversation",
      resolved: "This conversation was marked as resolved. Write again any time.",
      reopened: "The conversation was reopened",
      today: "Today",
      yesterday: "Yesterday",
      uploading: "Uploading…",
      upload_failed: "Could not send {name}: {reason}",
      file_too_large: "the file is too large (at most {mb} MB).",
      file_type: "this type of file is not accepted.",
      network: "the connection failed.",
      too_long: "Messages can be at most {n} characters.",
      unavailable_file: "File not available",
      unread: "{n} unread",
      you: "You",
      agent: "Agent",
      bot: "Assistant",
      queue_position: "You are number {n} in line",
      queue_next: "You are next in line",
      queue_eta: "Estimated wait: {eta}",
      eta_minutes: "about {n} min",
      eta_soon: "less than a minute",
      transferred: "{from} handed the conversation to {name}",
      transferred_to_queue: "You are being transferred; the next free agent will answer.",
      no_agent_available: "Sorry, nobody is free to answer right now. Leave your message here and we will get back to you.",
      visitor_left: "This chat ended while you were away. Write again any time.",
      did_it_help: "Did this help?",
      yes: "Yes",
      no: "No",
      thanks_feedback: "Thanks for your feedback!",
      talk_to_person: "Talk to a person",
      ticket_created: "We have opened ticket {number} for your request; a colleague will follow up.",
      bot_handoff: "Connecting you to a person…",
      rate_prompt: "How would you rate this chat?",
      rate_score: "{n} out of 5",
      rate_low: "Very unsatisfied",
      rate_high: "Very satisfied",
      rate_comment: "Anything to add? (optional)",
      rate_send: "Send rating",
      rate_thanks: "Thanks for rating this chat!",
    },
    "zh-hans": {
      open_chat: "打开在线客服",
      close_chat: "关闭",
      chat: "在线客服",
      online: "客服在线",
      away: "我们会尽快回复您",
      prechat_intro: "开始之前，请留下您的联系方式，我们马上为您服务。",
      start_chat: "开始咨询",
      starting: "正在开始…",
      required: "请填写此项。",
      bad_email: "请输入有效的电子邮箱地址。",
      placeholder: "输入消息…",
      send: "发送",
      attach: "发送文件",
      sending: "发送中…",
      failed: "发送失败，点击重试。",
      seen: "已读",
      typing: "{name} 正在输入…",
      someone_typing: "对方正在输入…",
      connecting: "正在连接…",
      reconnecting: "连接已断开，正在重新连接…",
      unavailable: "本网站未开通在线客服。",
      agent_joined: "{name} 加入了会话",
      agent_left: "{name} 离开了会话",
      resolved: "本次会话已标记为解决。如有问题，欢迎随时留言。",
      reopened: "会话已重新打开",
      today: "今天",
      yesterday: "昨天",
      uploading: "上传中…",
      upload_failed: "无法发送 {name}：{reason}",
      file_too_large: "文件过大（最大 {mb} MB）。",
      file_type: "不支持此类文件。",
      network: "网络连接失败。",
      too_long: "消息最多 {n} 个字符。",
      unavailable_file: "文件不可用",
      unread: "{n} 条未读",
      you: "我",
      agent: "客服",
      bot: "智能助手",
      queue_position: "您前面还有 {ahead} 位，当前排在第 {n} 位",
      queue_next: "下一位就是您",
      queue_eta: "预计等待：{eta}",
      eta_minutes: "约 {n} 分钟",
      eta_soon: "不到 1 分钟",
      transferred: "{from} 已将会话转给 {name}",
      transferred_to_queue: "正在为您转接，下一位空闲的客服会为您服务。",
      no_agent_available: "抱歉，目前没有空闲的客服。请在这里留言，我们会尽快回复您。",
      visitor_left: "您离开期间会话已结束。如有问题，欢迎随时留言。",
      did_it_help: "这个回答有帮助吗？",
      yes: "有帮助",
      no: "没帮助",
      thanks_feedback: "感谢您的反馈！",
      talk_to_person: "转人工客服",
      ticket_created: "已为您创建工单 {number}，稍后会有同事跟进处理。",
      bot_handoff: "正在为您转接人工客服…",
      rate_prompt: "请为本次服务评分",
      rate_score: "{n} 分（满分 5 分）",
      rate_low: "非常不满意",
      rate_high: "非常满意",
      rate_comment: "还有什么想说的吗？（选填）",
      rate_send: "提交评价",
      rate_thanks: "感谢您的评价！",
    },
  };

  function t(key, params) {
    var text = (STRINGS[LANG] && STRINGS[LANG][key]) || STRINGS.en[key] || key;
    if (params) {
      text = text.replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
      });
    }
    return text;
  }

  // System messages carry meta.event so each client words them in its own language.
  var SYSTEM_EVENTS = {
    agent_joined: function (meta) {
      return t("agent_joined", { name: meta.agent_name || t("agent") });
    },
    agent_left: function (meta) {
      return t("agent_left", { name: meta.agent_name || t("agent") });
    },
    resolved: function () {
      return t("resolved");
    },
    reopened: function () {
      return t("reopened");
    },
    transferred: function (meta) {
      return t("transferred", { from: meta.from_agent_name || t("agent"), name: meta.agent_name || t("agent") });
    },
    transferred_to_queue: function () {
      return t("transferred_to_queue");
    },
    no_agent_available: function () {
      return t("no_agent_available");
    },
    visitor_left: function () {
      return t("visitor_left");
    },
    bot_handoff: function () {
      return t("bot_handoff");
    },
    ticket_created: function (meta) {
      return t("ticket_created", { number: meta.number || "" });
    },
  };

  function etaText(seconds) {
    if (typeof seconds !== "number" || seconds < 60) return t("eta_soon");
    return t("eta_minutes", { n: Math.round(seconds / 60) });
  }

  // ------------------------------------------------------------------------------- storage

  // localStorage can be missing or throw (private modes, sandboxed frames): keep working in memory.
  var STORE_KEY = "contactcenter-widget:" + KEY;
  var memory = {};
  var storage = (function () {
    try {
      var probe = STORE_KEY + ":probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null;
    }
  })();

  function readStore() {
    if (!storage) return memory;
    try {
      var data = JSON.parse(storage.getItem(STORE_KEY) || "{}");
      return data && typeof data === "object" ? data : {};
    } catch (e) {
      return {};
    }
  }

  function writeStore(patch) {
    var data = readStore();
    Object.keys(patch).forEach(function (k) {
      data[k] = patch[k];
    });
    if (!storage) {
      memory = data;
      return;
    }
    try {
      storage.setItem(STORE_KEY, JSON.stringify(data));
    } catch (e) {
      memory = data;
      storage = null; // full or revoked: carry on in memory
    }
  }

  // The outbox is read and written through storage each time, so two tabs of the same site
  // share it; the server's client_id dedupe makes a double send harmless.
  function outbox() {
    var items = readStore().outbox;
    return Array.isArray(items) ? items : [];
  }

  function outboxAdd(item) {
    writeStore({ outbox: outbox().concat([item]) });
  }

  function outboxRemove(clientId) {
    writeStore({
      outbox: outbox().filter(function (item) {
        return item.client_id !== clientId;
      }),
    });
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  // ---------------------------------------------------------------------------- transports
  //
  // A transport has open(), send(frame) -> bool and close(), and reports through three
  // callbacks: onOpen(), onFrame(frame), onClose({code, opened}). It never reconnects by itself.

  function WebSocketTransport(callbacks) {
    this.kind = "websocket";
    this.cb = callbacks;
    this.ws = null;
    this.opened = false;
    this.done = false;
  }

  WebSocketTransport.prototype.open = function () {
    var self = this;
    var url = BASE.replace(/^http/, "ws") + "/ws/widget/?channel=" + encodeURIComponent(KEY);
    try {
      this.ws = new WebSocket(url);
    } catch (e) {
      setTimeout(function () {
        self.finish(0);
      }, 0);
      return;
    }
    this.openTimer = setTimeout(function () {
      if (!self.opened) self.finish(0);
    }, OPEN_TIMEOUT_MS);
    this.ws.onopen = function () {
      clearTimeout(self.openTimer);
      self.opened = true;
      if (!self.done) self.cb.onOpen();
    };
    this.ws.onmessage = function (event) {
      if (self.done || typeof event.data !== "string") return;
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame && typeof frame === "object") self.cb.onFrame(frame);
    };
    this.ws.onclose = function (event) {
      self.finish(event.code);
    };
    this.ws.onerror = function () {
      /* a close event follows */
    };
  };

  WebSocketTransport.prototype.finish = function (code) {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.openTimer);
    this.shut();
    this.cb.onClose({ code: code || 0, opened: this.opened });
  };

  WebSocketTransport.prototype.shut = function () {
    if (!this.ws) return;
    this.ws.onopen = this.ws.onmessage = this.ws.onclose = this.ws.onerror = null;
    try {
      this.ws.close(1000);
    } catch (e) {
      /* already closed */
    }
  };

  WebSocketTransport.prototype.send = function (frame) {
    if (this.done || !this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  };

  WebSocketTransport.prototype.close = function () {
    this.done = true;
    clearTimeout(this.openTimer);
    this.shut();
  };

  var socketIoPromise = null;

  // Loads the vendored socket.io client once, without leaving `io` behind on the host page
  // (and without an AMD loader on the page capturing it).
  function loadSocketIo() {
    if (socketIoPromise) return socketIoPromise;
    socketIoPromise = new Promise(function (resolve, reject) {
      var hadIo = Object.prototype.hasOwnProperty.call(window, "io");
      var previousIo = window.io;
      var amdDefine = typeof window.define === "function" && window.define.amd ? window.define : null;
      var tag = document.createElement("script");
      function restore() {
        if (amdDefine) window.define = amdDefine;
        if (hadIo) {
          window.io = previousIo;
        } else {
          try {
            delete window.io;
          } catch (e) {
            window.io = undefined;
          }
        }
        if (tag.parentNode) tag.parentNode.removeChild(tag);
      }
      tag.src = BASE + "/widget/vendor/socket.io.min.js?v=" + SOCKETIO_VERSION;
      tag.async = true;
      if (script.nonce) tag.nonce = script.nonce; // pages with a strict CSP trusted our tag
      tag.onload = function () {
        var io = window.io;
        restore();
        if (typeof io === "function") {
          resolve(io);
        } else {
          socketIoPromise = null;
          reject(new Error("socket.io client did not load"));
        }
      };
      tag.onerror = function () {
        restore();
        socketIoPromise = null;
        reject(new Error("socket.io client did not load"));
      };
      if (amdDefine) window.define = undefined;
      (document.head || document.documentElement).appendChild(tag);
    });
    return socketIoPromise;
  }

  function PollingTransport(callbacks) {
    this.kind = "polling";
    this.cb = callbacks;
    this.socket = null;
    this.opened = false;
    this.done = false;
    this.serverCode = 0;
  }

  PollingTransport.prototype.open = function () {
    var self = this;
    loadSocketIo().then(
      function (io) {
        if (self.done) return;
        var socket = io(SRC.origin, {
          path: PREFIX + "/socket.io",
          transports: ["polling"],
          query: { channel: KEY },
          reconnection: false, // the widget runs one reconnect policy for both transports
          forceNew: true,
          timeout: OPEN_TIMEOUT_MS * 2,
        });
        self.socket = socket;
        socket.on("connect", function () {
          self.opened = true;
          if (!self.done) self.cb.onOpen();
        });
        socket.on("frame", function (frame) {
          if (self.done) return;
          if (typeof frame === "string") {
            try {
              frame = JSON.parse(frame);
            } catch (e) {
              return;
            }
          }
          if (frame && typeof frame === "object") self.cb.onFrame(frame);
        });
        socket.on("close", function (info) {
          self.serverCode = (info && info.code) || 0;
        });
        socket.on("disconnect", function () {
          self.finish();
        });
        socket.on("connect_error", function (error) {
          // A refusal carries the close code the WebSocket would have had ({code, frame}).
          var data = error && error.data;
          if (data && typeof data.code === "number") self.serverCode = data.code;
          if (data && data.frame && typeof data.frame === "object") self.cb.onFrame(data.frame);
          self.finish();
        });
      },
      function () {
        self.finish();
      }
    );
  };

  PollingTransport.prototype.finish = function () {
    if (this.done) return;
    this.done = true;
    this.shut();
    this.cb.onClose({ code: this.serverCode, opened: this.opened });
  };

  PollingTransport.prototype.shut = function () {
    if (!this.socket) return;
    this.socket.off();
    try {
      this.socket.disconnect();
    } catch (e) {
      /* already gone */
    }
  };

  PollingTransport.prototype.send = function (frame) {
    if (this.done || !this.socket || !this.socket.connected) return false;
    this.socket.emit("frame", frame);
    return true;
  };

  PollingTransport.prototype.close = function () {
    this.done = true;
    this.shut();
  };

  // ---------------------------------------------------------------------------------- state

  var stored = readStore();
  var state = {
    token: typeof stored.token === "string" ? stored.token : "",
    channel: stored.channel && typeof stored.channel === "object" ? stored.channel : null,
    limits: { max_message_chars: 5000, max_attachment_bytes: 10 * 1024 * 1024 },
    agentsOnline: false,
    conversation: null, // the visitor view {id, status, last_seq, agent, agent_last_read_seq}
    messages: new Map(), // seq -> message payload
    lastSeq: 0,
    lastOtherSeq: 0, // newest message not from the visitor: what a read receipt is about
    agentReadSeq: 0,
    readSent: 0,
    failed: [], // outbox items the server refused for good, shown with "retry"
    acked: new Map(), // client_id -> outbox item acked but whose message frame is still on its way
    deliveredIds: new Set(), // client_ids of messages in state.messages
    uploads: [], // {key, name} uploads in progress
    agentTyping: null, // {name}
    open: false,
    connection: "connecting",
    everOnline: false,
    fatal: false,
    startPending: false,
  };

  function readMark() {
    var mark = readStore().read;
    if (mark && state.conversation && mark.conversation_id === state.conversation.id) return mark.seq || 0;
    return 0;
  }

  function unreadCount() {
    var mark = readMark();
    var count = 0;
    state.messages.forEach(function (message) {
      var kind = message.sender && message.sender.kind;
      if ((kind === "agent" || kind === "bot") && message.seq > mark) count++;
    });
    return count;
  }

  // ----------------------------------------------------------------------------- connection

  var conn = {
    transport: null,
    kind: null,
    attempt: 0,
    wsFailures: 0,
    welcomed: false,
    reconnectTimer: null,
    welcomeTimer: null,
    heartbeatTimer: null,
    pongTimer: null,
    inFlight: new Set(), // client_ids sent on this connection and not yet acked
    retryTimer: null,
  };

  function preferredKind() {
    if (typeof window.WebSocket !== "function") return "polling";
    if (script.getAttribute("data-transport") === "polling") return "polling";
    var remembered = readStore().polling_until;
    if (typeof remembered === "number" && remembered > Date.now()) return "polling";
    return "websocket";
  }

  function connect() {
    clearTimeout(conn.reconnectTimer);
    conn.reconnectTimer = null;
    if (conn.transport || state.fatal) return;
    if (!conn.kind) conn.kind = preferredKind();
    conn.welcomed = false;
    conn.inFlight.clear();
    setConnection("connecting");
    var transport;
    var callbacks = {
      onOpen: function () {
        if (conn.transport === transport) onOpen();
      },
      onFrame: function (frame) {
        if (conn.transport === transport) onFrame(frame);
      },
      onClose: function (info) {
        if (conn.transport === transport) onClose(info);
      },
    };
    transport = conn.kind === "polling" ? new PollingTransport(callbacks) : new WebSocketTransport(callbacks);
    conn.transport = transport;
    transport.open();
  }

  function onOpen() {
    conn.welcomeTimer = setTimeout(function () {
      dropConnection(); // open but silent: a proxy that eats frames
    }, WELCOME_TIMEOUT_MS);
    rawSend({
      type: "hello",
      visitor_token: state.token,
      language: LANG,
      page_url: String(location.href).slice(0, 2000),
      last_seq: state.lastSeq,
    });
  }

  function dropConnection() {
    var transport = conn.transport;
    if (!transport) return;
    transport.close();
    onClose({ code: 0, opened: true });
  }

  function onClose(info) {
    conn.transport = null;
    clearTimeout(conn.welcomeTimer);
    stopHeartbeat();
    conn.inFlight.clear();
    state.agentTyping = null;
    state.startPending = false; // asked again after the next welcome if still needed
    if (info.code === 4403 || info.code === 4404) {
      // The site may not use this channel, or the key is wrong: retrying cannot help.
      state.fatal = true;
      setConnection("offline");
      if (window.console) console.warn("contactcenter widget: " + t("unavailable") + " (close code " + info.code + ")");
      render();
      return;
    }
    setConnection("offline");
    var wasWelcomed = conn.welcomed;
    conn.welcomed = false;
    if (conn.kind === "websocket" && !wasWelcomed) {
      conn.wsFailures++;
      if (conn.wsFailures >= 2) {
        conn.wsFailures = 0;
        checkServerThenFallBack();
        return;
      }
    }
    scheduleReconnect();
  }

  // Two WebSocket attempts failed. If plain HTTP reaches the server, WebSockets are what is
  // blocked: switch to long polling. If not, the server is down: keep retrying as before.
  function checkServerThenFallBack() {
    var probe = window.fetch
      ? window.fetch(BASE + "/widget.js", { method: "HEAD", cache: "no-store", mode: "cors" })
      : Promise.reject(new Error("no fetch"));
    probe.then(
      function (response) {
        if (response.ok || response.status === 304) {
          conn.kind = "polling";
          writeStore({ polling_until: Date.now() + POLLING_MEMORY_MS });
          conn.attempt = 0;
          connect();
        } else {
          scheduleReconnect();
        }
      },
      function () {
        scheduleReconnect();
      }
    );
  }

  function scheduleReconnect() {
    if (conn.reconnectTimer || conn.transport || state.fatal) return;
    var ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, conn.attempt));
    conn.attempt = Math.min(conn.attempt + 1, 16);
    var delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: clients do not return in step
    conn.reconnectTimer = setTimeout(connect, delay);
  }

  // Another tab of this site holds a different visitor token (both tabs were first visits) or
  // a conversation this tab does not follow yet: say hello again so both tabs show the same chat.
  var resyncedFor = {};

  function followOtherTab() {
    var stored = readStore();
    var mark = stored.read;
    var reason = "";
    if (typeof stored.token === "string" && stored.token && stored.token !== state.token) {
      state.token = stored.token;
      resetConversation();
      reason = "token:" + stored.token;
    } else if (mark && mark.conversation_id && (!state.conversation || state.conversation.id !== mark.conversation_id)) {
      reason = "conversation:" + mark.conversation_id;
    }
    if (!reason || resyncedFor[reason]) return;
    resyncedFor[reason] = true;
    if (conn.welcomed) {
      conn.attempt = 0;
      dropConnection();
    }
  }

  function reconnectSoon() {
    // Back online or back in view: do not wait out the backoff.
    if (conn.transport || state.fatal) return;
    conn.attempt = 0;
    connect();
  }

  function rawSend(frame) {
    return conn.transport ? conn.transport.send(frame) : false;
  }

  function send(frame) {
    if (!conn.welcomed) return false;
    return rawSend(frame);
  }

  function startHeartbeat() {
    stopHeartbeat();
    conn.heartbeatTimer = setInterval(function () {
      if (!send({ type: "ping" })) return;
      clearTimeout(conn.pongTimer);
      conn.pongTimer = setTimeout(dropConnection, PONG_TIMEOUT_MS);
    }, HEARTBEAT_MS);
  }

  function stopHeartbeat() {
    clearInterval(conn.heartbeatTimer);
    clearTimeout(conn.pongTimer);
  }

  // ------------------------------------------------------------------------------- protocol

  var FRAME_HANDLERS = {
    welcome: onWelcome,
    replay: function (frame) {
      (frame.messages || []).forEach(addMessage);
      render();
    },
    message: function (frame) {
      if (frame.message) addMessage(frame.message);
      render();
    },
    ack: onAck,
    conversation: function (frame) {
      if (frame.conversation) setConversation(frame.conversation);
      render();
    },
    typing: function (frame) {
      if (frame.from !== "agent") return;
      clearTimeout(state.agentTypingTimer);
      state.agentTyping = frame.is_typing ? { name: frame.name || "" } : null;
      if (frame.is_typing) {
        // A lost "stopped typing" must not leave the dots forever.
        state.agentTypingTimer = setTimeout(function () {
          state.agentTyping = null;
          render();
        }, AGENT_TYPING_SHOW_MS);
      }
      render();
    },
    read: function (frame) {
      if (frame.by === "agent" && typeof frame.seq === "number") {
        state.agentReadSeq = Math.max(state.agentReadSeq, frame.seq);
        render();
      }
    },
    presence: function (frame) {
      state.agentsOnline = !!frame.agents_online;
      render();
    },
    queue_position: function (frame) {
      if (!state.conversation || frame.conversation_id !== state.conversation.id) return;
      state.queue = { position: frame.position, eta_s: frame.eta_s };
      render();
    },
    pong: function (frame) {
      clearTimeout(conn.pongTimer);
      if (typeof frame.last_seq === "number" && frame.last_seq > state.lastSeq) {
        send({ type: "resume", last_seq: state.lastSeq });
      }
    },
    rated: function (frame) {
      rememberRated(frame.conversation_id, frame.score);
      render();
    },
    error: onError,
  };

  function onFrame(frame) {
    var handler = FRAME_HANDLERS[frame.type];
    if (handler) handler(frame);
  }

  function onWelcome(frame) {
    clearTimeout(conn.welcomeTimer);
    conn.welcomed = true;
    conn.attempt = 0;
    conn.wsFailures = 0;
    state.everOnline = true;
    if (frame.visitor_token && frame.visitor_token !== state.token) {
      // A new visitor identity (first visit, or the old token was refused): nothing old applies.
      state.token = frame.visitor_token;
      resetConversation();
      writeStore({ token: state.token, read: null });
    }
    if (frame.channel) {
      state.channel = frame.channel;
      writeStore({ channel: frame.channel });
    }
    if (frame.limits) state.limits = frame.limits;
    state.agentsOnline = !!frame.agents_online;
    state.customer = frame.customer || null;
    var conversation = frame.conversation;
    if (conversation && state.conversation && conversation.id !== state.conversation.id) {
      // The server follows another conversation than the one we hold (ours was closed): our
      // last_seq meant nothing there, so ask for all of it.
      resetConversation();
      setConversation(conversation);
      send({ type: "resume", last_seq: 0 });
    } else if (conversation) {
      setConversation(conversation);
    } else if (state.conversation) {
      resetConversation();
    }
    setConnection("online");
    startHeartbeat();
    flushOutbox();
    requestStart();
    render();
  }

  function resetConversation() {
    state.conversation = null;
    state.queue = null;
    state.messages = new Map();
    state.deliveredIds = new Set();
    state.lastSeq = 0;
    state.lastOtherSeq = 0;
    state.agentReadSeq = 0;
    state.readSent = 0;
  }

  function setConversation(view) {
    if (state.conversation && state.conversation.id !== view.id) {
      resetConversation();
    }
    state.conversation = view;
    if (typeof view.agent_last_read_seq === "number") {
      state.agentReadSeq = Math.max(state.agentReadSeq, view.agent_last_read_seq);
    }
    if (state.startPending) {
      state.startPending = false;
      state.prechatErrors = {};
    }
    settleConversationWaiters(null, view);
  }

  function settleConversationWaiters(error, view) {
    var waiters = state.conversationWaiters || [];
    state.conversationWaiters = [];
    waiters.forEach(function (waiter) {
      if (error) waiter.reject(error);
      else waiter.resolve(view);
    });
  }

  function addMessage(message) {
    if (!message || typeof message.seq !== "number") return;
    if (!state.conversation || state.conversation.id !== message.conversation_id) {
      // The first message of a new conversation (the old one was closed in between).
      setConversation({ id: message.conversation_id, status: "open", last_seq: message.seq, agent: null, agent_last_read_seq: 0 });
    }
    if (state.messages.has(message.seq)) return;
    state.messages.set(message.seq, message);
    state.lastSeq = Math.max(state.lastSeq, message.seq);
    if (message.client_id) {
      state.deliveredIds.add(message.client_id);
      state.acked.delete(message.client_id);
      if (findOutbox(message.client_id)) outboxRemove(message.client_id);
      conn.inFlight.delete(message.client_id);
    }
    var kind = message.sender && message.sender.kind;
    if (kind !== "visitor") state.lastOtherSeq = Math.max(state.lastOtherSeq, message.seq);
    if (kind === "agent") {
      state.agentTyping = null;
      // An agent who replies has read everything before the reply (the server moves the
      // agent's read mark the same way, without a separate read event).
      state.agentReadSeq = Math.max(state.agentReadSeq, message.seq);
    } else if (kind === "bot") {
      state.agentTyping = null;
    }
    if (kind === "visitor") {
      // Our own message (maybe from another tab): we have read everything up to it.
      markReadLocally(message.seq);
    }
  }

  function onAck(frame) {
    var item = findOutbox(frame.client_id);
    conn.inFlight.delete(frame.client_id);
    outboxRemove(frame.client_id);
    if (item && !state.deliveredIds.has(frame.client_id)) {
      // Stored; its message frame follows (or the heartbeat's resume fetches it). Until then
      // the bubble stays, marked as sent.
      state.acked.set(frame.client_id, item);
    }
    flushOutbox();
    render();
  }

  // Codes that will fail again the same way: the message leaves the outbox and can be retried by hand.
  var FINAL_ERRORS = { invalid: 1, too_large: 1, forbidden: 1, not_found: 1, conflict: 1, bad_frame: 1 };

  function onError(frame) {
    var ref = frame.ref;
    if (frame.code === "already_rated" && state.conversation) {
      rememberRated(state.conversation.id, 0);
      render();
      return;
    }
    if (ref === "start") {
      state.startPending = false;
      settleConversationWaiters(frame);
      var details = frame.details || {};
      state.prechatErrors = {};
      if (details.field) {
        state.prechatErrors[details.field] =
          details.reason === "required" ? t("required") : details.reason === "email" ? t("bad_email") : frame.message || t("required");
      } else {
        state.notice = frame.message || "";
      }
      render();
      return;
    }
    var item = typeof ref === "string" ? findOutbox(ref) : null;
    if (item) {
      conn.inFlight.delete(ref);
      if (FINAL_ERRORS[frame.code]) {
        outboxRemove(ref);
        state.failed.push({ item: item, message: frame.message || "" });
        render();
      } else {
        // Rate limited or a hiccup on the server: the outbox sends it again shortly.
        clearTimeout(conn.retryTimer);
        conn.retryTimer = setTimeout(flushOutbox, 2000 + Math.random() * 1000);
      }
      return;
    }
    if (frame.code === "hello_required") {
      dropConnection();
    }
  }

  function findOutbox(clientId) {
    var items = outbox();
    for (var i = 0; i < items.length; i++) if (items[i].client_id === clientId) return items[i];
    return null;
  }

  function flushOutbox() {
    if (!conn.welcomed) return;
    var items = outbox();
    for (var i = 0; i < items.length && conn.inFlight.size < MAX_IN_FLIGHT; i++) {
      var item = items[i];
      if (conn.inFlight.has(item.client_id)) continue;
      var attachmentIds = (item.attachments || []).map(function (a) {
        return a.id;
      });
      var frame = { type: "message", client_id: item.client_id, body: item.body || "" };
      if (attachmentIds.length) frame.attachments = attachmentIds;
      if (!send(frame)) return;
      conn.inFlight.add(item.client_id);
    }
  }

  function queueMessage(body, attachments) {
    var item = {
      client_id: newClientId(),
      body: body,
      attachments: attachments || [],
      created_at: new Date().toISOString(),
    };
    outboxAdd(item);
    stopTyping();
    flushOutbox();
    render({ toBottom: true });
  }

  function markReadLocally(seq) {
    if (!state.conversation) return;
    var current = readMark();
    if (seq > current) writeStore({ read: { conversation_id: state.conversation.id, seq: seq } });
  }

  function markReadIfVisible() {
    if (!state.open || document.visibilityState === "hidden" || !state.conversation) return;
    markReadLocally(state.lastSeq);
    // Only others' messages need a receipt; the server counts the visitor's own as read.
    if (state.lastOtherSeq > state.readSent && conn.welcomed) {
      if (send({ type: "read", seq: state.lastSeq })) state.readSent = state.lastSeq;
    }
  }

  var typing = { active: false, lastSent: 0, idleTimer: null };

  function noteTyping() {
    if (!state.conversation || !conn.welcomed) return;
    var now = Date.now();
    if (!typing.active || now - typing.lastSent > TYPING_SEND_EVERY_MS) {
      if (send({ type: "typing", is_typing: true })) {
        typing.active = true;
        typing.lastSent = now;
      }
    }
    clearTimeout(typing.idleTimer);
    typing.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typing.idleTimer);
    if (typing.active) {
      typing.active = false;
      send({ type: "typing", is_typing: false });
    }
  }

  // An upload needs a conversation that this connection follows: start one if there is none.
  function waitForConversation() {
    if (state.conversation) return Promise.resolve(state.conversation);
    return new Promise(function (resolve, reject) {
      state.conversationWaiters = (state.conversationWaiters || []).concat([{ resolve: resolve, reject: reject }]);
      requestStart();
    });
  }

  function requestStart() {
    if (state.startPending || state.conversation || !(state.conversationWaiters || []).length) return;
    if (send({ type: "start", prechat: {}, ref: "start" })) state.startPending = true;
  }

  // ---------------------------------------------------------------------------- attachments

  function apiUrl(path) {
    return BASE + "/widget/api/attachments" + path + (path.indexOf("?") >= 0 ? "&" : "?") + "channel=" + encodeURIComponent(KEY);
  }

  function authHeaders() {
    return { Authorization: "Bearer " + state.token, "Accept-Language": LANG === "zh-hans" ? "zh-hans" : "en" };
  }

  function uploadFile(file) {
    var limit = state.limits.max_attachment_bytes || 0;
    if (limit && file.size > limit) {
      showNotice(t("upload_failed", { name: file.name, reason: t("file_too_large", { mb: Math.floor(limit / 1048576) }) }));
      return;
    }
    var upload = { key: newClientId(), name: file.name };
    state.uploads.push(upload);
    render({ toBottom: true });
    function done() {
      state.uploads = state.uploads.filter(function (u) {
        return u !== upload;
      });
    }
    // The upload joins the visitor's conversation, which must exist first so this
    // connection follows it.
    waitForConversation()
      .then(function () {
        var form = new FormData();
        form.append("file", file, file.name);
        return window.fetch(apiUrl(""), { method: "POST", headers: authHeaders(), body: form, mode: "cors", credentials: "omit" });
      })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            if (!response.ok) throw body;
            return body;
          });
      })
      .then(
        function (attachment) {
          done();
          queueMessage("", [
            { id: attachment.id, filename: attachment.filename, content_type: attachment.content_type, size: attachment.size },
          ]);
        },
        function (error) {
          done();
          var reason = t("network");
          if (error && error.code === "too_large") {
            reason = t("file_too_large", { mb: Math.floor((state.limits.max_attachment_bytes || 0) / 1048576) });
          } else if (error && error.details && error.details.content_type) {
            reason = t("file_type");
          } else if (error && typeof error.message === "string" && error.code) {
            reason = error.message;
          }
          showNotice(t("upload_failed", { name: file.name, reason: reason }));
          render();
        }
      );
  }

  var blobUrls = new Map(); // attachment id -> Promise<object URL>

  function attachmentBlobUrl(id) {
    if (!blobUrls.has(id)) {
      var promise = window
        .fetch(apiUrl("/" + encodeURIComponent(id)), { headers: authHeaders(), mode: "cors", credentials: "omit" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.blob();
        })
        .then(function (blob) {
          return URL.createObjectURL(blob);
        });
      promise.catch(function () {
        blobUrls.delete(id); // let a later render try again
      });
      blobUrls.set(id, promise);
    }
    return blobUrls.get(id);
  }

  function downloadAttachment(attachment) {
    attachmentBlobUrl(attachment.id).then(
      function (url) {
        var a = document.createElement("a");
        a.href = url;
        a.download = attachment.filename || "file";
        a.rel = "noopener";
        a.style.display = "none";
        ui.root.appendChild(a);
        a.click();
        a.remove();
      },
      function () {
        showNotice(t("unavailable_file"));
      }
    );
  }

  // ------------------------------------------------------------------------------------ UI

  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6A.5.5 0 0 1 5 19.2V16h0a2.5 2.5 0 0 1-1-2V5.5Z",
    close: "M6 6l12 12M18 6L6 18",
    chevron: "M6 9l6 6 6-6",
    send: "M4 12l16-8-6 16-2.5-6.5L4 12Z",
    clip: "M20 11.5l-7.8 7.8a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8",
    file: "M7 3h7l5 5v12a1 1 0 0 1-1 1H7a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1Zm7 0v5h5",
  };

  function icon(name, filled) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", filled ? "currentColor" : "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", filled ? "1.5" : "2");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
    svg.appendChild(path);
    return svg;
  }

  // el("div", {class: "x", testid: "cc-y"}, child, "text", ...): text children become text nodes.
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "class") node.className = value;
        else if (name === "testid") node.setAttribute("data-testid", value);
        else if (name === "text") node.textContent = value;
        else if (name.indexOf("on") === 0) node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  var CSS = [
    ":host{all:initial;}",
    "*,*::before,*::after{box-sizing:border-box;}",
    ".root{--cc-accent:#2563eb;--cc-on-accent:#fff;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue','PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',sans-serif;",
    "font-size:14px;line-height:1.45;color:#1f2937;-webkit-font-smoothing:antialiased;text-align:left;}",
    "button{font:inherit;}",
    ".launcher{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;padding:0;cursor:pointer;",
    "background:var(--cc-accent);color:var(--cc-on-accent);box-shadow:0 6px 20px rgba(15,23,42,.25);display:flex;align-items:center;justify-content:center;",
    "z-index:2147483000;transition:transform .15s ease,box-shadow .15s ease;}",
    ".launcher:hover{transform:scale(1.06);box-shadow:0 8px 26px rgba(15,23,42,.3);}",
    ".launcher:focus-visible,.icon-btn:focus-visible,.close:focus-visible,.primary:focus-visible{outline:3px solid #93c5fd;outline-offset:2px;}",
    ".launcher svg{width:28px;height:28px;}",
    ".badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#ef4444;color:#fff;",
    "font-size:12px;font-weight:700;line-height:18px;text-align:center;border:2px solid #fff;}",
    ".badge[hidden]{display:none;}",
    ".panel{position:fixed;right:20px;bottom:92px;width:380px;height:640px;max-height:calc(100vh - 112px);background:#fff;border-radius:16px;",
    "box-shadow:0 16px 48px rgba(15,23,42,.24),0 2px 6px rgba(15,23,42,.08);display:flex;flex-direction:column;overflow:hidden;z-index:2147483000;",
    "animation:cc-in .18s ease-out;}",
    "@supports (height:100dvh){.panel{max-height:calc(100dvh - 112px);}}",
    "@keyframes cc-in{from{opacity:0;transform:translateY(12px) scale(.98);}to{opacity:1;transform:none;}}",
    ".panel[hidden]{display:none;}",
    ".header{background:var(--cc-accent);color:var(--cc-on-accent);padding:16px 12px 16px 16px;display:flex;gap:12px;align-items:center;flex:none;}",
    ".avatar{width:42px;height:42px;border-radius:50%;background:rgba(255,255,255,.22);display:flex;align-items:center;justify-content:center;",
    "font-weight:700;font-size:18px;flex:none;}",
    ".heading{min-width:0;flex:1;}",
    ".title{font-weight:650;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;}",
    ".status{font-size:12.5px;opacity:.92;display:flex;align-items:center;gap:6px;margin-top:2px;}",
    ".dot{width:8px;height:8px;border-radius:50%;background:#cbd5e1;flex:none;}",
    ".status[data-online=true] .dot{background:#4ade80;box-shadow:0 0 0 2px rgba(255,255,255,.35);}",
    ".close{background:transparent;border:0;color:inherit;width:38px;height:38px;border-radius:10px;cursor:pointer;display:flex;align-items:center;justify-content:center;flex:none;}",
    ".close:hover{background:rgba(255,255,255,.16);}",
    ".close svg{width:22px;height:22px;}",
    ".banner{background:#fef3c7;color:#92400e;font-size:12.5px;padding:6px 16px;text-align:center;flex:none;}",
    ".banner.fatal{background:#fee2e2;color:#991b1b;}",
    ".banner[hidden]{display:none;}",
    ".queue{display:flex;flex-wrap:wrap;justify-content:space-between;gap:2px 10px;background:#eff6ff;color:#1e3a8a;font-size:12.5px;padding:7px 16px;border-bottom:1px solid #dbeafe;flex:none;}",
    ".queue .eta{color:#1d4ed8;opacity:.85;}",
    ".queue[hidden]{display:none;}",
    ".body{flex:1;overflow-y:auto;padding:16px 14px 8px;background:#f6f7f9;display:flex;flex-direction:column;overscroll-behavior:contain;}",
    ".messages{display:flex;flex-direction:column;}",
    ".row{display:flex;flex-direction:column;max-width:82%;margin-top:2px;}",
    ".row.visitor{align-self:flex-end;align-items:flex-end;}",
    ".row.agent,.row.bot,.row.greeting{align-self:flex-start;align-items:flex-start;}",
    ".row.system{align-self:center;align-items:center;max-width:92%;margin:8px 0;}",
    ".row.first{margin-top:10px;}",
    ".name{font-size:12px;color:#6b7280;margin:0 0 3px 4px;}",
    ".bubble{padding:9px 13px;border-radius:18px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;}",
    ".choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px;max-width:100%;}",
    ".choice{border:1px solid var(--cc-accent);color:var(--cc-accent);background:#fff;border-radius:14px;padding:5px 11px;cursor:pointer;font-size:13px;text-align:left;}",
    ".choice:hover,.choice:focus-visible{background:var(--cc-accent);color:var(--cc-on-accent);outline:none;}",
    ".feedback{display:flex;align-items:center;gap:6px;margin-top:6px;font-size:12px;color:#6b7280;}",
    ".feedback .choice{padding:2px 10px;font-size:12px;}",
    ".rating{padding:10px 16px;border-top:1px solid #eceef2;background:#f9fafb;flex:none;font-size:13px;}",
    ".rating[hidden]{display:none;}",
    ".rating .scores{display:flex;gap:6px;margin:6px 0 2px;}",
    ".rating .scores .choice{min-width:36px;min-height:36px;text-align:center;}",
    ".rating .scores .choice[aria-pressed=true]{background:var(--cc-accent);color:var(--cc-on-accent);}",
    ".rating .ends{display:flex;justify-content:space-between;font-size:11.5px;color:#6b7280;max-width:220px;}",
    ".rating textarea{width:100%;margin-top:6px;font:inherit;font-size:13px;border:1px solid #d1d5db;border-radius:8px;padding:6px 8px;resize:none;}",
    ".rating .primary-sm{margin-top:6px;border:0;border-radius:8px;padding:6px 12px;background:var(--cc-accent);color:var(--cc-on-accent);cursor:pointer;}",
    ".rating .primary-sm[disabled]{opacity:.5;cursor:default;}",
    ".visitor .bubble{background:var(--cc-accent);color:var(--cc-on-accent);border-bottom-right-radius:6px;}",
    ".agent .bubble,.bot .bubble,.greeting .bubble{background:#fff;color:#1f2937;border:1px solid #e6e8ec;border-bottom-left-radius:6px;}",
    ".bubble a{color:inherit;text-decoration:underline;}",
    ".bubble:empty{display:none;}",
    ".system .bubble{font-size:12px;color:#6b7280;background:#eceef2;padding:4px 12px;border-radius:12px;text-align:center;}",
    ".meta{font-size:11px;color:#9aa1ab;margin:3px 6px 4px;}",
    ".row.sending .bubble{opacity:.7;}",
    ".row.failed .bubble{opacity:.7;}",
    ".row.failed .meta{color:#dc2626;cursor:pointer;text-decoration:underline;}",
    ".day{align-self:center;font-size:11.5px;color:#9aa1ab;margin:14px 0 4px;}",
    ".seen{align-self:flex-end;font-size:11px;color:#6b7280;margin:0 6px 4px;}",
    ".typing{padding:2px 18px 8px;font-size:12px;color:#6b7280;background:#f6f7f9;display:flex;align-items:center;gap:8px;flex:none;}",
    ".typing[hidden]{display:none;}",
    ".dots{display:inline-flex;gap:3px;}",
    ".dots i{width:6px;height:6px;border-radius:50%;background:#9aa1ab;animation:cc-blink 1.2s infinite ease-in-out;}",
    ".dots i:nth-child(2){animation-delay:.15s;}.dots i:nth-child(3){animation-delay:.3s;}",
    "@keyframes cc-blink{0%,80%,100%{opacity:.3;transform:translateY(0);}40%{opacity:1;transform:translateY(-2px);}}",
    ".notice{font-size:12.5px;color:#991b1b;background:#fef2f2;padding:6px 16px;flex:none;}",
    ".notice[hidden]{display:none;}",
    ".composer{display:flex;align-items:flex-end;gap:6px;padding:10px 10px 12px;border-top:1px solid #eceef2;background:#fff;flex:none;}",
    ".composer[hidden]{display:none;}",
    "textarea{flex:1;resize:none;border:1px solid #d5d9e0;border-radius:20px;padding:9px 14px;font:inherit;font-size:14px;line-height:20px;",
    "height:40px;max-height:132px;outline:none;color:#1f2937;background:#fff;overflow-y:auto;}",
    "textarea:focus{border-color:var(--cc-accent);box-shadow:0 0 0 3px rgba(37,99,235,.12);}",
    ".icon-btn{width:40px;height:40px;border-radius:50%;border:0;background:transparent;color:#6b7280;cursor:pointer;flex:none;display:flex;align-items:center;justify-content:center;padding:0;}",
    ".icon-btn:hover{background:#f1f3f6;color:#374151;}",
    ".icon-btn svg{width:21px;height:21px;}",
    ".send{background:var(--cc-accent);color:var(--cc-on-accent);}",
    ".send:hover{background:var(--cc-accent);color:var(--cc-on-accent);filter:brightness(1.08);}",
    ".send:disabled{opacity:.35;cursor:default;filter:none;}",
    ".prechat{background:#fff;border:1px solid #e6e8ec;border-radius:14px;padding:16px;margin:12px 0 8px;display:flex;flex-direction:column;gap:12px;}",
    ".prechat p{margin:0;color:#4b5563;font-size:13.5px;}",
    ".field{display:flex;flex-direction:column;gap:4px;}",
    ".field label{font-size:12.5px;font-weight:600;color:#374151;}",
    ".field label .req{color:#dc2626;margin-left:2px;}",
    ".field input{width:100%;padding:9px 12px;border:1px solid #d5d9e0;border-radius:10px;font:inherit;font-size:14px;outline:none;color:#1f2937;background:#fff;}",
    ".field input:focus{border-color:var(--cc-accent);box-shadow:0 0 0 3px rgba(37,99,235,.12);}",
    ".field.invalid input{border-color:#dc2626;}",
    ".field .error{color:#dc2626;font-size:12px;}",
    ".field .error:empty{display:none;}",
    ".primary{background:var(--cc-accent);color:var(--cc-on-accent);border:0;border-radius:10px;padding:11px;font-weight:600;cursor:pointer;}",
    ".primary:disabled{opacity:.6;cursor:default;}",
    ".att-img{display:block;max-width:100%;width:auto;max-height:220px;border-radius:12px;cursor:zoom-in;background:#e5e7eb;min-width:80px;min-height:60px;object-fit:cover;}",
    ".att-img.loaded{min-width:0;min-height:0;background:transparent;}",
    ".att-file{display:flex;align-items:center;gap:8px;padding:8px 10px;border-radius:12px;background:rgba(127,127,127,.12);color:inherit;border:0;cursor:pointer;text-align:left;max-width:240px;}",
    ".att-file svg{width:20px;height:20px;flex:none;}",
    ".att-file span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;}",
    ".att-file small{opacity:.7;white-space:nowrap;}",
    ".atts{display:flex;flex-direction:column;gap:4px;margin-top:4px;}",
    ".visitor .atts{align-items:flex-end;}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;}",
    "@media (max-width:480px){",
    ".panel{inset:0;right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0;animation:none;}",
    ".root.open .launcher{display:none;}",
    "textarea,.field input{font-size:16px;}", // 16px stops iOS from zooming into the page on focus
    ".launcher{right:16px;bottom:16px;}",
    "}",
    "@media (prefers-reduced-motion:reduce){.panel,.dots i{animation:none;}.launcher{transition:none;}}",
  ].join("");

  var ui = {};

  function buildUi() {
    var host = document.createElement("div");
    host.id = "contactcenter-widget";
    // The host page's CSS must not hide or move the host element.
    host.setAttribute("style", "all:initial !important;position:static !important;display:block !important;");
    var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    ui.shadow = shadow;
    var style = document.createElement("style");
    style.textContent = CSS;
    shadow.appendChild(style);

    ui.host = host;
    ui.root = el("div", { class: "root", lang: LANG === "zh-hans" ? "zh-Hans" : "en" });
    ui.root.hidden = true;

    ui.badge = el("span", { class: "badge", testid: "cc-unread", "aria-hidden": "true" });
    ui.badge.hidden = true;
    ui.launcherIcon = el("span", { style: "display:flex" });
    ui.launcher = el(
      "button",
      { class: "launcher", type: "button", testid: "cc-launcher", "aria-expanded": "false", "aria-label": t("open_chat"), onclick: toggle },
      ui.launcherIcon,
      ui.badge
    );

    ui.avatar = el("div", { class: "avatar", "aria-hidden": "true" });
    ui.title = el("div", { class: "title", testid: "cc-title" });
    ui.statusText = el("span");
    ui.status = el("div", { class: "status", testid: "cc-status" }, el("span", { class: "dot" }), ui.statusText);
    ui.close = el("button", { class: "close", type: "button", testid: "cc-close", "aria-label": t("close_chat"), onclick: close }, icon("chevron"));
    var header = el("div", { class: "header" }, ui.avatar, el("div", { class: "heading" }, ui.title, ui.status), ui.close);

    ui.banner = el("div", { class: "banner", testid: "cc-connection", role: "status" });
    ui.banner.hidden = true;

    ui.queueText = el("span", { testid: "cc-queue-position" });
    ui.queueEta = el("span", { class: "eta", testid: "cc-queue-eta" });
    ui.queue = el("div", { class: "queue", testid: "cc-queue", role: "status", "aria-live": "polite" }, ui.queueText, ui.queueEta);
    ui.queue.hidden = true;

    ui.greeting = el(
      "div",
      { class: "row greeting first", testid: "cc-greeting" },
      (ui.greetingName = el("div", { class: "name" })),
      (ui.greetingText = el("div", { class: "bubble" }))
    );
    ui.messages = el("div", { class: "messages", testid: "cc-messages", role: "log", "aria-live": "polite" });
    ui.prechatSlot = el("div");
    ui.body = el("div", { class: "body" }, ui.greeting, ui.messages, ui.prechatSlot);

    ui.typingText = el("span");
    ui.typing = el("div", { class: "typing", testid: "cc-typing", "aria-live": "polite" }, el("span", { class: "dots" }, el("i"), el("i"), el("i")), ui.typingText);
    ui.typing.hidden = true;

    ui.notice = el("div", { class: "notice", testid: "cc-notice", role: "alert" });
    ui.notice.hidden = true;
    ui.rating = el("div", { class: "rating", testid: "cc-rating" });
    ui.rating.hidden = true;

    ui.textarea = el("textarea", {
      testid: "cc-composer",
      rows: "1",
      placeholder: t("placeholder"),
      "aria-label": t("placeholder"),
      maxlength: String(state.limits.max_message_chars),
      oninput: onComposerInput,
      onkeydown: onComposerKey,
    });
    ui.fileInput = el("input", { type: "file", testid: "cc-file-input", hidden: true, tabindex: "-1", onchange: onFilesChosen });
    ui.attach = el(
      "button",
      {
        class: "icon-btn",
        type: "button",
        testid: "cc-attach",
        "aria-label": t("attach"),
        title: t("attach"),
        onclick: function () {
          ui.fileInput.click();
        },
      },
      icon("clip")
    );
    ui.send = el("button", { class: "icon-btn send", type: "submit", testid: "cc-send", "aria-label": t("send"), title: t("send"), disabled: true }, icon("send", true));
    ui.composer = el(
      "form",
      {
        class: "composer",
        onsubmit: function (event) {
          event.preventDefault();
          submitComposer();
        },
      },
      ui.attach,
      ui.fileInput,
      ui.textarea,
      ui.send
    );

    ui.panel = el(
      "div",
      { class: "panel", testid: "cc-panel", role: "dialog", "aria-label": t("chat"), "data-connection": "connecting" },
      header,
      ui.banner,
      ui.queue,
      ui.body,
      ui.typing,
      ui.notice,
      ui.rating,
      ui.composer
    );
    ui.panel.hidden = true;
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        close();
        ui.launcher.focus();
      }
    });

    ui.root.appendChild(ui.panel);
    ui.root.appendChild(ui.launcher);
    shadow.appendChild(ui.root);
    document.body.appendChild(host);
  }

  function accentColors(color) {
    var hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(color || "") ? color : "#2563eb";
    if (hex.length === 4) hex = "#" + hex[1] + hex[1] + hex[2] + hex[2] + hex[3] + hex[3];
    var rgb = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    return { accent: hex, on: luminance > 0.45 ? "#111827" : "#ffffff" };
  }

  // --------------------------------------------------------------------------- rendering

  var renderQueued = false;
  var renderWantsBottom = false;

  function render(options) {
    if (options && options.toBottom) renderWantsBottom = true;
    if (renderQueued) return;
    renderQueued = true;
    var run = function () {
      renderQueued = false;
      var toBottom = renderWantsBottom;
      renderWantsBottom = false;
      renderNow(toBottom);
    };
    // Batches a replay of many frames into one DOM update.
    if (window.queueMicrotask) window.queueMicrotask(run);
    else Promise.resolve().then(run);
  }

  function renderNow(toBottom) {
    if (!ui.root) return;
    var channel = state.channel || {};
    // Shown once the channel is known (this welcome, or remembered from an earlier visit); a
    // site that may not use the channel shows nothing (the reason goes to the console).
    ui.root.hidden = !state.channel || (state.fatal && !state.everOnline);

    var colors = accentColors(channel.color);
    ui.root.style.setProperty("--cc-accent", colors.accent);
    ui.root.style.setProperty("--cc-on-accent", colors.on);
    ui.root.classList.toggle("open", state.open);

    // Launcher and badge.
    ui.launcher.setAttribute("aria-expanded", state.open ? "true" : "false");
    ui.launcher.setAttribute("aria-label", state.open ? t("close_chat") : t("open_chat"));
    if (ui.launcherIcon.iconFor !== state.open) {
      ui.launcherIcon.iconFor = state.open;
      ui.launcherIcon.textContent = "";
      ui.launcherIcon.appendChild(icon(state.open ? "chevron" : "chat", !state.open));
    }
    var unread = state.open ? 0 : unreadCount();
    ui.badge.hidden = unread === 0;
    ui.badge.textContent = unread > 99 ? "99+" : String(unread);
    ui.launcher.title = unread ? t("unread", { n: unread }) : "";

    ui.panel.hidden = !state.open;
    ui.panel.setAttribute("data-connection", state.connection);

    // Header.
    var name = channel.name || t("chat");
    ui.title.textContent = name;
    ui.avatar.textContent = Array.from(name.trim())[0] || "?";
    ui.status.setAttribute("data-online", state.agentsOnline ? "true" : "false");
    ui.statusText.textContent = state.agentsOnline ? t("online") : t("away");

    // Connection banner: only after a first success, or when the first try takes a while.
    if (state.fatal) {
      ui.banner.hidden = false;
      ui.banner.className = "banner fatal";
      ui.banner.textContent = t("unavailable");
    } else if (state.connection !== "online" && (state.everOnline || state.slowStart)) {
      ui.banner.hidden = false;
      ui.banner.className = "banner";
      ui.banner.textContent = state.everOnline ? t("reconnecting") : t("connecting");
    } else {
      ui.banner.hidden = true;
    }

    // Place in line while waiting for an agent.
    var conv = state.conversation;
    var waiting = state.queue && conv && !conv.agent && (conv.status === "queued" || conv.status === "bot");
    ui.queue.hidden = !waiting;
    if (waiting) {
      var n = state.queue.position;
      ui.queue.setAttribute("data-position", String(n));
      ui.queueText.textContent = n <= 1 ? t("queue_next") : t("queue_position", { n: n, ahead: n - 1 });
      ui.queueEta.textContent = t("queue_eta", { eta: etaText(state.queue.eta_s) });
    }

    // Greeting.
    var greeting = (state.channel && state.channel.greeting) || "";
    ui.greeting.hidden = !greeting;
    ui.greetingName.textContent = name;
    ui.greetingText.textContent = greeting;

    var body = ui.body;
    var nearBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 80;

    renderMessages();
    renderPrechat();

    // Typing indicator.
    ui.typing.hidden = !state.agentTyping;
    if (state.agentTyping) {
      ui.typingText.textContent = state.agentTyping.name ? t("typing", { name: state.agentTyping.name }) : t("someone_typing");
    }

    ui.notice.hidden = !state.notice;
    ui.notice.textContent = state.notice || "";
    renderRating();

    ui.composer.hidden = needsPrechat() || state.fatal;
    var max = state.limits.max_message_chars || 5000;
    ui.textarea.setAttribute("maxlength", String(max));
    ui.send.disabled = !ui.textarea.value.trim();

    if (state.open && (toBottom || nearBottom)) {
      body.scrollTop = body.scrollHeight;
    }
    if (state.open) markReadIfVisible();
  }

  // ------------------------------------------------------------------------------ rating (CSAT)

  function ratedScore(conversationId) {
    var all = readStore().rated || {};
    return Object.prototype.hasOwnProperty.call(all, conversationId) ? all[conversationId] : null;
  }

  function rememberRated(conversationId, score) {
    if (typeof conversationId !== "number") return;
    var all = readStore().rated || {};
    all[conversationId] = typeof score === "number" ? score : 0;
    var keys = Object.keys(all);
    if (keys.length > 20) delete all[keys[0]];
    writeStore({ rated: all });
    state.ratingChoice = null;
  }

  // Shown under a resolved conversation until the visitor rates it; built from text nodes only.
  function renderRating() {
    var conv = state.conversation;
    var show = !!(conv && conv.status === "resolved") && !state.fatal;
    var key = show ? conv.id + ":" + (ratedScore(conv.id) === null ? "ask:" + (state.ratingChoice || 0) : "done") : "";
    ui.rating.hidden = !show;
    if (ui.rating.renderedFor === key) return;
    ui.rating.renderedFor = key;
    ui.rating.textContent = "";
    if (!show) return;
    if (ratedScore(conv.id) !== null) {
      ui.rating.appendChild(el("div", { testid: "cc-rating-thanks", text: t("rate_thanks") }));
      return;
    }
    ui.rating.appendChild(el("div", { text: t("rate_prompt") }));
    var scores = el("div", { class: "scores", role: "group", "aria-label": t("rate_prompt") });
    [1, 2, 3, 4, 5].forEach(function (n) {
      scores.appendChild(
        el("button", {
          type: "button",
          class: "choice",
          testid: "cc-rate-" + n,
          text: String(n),
          title: t("rate_score", { n: n }),
          "aria-label": t("rate_score", { n: n }),
          "aria-pressed": state.ratingChoice === n ? "true" : "false",
          onclick: function () {
            state.ratingChoice = n;
            render();
          },
        })
      );
    });
    ui.rating.appendChild(scores);
    ui.rating.appendChild(el("div", { class: "ends" }, el("span", { text: t("rate_low") }), el("span", { text: t("rate_high") })));
    var comment = el("textarea", { rows: "2", maxlength: "1000", testid: "cc-rate-comment", placeholder: t("rate_comment"), "aria-label": t("rate_comment") });
    comment.value = state.ratingComment || "";
    comment.addEventListener("input", function () {
      state.ratingComment = comment.value;
    });
    ui.rating.appendChild(comment);
    ui.rating.appendChild(
      el("button", {
        type: "button",
        class: "primary-sm",
        testid: "cc-rate-send",
        text: t("rate_send"),
        disabled: !state.ratingChoice,
        onclick: function () {
          if (!state.ratingChoice) return;
          if (send({ type: "rate", score: state.ratingChoice, comment: (state.ratingComment || "").slice(0, 1000) })) state.ratingComment = "";
        },
      })
    );
  }

  function needsPrechat() {
    var fields = (state.channel && state.channel.prechat_fields) || [];
    return fields.length > 0 && !state.conversation && outbox().length === 0;
  }

  var prechatForm = null;

  function renderPrechat() {
    if (!needsPrechat()) {
      if (prechatForm) {
        prechatForm.remove();
        prechatForm = null;
      }
      return;
    }
    var fields = state.channel.prechat_fields;
    var signature = JSON.stringify(fields);
    if (!prechatForm || prechatForm.signature !== signature) {
      if (prechatForm) prechatForm.remove();
      prechatForm = buildPrechat(fields);
      prechatForm.signature = signature;
      ui.prechatSlot.appendChild(prechatForm);
    }
    var errors = state.prechatErrors || {};
    prechatForm.fields.forEach(function (f) {
      var message = errors[f.name] || "";
      f.error.textContent = message;
      f.wrap.classList.toggle("invalid", !!message);
      f.input.setAttribute("aria-invalid", message ? "true" : "false");
    });
    prechatForm.submit.disabled = state.startPending || !conn.welcomed;
    prechatForm.submit.textContent = state.startPending ? t("starting") : conn.welcomed ? t("start_chat") : t("connecting");
  }

  function buildPrechat(fields) {
    var form = el("form", { class: "prechat", testid: "cc-prechat", novalidate: true });
    form.appendChild(el("p", { text: t("prechat_intro") }));
    form.fields = [];
    var known = state.customer || {};
    fields.forEach(function (field, index) {
      var type = field.type === "email" || field.type === "tel" ? field.type : "text";
      var label = (LANG === "zh-hans" ? field.label_zh || field.label_zh_hans : field.label_en) || field.label_en || field.label_zh || field.name;
      var id = "cc-field-" + index;
      var input = el("input", {
        id: id,
        name: field.name,
        type: type,
        testid: "cc-prechat-" + field.name,
        autocomplete: type === "email" ? "email" : type === "tel" ? "tel" : field.name === "name" ? "name" : "on",
        maxlength: "300",
        "aria-required": field.required ? "true" : "false",
      });
      if (typeof known[field.name] === "string") input.value = known[field.name];
      var error = el("div", { class: "error", testid: "cc-prechat-error-" + field.name, id: id + "-error" });
      input.setAttribute("aria-describedby", id + "-error");
      var labelNode = el("label", { for: id }, label);
      if (field.required) labelNode.appendChild(el("span", { class: "req", "aria-hidden": "true", text: "*" }));
      var wrap = el("div", { class: "field" }, labelNode, input, error);
      form.appendChild(wrap);
      form.fields.push({ name: field.name, field: field, input: input, error: error, wrap: wrap });
    });
    form.submit = el("button", { class: "primary", type: "submit", testid: "cc-prechat-submit", text: t("start_chat") });
    form.appendChild(form.submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitPrechat(form);
    });
    return form;
  }

  function submitPrechat(form) {
    var answers = {};
    var errors = {};
    form.fields.forEach(function (f) {
      var value = f.input.value.trim();
      if (f.field.required && !value) errors[f.name] = t("required");
      else if (value && f.field.type === "email" && !/^[^\s@]+@[^\s@]+$/.test(value)) errors[f.name] = t("bad_email");
      if (value) answers[f.name] = value;
    });
    state.prechatErrors = errors;
    var firstBad = form.fields.filter(function (f) {
      return errors[f.name];
    })[0];
    if (firstBad) {
      render();
      firstBad.input.focus();
      return;
    }
    if (!conn.welcomed) return;
    state.startPending = true;
    send({ type: "start", prechat: answers, ref: "start" });
    render();
  }

  var nodes = new Map(); // key -> element currently in the list

  function renderMessages() {
    var items = [];
    var ordered = Array.from(state.messages.values()).sort(function (a, b) {
      return a.seq - b.seq;
    });
    var pendingIds = {};
    var deliveredIds = {};
    ordered.forEach(function (m) {
      if (m.client_id) deliveredIds[m.client_id] = true;
    });
    var lastReadVisitorSeq = 0;
    ordered.forEach(function (m) {
      if (m.sender && m.sender.kind === "visitor" && m.seq <= state.agentReadSeq) lastReadVisitorSeq = m.seq;
    });

    state.lastBotSeq = 0;
    ordered.forEach(function (m) {
      if (m.sender && m.sender.kind === "bot") state.lastBotSeq = m.seq;
    });
    var previous = null;
    var previousDay = "";
    function push(key, signature, build, when, senderKey) {
      var day = dayLabel(when);
      if (day && day !== previousDay) {
        items.push({ key: "day:" + day, signature: day, build: dayBuilder(day) });
        previousDay = day;
        previous = null;
      }
      var first = !previous || previous !== senderKey;
      items.push({ key: key, signature: signature + (first ? "|first" : ""), build: build, first: first });
      previous = senderKey;
    }

    ordered.forEach(function (m) {
      var kind = (m.sender && m.sender.kind) || "system";
      var senderKey = kind + ":" + ((m.sender && m.sender.agent_id) || "");
      push("seq:" + m.seq, "m" + botSignature(m), messageBuilder(m, "sent"), m.created_at, senderKey);
      if (m.seq === lastReadVisitorSeq) {
        items.push({ key: "seen", signature: "seen:" + m.seq, build: seenBuilder(m.seq) });
        previous = null;
      }
    });
    outbox().forEach(function (item) {
      if (deliveredIds[item.client_id]) return;
      pendingIds[item.client_id] = true;
      push("cid:" + item.client_id, "sending", messageBuilder(pendingAsMessage(item), "sending"), item.created_at, "visitor:");
    });
    state.acked.forEach(function (item) {
      if (deliveredIds[item.client_id]) return;
      pendingIds[item.client_id] = true;
      push("cid:" + item.client_id, "acked", messageBuilder(pendingAsMessage(item), "sent"), item.created_at, "visitor:");
    });
    state.failed.forEach(function (entry) {
      if (deliveredIds[entry.item.client_id] || pendingIds[entry.item.client_id]) return;
      push("cid:" + entry.item.client_id, "failed", messageBuilder(pendingAsMessage(entry.item), "failed", entry), entry.item.created_at, "visitor:");
    });
    state.uploads.forEach(function (upload) {
      push("up:" + upload.key, "uploading", uploadBuilder(upload), new Date().toISOString(), "visitor:");
    });

    // Reconcile keyed nodes: build what is new or changed, keep the rest (images stay loaded).
    var wanted = new Set();
    var list = ui.messages;
    items.forEach(function (item, index) {
      wanted.add(item.key);
      var node = nodes.get(item.key);
      if (!node || node.signature !== item.signature) {
        var fresh = item.build(item.first);
        fresh.signature = item.signature;
        if (node) node.replaceWith(fresh);
        node = fresh;
        nodes.set(item.key, node);
      }
      var current = list.childNodes[index];
      if (current !== node) list.insertBefore(node, current || null);
    });
    nodes.forEach(function (node, key) {
      if (!wanted.has(key)) {
        node.remove();
        nodes.delete(key);
      }
    });
  }

  function pendingAsMessage(item) {
    return {
      seq: null,
      client_id: item.client_id,
      sender: { kind: "visitor" },
      body: item.body || "",
      meta: {},
      attachments: item.attachments || [],
      created_at: item.created_at,
    };
  }

  function dayLabel(iso) {
    var date = iso ? new Date(iso) : null;
    if (!date || isNaN(date.getTime())) return "";
    var today = new Date();
    var yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (sameDay(date, today)) return t("today");
    if (sameDay(date, yesterday)) return t("yesterday");
    return date.toLocaleDateString(LANG === "zh-hans" ? "zh-CN" : "en", { year: "numeric", month: "short", day: "numeric" });
  }

  function sameDay(a, b) {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  }

  function timeLabel(iso) {
    var date = iso ? new Date(iso) : null;
    if (!date || isNaN(date.getTime())) return "";
    return date.toLocaleTimeString(LANG === "zh-hans" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" });
  }

  function dayBuilder(label) {
    return function () {
      return el("div", { class: "day", role: "separator", text: label });
    };
  }

  function seenBuilder(seq) {
    return function () {
      return el("div", { class: "seen", testid: "cc-seen", "data-seq": String(seq), text: t("seen") });
    };
  }

  function uploadBuilder(upload) {
    return function (first) {
      return el(
        "div",
        { class: "row visitor sending" + (first ? " first" : ""), testid: "cc-upload" },
        el("div", { class: "bubble" }, el("span", { class: "att-file" }, icon("file"), el("span", { text: upload.name }))),
        el("div", { class: "meta", text: t("uploading") })
      );
    };
  }

  function messageBuilder(m, deliveryState, failure) {
    return function (first) {
      var kind = (m.sender && m.sender.kind) || "system";
      var side = kind === "visitor" ? "visitor" : kind === "system" ? "system" : kind === "bot" ? "bot" : "agent";
      var row = el("div", {
        class: "row " + side + " " + deliveryState + (first ? " first" : ""),
        testid: "cc-message",
        "data-sender": kind,
        "data-state": deliveryState,
        "data-client-id": m.client_id || null,
        "data-seq": m.seq === null || m.seq === undefined ? null : String(m.seq),
        "data-event": kind === "system" && m.meta && m.meta.event ? String(m.meta.event) : null,
      });
      if (first && (side === "agent" || side === "bot")) {
        var who = side === "bot" ? t("bot") : (m.sender && m.sender.name) || t("agent");
        row.appendChild(el("div", { class: "name", text: who }));
      }
      var text = m.body || "";
      if (kind === "system") {
        var word = m.meta && SYSTEM_EVENTS[m.meta.event];
        if (word) text = word(m.meta);
      }
      var bubble = el("div", { class: "bubble", testid: "cc-message-body" });
      appendLinkified(bubble, text);
      row.appendChild(bubble);
      if (kind === "bot" && m.meta) appendBotExtras(row, m.meta, m.seq === state.lastBotSeq);
      if (m.attachments && m.attachments.length) {
        var atts = el("div", { class: "atts" });
        m.attachments.forEach(function (a) {
          atts.appendChild(attachmentNode(a));
        });
        row.appendChild(atts);
      }
      if (side !== "system") {
        var meta;
        if (deliveryState === "sending") {
          meta = el("div", { class: "meta", text: t("sending") });
        } else if (deliveryState === "failed") {
          meta = el("div", {
            class: "meta",
            role: "button",
            tabindex: "0",
            title: (failure && failure.message) || "",
            text: t("failed"),
            onclick: function () {
              retryFailed(m.client_id);
            },
            onkeydown: function (event) {
              if (event.key === "Enter" || event.key === " ") retryFailed(m.client_id);
            },
          });
        } else {
          meta = el("div", { class: "meta", text: timeLabel(m.created_at) });
        }
        row.appendChild(meta);
      }
      return row;
    };
  }

  // ------------------------------------------------------------------ the bot's buttons

  function withBot() {
    return !!(state.conversation && state.conversation.status === "bot");
  }

  function feedbackGiven(turnId) {
    return (readStore().feedback || {})[turnId];
  }

  // What a bot message shows besides its text changes with the feedback given and with whether
  // the bot still has the conversation: part of the node's signature, so it is rebuilt then.
  function botSignature(m) {
    if (!m.sender || m.sender.kind !== "bot" || !m.meta) return "";
    return "|fb:" + (feedbackGiven(m.meta.turn_id) || "") + "|bot:" + withBot() + "|last:" + (m.seq === state.lastBotSeq);
  }

  function botButton(label, testid, onclick) {
    return el("button", { type: "button", class: "choice", testid: testid, text: label, onclick: onclick });
  }

  function appendBotExtras(row, meta, latest) {
    var live = withBot() && latest;
    if (meta.suggestions && meta.suggestions.length && live) {
      var choices = el("div", { class: "choices", testid: "cc-suggestions" });
      meta.suggestions.slice(0, 5).forEach(function (s) {
        var label = String(s.question || "");
        choices.appendChild(
          botButton(label, "cc-suggestion", function () {
            queueMessage(String(s.payload || label), []);
          })
        );
      });
      row.appendChild(choices);
    }
    if (meta.feedback && meta.turn_id) {
      var given = feedbackGiven(meta.turn_id);
      var box = el("div", { class: "feedback", testid: "cc-feedback" });
      if (given) {
        box.appendChild(el("span", { text: t("thanks_feedback") }));
      } else {
        box.appendChild(el("span", { text: t("did_it_help") }));
        [true, false].forEach(function (helpful) {
          box.appendChild(
            botButton(t(helpful ? "yes" : "no"), helpful ? "cc-feedback-yes" : "cc-feedback-no", function () {
              if (!send({ type: "bot_feedback", turn_id: meta.turn_id, helpful: helpful })) return;
              var all = readStore().feedback || {};
              all[meta.turn_id] = helpful ? "yes" : "no";
              var keys = Object.keys(all);
              if (keys.length > 50) delete all[keys[0]];
              writeStore({ feedback: all });
              render();
            })
          );
        });
      }
      row.appendChild(box);
    }
    if (live && (meta.bot === "offer_person" || meta.bot === "suggest" || meta.bot === "answer" || meta.bot === "smalltalk")) {
      row.appendChild(
        el(
          "div",
          { class: "choices" },
          botButton(t("talk_to_person"), "cc-request-agent", function () {
            send({ type: "request_agent" });
          })
        )
      );
    }
  }

  // Links in message text become anchors; everything else stays a text node.
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]}。，！？）]/g;

  function appendLinkified(parent, text) {
    var last = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text))) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var a = el("a", { href: match[0], target: "_blank", rel: "noopener noreferrer nofollow ugc", text: match[0] });
      parent.appendChild(a);
      last = match.index + match[0].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatSize(bytes) {
    if (!bytes && bytes !== 0) return "";
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1048576) return Math.round(bytes / 1024) + " KB";
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  function attachmentNode(a) {
    if (/^image\//.test(a.content_type || "")) {
      var img = el("img", { class: "att-img", alt: a.filename || "", testid: "cc-attachment", "data-attachment-id": String(a.id) });
      attachmentBlobUrl(a.id).then(
        function (url) {
          img.addEventListener("load", function () {
            img.classList.add("loaded");
            var body = ui.body;
            if (body.scrollHeight - body.scrollTop - body.clientHeight < 260) body.scrollTop = body.scrollHeight;
          });
          img.src = url;
          img.addEventListener("click", function () {
            window.open(url, "_blank", "noopener");
          });
        },
        function () {
          img.replaceWith(el("span", { class: "att-file", text: t("unavailable_file") }));
        }
      );
      return img;
    }
    return el(
      "button",
      {
        class: "att-file",
        type: "button",
        testid: "cc-attachment",
        "data-attachment-id": String(a.id),
        onclick: function () {
          downloadAttachment(a);
        },
      },
      icon("file"),
      el("span", { text: a.filename || "file" }),
      el("small", { text: formatSize(a.size) })
    );
  }

  function retryFailed(clientId) {
    var entry = state.failed.filter(function (f) {
      return f.item.client_id === clientId;
    })[0];
    if (!entry) return;
    state.failed = state.failed.filter(function (f) {
      return f !== entry;
    });
    // A fresh client_id: the server already has an answer stored for the old one.
    queueMessage(entry.item.body, entry.item.attachments);
  }

  var noticeTimer = null;

  function showNotice(text) {
    state.notice = text;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () {
      state.notice = "";
      render();
    }, 8000);
    render();
  }

  // ---------------------------------------------------------------------------- composer

  function autosize() {
    var ta = ui.textarea;
    ta.style.height = "40px";
    ta.style.height = Math.min(ta.scrollHeight + 2, 132) + "px";
  }

  function onComposerInput() {
    autosize();
    ui.send.disabled = !ui.textarea.value.trim();
    if (ui.textarea.value.trim()) noteTyping();
    else stopTyping();
  }

  function onComposerKey(event) {
    // Enter sends, Shift+Enter breaks the line; never while an IME (pinyin...) is composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submitComposer();
    }
  }

  function submitComposer() {
    var body = ui.textarea.value.trim();
    if (!body) return;
    var max = state.limits.max_message_chars || 5000;
    if (body.length > max) {
      showNotice(t("too_long", { n: max }));
      return;
    }
    ui.textarea.value = "";
    autosize();
    ui.send.disabled = true;
    queueMessage(body, []);
    ui.textarea.focus();
  }

  function onFilesChosen() {
    var files = Array.prototype.slice.call(ui.fileInput.files || [], 0, 10);
    ui.fileInput.value = "";
    files.forEach(uploadFile);
  }

  // --------------------------------------------------------------------------- open/close

  function open() {
    if (state.open) return;
    state.open = true;
    renderNow(true); // now, not in a microtask: the focus below needs the panel shown
    // Focus right away, never later: a delayed focus would steal keystrokes already going
    // into another field. Not on phones, where it would pop the keyboard over everything.
    var active = ui.shadow.activeElement;
    var target = prechatForm && prechatForm.fields.length ? prechatForm.fields[0].input : ui.textarea;
    if (window.innerWidth > 480 && target && !target.closest("[hidden]") && !(active && ui.panel.contains(active))) {
      target.focus({ preventScroll: true });
    }
  }

  function close() {
    if (!state.open) return;
    state.open = false;
    stopTyping();
    render();
  }

  function toggle() {
    if (state.open) close();
    else open();
  }

  function setConnection(value) {
    state.connection = value;
    render();
  }

  // ---------------------------------------------------------------------------------- boot

  function boot() {
    buildUi();
    render();
    connect();
    // Show "Connecting…" only if the first connection is slow, not as a flash on every load.
    setTimeout(function () {
      state.slowStart = true;
      render();
    }, 2500);
    window.addEventListener("online", reconnectSoon);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        reconnectSoon();
        markReadIfVisible();
      }
    });
    window.addEventListener("storage", function (event) {
      // Another tab changed the outbox or the read mark: redraw badge and pending messages.
      if (event.key !== STORE_KEY) return;
      followOtherTab();
      render();
    });
  }

  var api = {
    open: open,
    close: close,
  };
  Object.defineProperty(api, "transport", {
    enumerable: true,
    get: function () {
      return conn.kind;
    },
  });
  window.ContactCenterWidget = Object.freeze(api);

  if (document.body) {
    boot();
  } else {
    document.addEventListener("DOMContentLoaded", boot);
  }
})();
