/*
 * Gopay support chat widget.
 *
 * Embed with one script tag; configuration is optional:
 *   <script src="https://chat.example.com/webchat/static/widget.js" defer
 *           data-config='{"title": "Gopay 客服", "language": "auto"}'></script>
 * or, without data-config, call GopayChat.init({...}) yourself (add data-manual).
 *
 * Rules this file keeps:
 * - nothing a user or the bot typed is ever parsed as HTML: text goes in via textContent
 *   and text nodes, links are <a> elements built with the DOM (http/https only);
 * - the conversation survives reloads and reconnects: session id, transcript and the
 *   outbox of unsent messages live in localStorage;
 * - every message carries a random client id; the outbox drops a message only once the
 *   server acknowledged it, and the server ignores ids it has already seen, so a message
 *   reaches the bot once however often the connection drops.
 */
(function () {
  "use strict";

  var SCRIPT = document.currentScript || findOwnScript();
  var ACK_TIMEOUT_MS = 30000;
  var RETRY_MS = 2000;
  var MAX_TRANSCRIPT = 200;
  var MAX_OUTBOX = 50;
  var URL_RE = /\bhttps?:\/\/[^\s<>"'\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]+/gi;
  var TRAILING_PUNCT_RE = /[.,;:!?)\]}'"]+$/;
  var CJK_RE = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;

  var STRINGS = {
    zh: {
      title: "Gopay 在线客服",
      launcher: "在线客服",
      openChat: "打开 Gopay 在线客服",
      closeChat: "关闭聊天窗口",
      switchLanguage: "Switch to English",
      switchLanguageShort: "EN",
      log: "聊天记录",
      welcome: "您好！我是 Gopay 智能客服。请问有什么可以帮您？",
      inputLabel: "输入您的问题",
      placeholder: "请输入您的问题…",
      send: "发送",
      typing: "客服正在输入…",
      offline: "网络连接已断开，正在重新连接…您输入的消息会在连接恢复后自动发送。",
      unauthorized: "无法验证您的登录状态，请刷新页面后重试。",
      tooLong: "消息超过 {max} 个字符，请缩短后再发送。",
      counter: "已输入 {n} 个字符，最多 {max} 个",
      quickReplies: "快捷回复",
      you: "您",
      bot: "Gopay 客服",
      agent: "人工客服",
      agentSaid: "人工客服 {name}",
      notice: "系统提示",
      pending: "等待发送",
      sent: "已发送",
      failed: "未送达",
      queuedAck: "已收到，已转给人工客服",
      agentAck: "已发送给客服 {name}",
      link: "链接",
      image: "查看图片",
      queueWaiting: "正在为您转接人工客服：排在第 {position} 位，预计约 {minutes} 分钟",
      queueActive: "人工客服 {name} 正在为您服务",
      leaveQueue: "回到机器人",
      leaving: "正在返回…",
      leaveFailed: "暂时无法返回机器人，请稍后再试。",
      agentJoined: "人工客服 {name} 已接入会话",
      agentLeft: "人工客服已结束会话",
      unreadTitle: "({n}) 新消息",
      unreadBadge: "{n} 条未读消息",
      setupError: "此网站暂时无法使用在线客服（网站配置问题）。请通过 Gopay 官方网站或 App 联系我们。",
      topics: "常见问题",
    },
    en: {
      title: "Gopay Support",
      launcher: "Support",
      openChat: "Open Gopay support chat",
      closeChat: "Close chat window",
      switchLanguage: "切换到中文",
      switchLanguageShort: "中文",
      log: "Conversation",
      welcome: "Hi! I'm the Gopay support assistant. How can I help you?",
      inputLabel: "Type your question",
      placeholder: "Type your question…",
      send: "Send",
      typing: "Support is typing…",
      offline:
        "Connection lost. Reconnecting… Messages you type will be sent once the connection is back.",
      unauthorized: "We could not confirm your sign-in. Please reload the page and try again.",
      tooLong: "Messages can have at most {max} characters. Please shorten it.",
      counter: "{n} of {max} characters",
      quickReplies: "Suggested replies",
      you: "You",
      bot: "Gopay Support",
      agent: "Support agent",
      agentSaid: "Support agent {name}",
      notice: "Notice",
      pending: "Waiting to send",
      sent: "Sent",
      failed: "Not delivered",
      queuedAck: "Received, passed to an agent",
      agentAck: "Sent to {name}",
      link: "link",
      image: "View image",
      queueWaiting: "Connecting you to an agent: you are number {position}, about {minutes} min",
      queueActive: "{name} from support is helping you",
      leaveQueue: "Back to the bot",
      leaving: "Going back…",
      leaveFailed: "Could not go back to the bot right now. Please try again shortly.",
      agentJoined: "{name} from support joined the conversation",
      agentLeft: "The agent closed the conversation",
      unreadTitle: "({n}) New message",
      unreadBadge: "{n} unread messages",
      setupError: "Chat is not available on this site (a setup problem). Please contact us through Gopay's official website or app.",
      topics: "Popular topics",
    },
  };

  var DEFAULTS = {
    serverUrl: null, // default: the origin widget.js was loaded from
    socketPath: "/socket.io",
    title: null, // a string, or {zh: "...", en: "..."}; default: the built-in title
    language: "auto", // "auto" (follow the browser), "zh" or "en"
    colors: {}, // primary, primaryText, background, text, userBubble, userText, botBubble, botText
    startOpen: false,
    maxMessageChars: 2000, // the server's limit replaces this once connected
    token: null, // a JWT from the host site, or getToken: function returning one (or a Promise)
    getToken: null,
    storagePrefix: "gopay-chat",
    sound: false, // a short tone for new messages while the panel is closed or the tab hidden
    // Topic buttons under the welcome message; payloads select a topic exactly.
    topics: [
      { zh: "充值失败", en: "Top-up failed", payload: "/faq/topup_failed" },
      { zh: "提现延迟", en: "Withdrawal delayed", payload: "/faq/withdraw_delayed" },
      { zh: "退款未到账", en: "Refund missing", payload: "/faq/refund_failed" },
      { zh: "账户安全", en: "Account security", payload: "/faq/account_security" },
      { zh: "查询工单", en: "Check a ticket", payload: "/ticket_status" },
      { zh: "转人工客服", en: "Talk to an agent", payload: "/human_handoff" },
    ],
  };

  var COLOR_VARS = {
    primary: "--gc-primary",
    primaryText: "--gc-primary-text",
    background: "--gc-background",
    text: "--gc-text",
    userBubble: "--gc-user-bubble",
    userText: "--gc-user-text",
    botBubble: "--gc-bot-bubble",
    botText: "--gc-bot-text",
  };

  var instance = null;

  // ---------------------------------------------------------------- small helpers

  function findOwnScript() {
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(scripts[i].src)) return scripts[i];
    }
    return null;
  }

  function assetBase() {
    if (!SCRIPT || !SCRIPT.src) return "";
    return SCRIPT.src.replace(/[^/]*([?#].*)?$/, "");
  }

  /** 128 random bits as 32 hex digits, from the browser's cryptographic generator. */
  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  /** Length in code points, as the Python server counts it (emoji are one character). */
  function charCount(text) {
    return Array.from(text).length;
  }

  function format(template, params) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return String(params[key]);
    });
  }

  function el(tag, className, attrs) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        node.setAttribute(name, attrs[name]);
      });
    }
    return node;
  }

  /** An http(s) URL as a normalised href, or null for anything else (javascript:, data:...). */
  function safeHref(candidate) {
    try {
      var url = new URL(candidate);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  /**
   * Append `text` to `parent` as text nodes, with web addresses as safe links.
   * Line breaks stay in the text nodes; the stylesheet shows them (white-space: pre-wrap).
   */
  function appendRichText(parent, text) {
    var last = 0;
    text.replace(URL_RE, function (match, offset) {
      var url = match.replace(TRAILING_PUNCT_RE, "");
      var href = safeHref(url);
      if (!href) return match;
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = el("a", "gc-link", { rel: "noopener noreferrer", target: "_blank" });
      link.href = href;
      link.textContent = url;
      parent.appendChild(link);
      last = offset + url.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  var LIST_RE = /^\s*(?:([-*\u2022])|(\d{1,2})[.\u3001)])\s+(.*)$/;
  var INLINE_RE = /\*\*([^*\n]+?)\*\*|\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)/g;

  /** **bold** and [label](https://...) inside a line; everything else stays text. */
  function appendInline(parent, text) {
    var last = 0;
    var match;
    INLINE_RE.lastIndex = 0;
    while ((match = INLINE_RE.exec(text))) {
      appendRichText(parent, text.slice(last, match.index));
      if (match[1] !== undefined) {
        var strong = el("strong");
        appendRichText(strong, match[1]);
        parent.appendChild(strong);
      } else {
        var href = safeHref(match[3]);
        if (href) {
          var link = el("a", "gc-link", { rel: "noopener noreferrer", target: "_blank" });
          link.href = href;
          link.textContent = match[2];
          parent.appendChild(link);
        } else {
          parent.appendChild(document.createTextNode(match[0]));
        }
      }
      last = INLINE_RE.lastIndex;
    }
    appendRichText(parent, text.slice(last));
  }

  /**
   * The safe markdown subset of bot and agent messages: bold, bulleted and numbered lists,
   * links (http/https only). Built with the DOM, never parsed as HTML.
   */
  function appendMarkdown(parent, text) {
    var buffer = [];
    var list = null;
    var listType = null;
    function flushText() {
      while (buffer.length && !buffer[buffer.length - 1].trim()) buffer.pop();
      while (buffer.length && !buffer[0].trim()) buffer.shift();
      if (buffer.length) {
        var block = el("span", "gc-text");
        appendInline(block, buffer.join("\n"));
        parent.appendChild(block);
      }
      buffer = [];
    }
    text.split("\n").forEach(function (line) {
      var match = LIST_RE.exec(line);
      if (match) {
        var type = match[1] ? "ul" : "ol";
        if (!list || listType !== type) {
          flushText();
          list = el(type, "gc-list");
          if (type === "ol" && match[2] !== "1") list.setAttribute("start", match[2]);
          parent.appendChild(list);
          listType = type;
        }
        var item = el("li");
        appendInline(item, match[3]);
        list.appendChild(item);
        return;
      }
      if (list && !line.trim()) return;
      list = null;
      buffer.push(line);
    });
    flushText();
  }

  function initials(name) {
    var words = String(name || "?").trim().split(/\s+/);
    var first = Array.from(words[0] || "?")[0] || "?";
    var second = words.length > 1 ? Array.from(words[words.length - 1])[0] || "" : "";
    return (first + second).toUpperCase();
  }

  function detectLanguage(config) {
    var wanted = (config.language || "auto").toLowerCase();
    if (wanted === "zh" || wanted === "en") return wanted;
    var browser = (navigator.languages && navigator.languages[0]) || navigator.language || "";
    return /^zh\b/i.test(browser) ? "zh" : "en";
  }

  /** localStorage that degrades to memory when storage is blocked (private mode, quotas). */
  function Store(prefix) {
    this.prefix = prefix;
    this.memory = {};
  }
  Store.prototype.get = function (key, fallback) {
    var raw;
    try {
      raw = window.localStorage.getItem(this.prefix + key);
    } catch (e) {
      raw = this.memory[key];
    }
    if (raw === null || raw === undefined) return fallback;
    try {
      return JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  };
  Store.prototype.set = function (key, value) {
    var raw = JSON.stringify(value);
    this.memory[key] = raw;
    try {
      window.localStorage.setItem(this.prefix + key, raw);
    } catch (e) {
      /* memory copy above keeps the page working */
    }
  };

  function loadSocketIo(base) {
    if (window.io) return Promise.resolve(window.io);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = base + "socket.io.min.js";
      script.onload = function () {
        resolve(window.io);
      };
      script.onerror = function () {
        reject(new Error("could not load socket.io.min.js from " + script.src));
      };
      document.head.appendChild(script);
    });
  }

  // ---------------------------------------------------------------- the widget

  function ChatWidget(config) {
    this.config = config;
    this.serverUrl = (config.serverUrl || (SCRIPT && new URL(SCRIPT.src).origin) || "").replace(
      /\/$/,
      ""
    );
    var serverHost = this.serverUrl ? new URL(this.serverUrl, location.href).host : location.host;
    this.store = new Store(config.storagePrefix + ":" + serverHost + ":");
    this.lang = this.store.get("language", null) || detectLanguage(config);
    this.sessionId = this.store.get("session", null) || randomId();
    this.store.set("session", this.sessionId);
    this.transcript = this.store.get("transcript", []);
    this.outbox = this.store.get("outbox", []);
    this.maxChars = config.maxMessageChars;
    this.ready = false; // connected and the session confirmed
    this.flushing = false;
    this.flushAgain = false;
    this.socket = null;
    this.unread = 0;
    this.pageTitle = document.title;
    // The agent queue as the server last told it: {state: none|waiting|active, ...}.
    this.handoff = this.store.get("handoff", { state: "none" });
    this.handoffTimer = null;
    this.build();
    this.render();
    this.setOpen(this.store.get("open", config.startOpen), false);
    var self = this;
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && self.open) self.clearUnread();
    });
  }

  ChatWidget.prototype.t = function (key, params) {
    var text = STRINGS[this.lang][key];
    return params ? format(text, params) : text;
  };

  ChatWidget.prototype.title = function () {
    var title = this.config.title;
    if (title && typeof title === "object") return title[this.lang] || this.t("title");
    return title || this.t("title");
  };

  /** Builds the DOM once, inside a shadow root so host-page styles cannot break it. */
  ChatWidget.prototype.build = function () {
    var self = this;
    // data-state (connecting, online, offline) lets host pages and tests follow the link.
    this.host = el("div", null, { id: "gopay-chat", "data-state": "connecting" });
    this.applyColors();
    var root = this.host.attachShadow({ mode: "open" });
    var css = el("link", null, { rel: "stylesheet", href: assetBase() + "widget.css" });
    this.frame = el("div", "gc-frame", { hidden: "" });
    var reveal = function () {
      self.frame.hidden = false;
      self.scrollToEnd(); // heights are only known once styled and visible
    };
    css.addEventListener("load", reveal);
    css.addEventListener("error", reveal);
    root.appendChild(css);
    root.appendChild(this.frame);

    this.launcher = el("button", "gc-launcher", {
      type: "button",
      "aria-controls": "gc-panel",
      "aria-expanded": "false",
    });
    this.launcherText = el("span", "gc-launcher-text");
    this.badge = el("span", "gc-badge", { hidden: "", "aria-hidden": "true" });
    this.launcher.appendChild(el("span", "gc-launcher-icon", { "aria-hidden": "true" }));
    this.launcher.appendChild(this.launcherText);
    this.launcher.appendChild(this.badge);
    this.launcher.addEventListener("click", function () {
      self.setOpen(true);
    });

    this.panel = el("section", "gc-panel", { id: "gc-panel", "aria-labelledby": "gc-title" });
    var header = el("header", "gc-header");
    this.titleEl = el("h2", "gc-title", { id: "gc-title" });
    this.langButton = el("button", "gc-lang", { type: "button" });
    this.langButton.addEventListener("click", function () {
      self.setLanguage(self.lang === "zh" ? "en" : "zh");
    });
    this.closeButton = el("button", "gc-close", { type: "button" });
    this.closeButton.appendChild(el("span", "gc-close-icon", { "aria-hidden": "true" }));
    this.closeButton.addEventListener("click", function () {
      self.setOpen(false);
    });
    header.appendChild(this.titleEl);
    header.appendChild(this.langButton);
    header.appendChild(this.closeButton);

    this.banner = el("div", "gc-banner", { role: "status", hidden: "" });
    // While waiting for (or talking to) an agent: where the customer stands, and a way back.
    this.queueBar = el("div", "gc-queue", { role: "status", hidden: "" });
    this.queueText = el("span", "gc-queue-text");
    this.leaveButton = el("button", "gc-leave", { type: "button" });
    this.leaveButton.addEventListener("click", function () {
      self.leaveQueue();
    });
    this.queueBar.appendChild(this.queueText);
    this.queueBar.appendChild(this.leaveButton);
    // The log is filled before it becomes live, so restored history is not read out again.
    this.log = el("div", "gc-log", { role: "log", tabindex: "0" });
    this.typing = el("div", "gc-typing", { hidden: "" });
    this.typingText = el("span", "gc-visually-hidden");
    var dots = el("span", "gc-dots", { "aria-hidden": "true" });
    for (var i = 0; i < 3; i++) dots.appendChild(el("span", "gc-dot"));
    this.typing.appendChild(dots);
    this.typing.appendChild(this.typingText);
    this.quick = el("div", "gc-quick", { role: "group" });

    this.form = el("form", "gc-form");
    this.inputLabel = el("label", "gc-visually-hidden", { for: "gc-input" });
    this.input = el("textarea", "gc-input", {
      id: "gc-input",
      rows: "1",
      "aria-describedby": "gc-counter gc-error",
      autocomplete: "off",
    });
    this.counter = el("span", "gc-counter", { id: "gc-counter" });
    this.error = el("div", "gc-error", { id: "gc-error", role: "alert" });
    this.sendButton = el("button", "gc-send", { type: "submit" });
    var row = el("div", "gc-input-row");
    row.appendChild(this.input);
    row.appendChild(this.sendButton);
    this.form.appendChild(this.inputLabel);
    this.form.appendChild(row);
    var status = el("div", "gc-input-status");
    status.appendChild(this.error);
    status.appendChild(this.counter);
    this.form.appendChild(status);

    this.input.addEventListener("input", function () {
      self.updateInputState();
    });
    this.input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter adds a line; never while an IME is composing (pinyin).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        self.submit();
      }
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") self.setOpen(false);
    });

    // Stay at the newest message while the panel resizes (phone rotation, keyboard opening),
    // unless the customer scrolled up to read.
    this.stickToEnd = true;
    this.log.addEventListener("scroll", function () {
      var log = self.log;
      self.stickToEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        if (self.stickToEnd) self.scrollToEnd();
      }).observe(this.log);
    }

    [header, this.banner, this.queueBar, this.log, this.typing, this.quick, this.form].forEach(function (part) {
      self.panel.appendChild(part);
    });
    this.frame.appendChild(this.launcher);
    this.frame.appendChild(this.panel);
    document.body.appendChild(this.host);

    window.addEventListener("offline", function () {
      self.setBanner(true);
    });
  };

  ChatWidget.prototype.applyColors = function () {
    var colors = this.config.colors || {};
    var style = this.host.style;
    Object.keys(COLOR_VARS).forEach(function (name) {
      var value = colors[name];
      if (typeof value === "string" && window.CSS && CSS.supports("color", value)) {
        style.setProperty(COLOR_VARS[name], value);
      }
    });
  };

  /** Opens or closes the panel; focus follows unless `moveFocus` is false (page load). */
  ChatWidget.prototype.setOpen = function (open, moveFocus) {
    this.open = !!open;
    this.store.set("open", this.open);
    this.panel.hidden = !this.open;
    this.launcher.hidden = this.open;
    this.launcher.setAttribute("aria-expanded", String(this.open));
    if (this.open) {
      this.clearUnread();
      this.scrollToEnd();
    }
    if (moveFocus === false) return;
    if (this.open) this.input.focus();
    else this.launcher.focus();
  };

  ChatWidget.prototype.setLanguage = function (lang) {
    this.lang = lang;
    this.store.set("language", lang);
    this.render();
    this.langButton.focus();
  };

  /** Redraws every string and message; used at start and when the language changes. */
  ChatWidget.prototype.render = function () {
    var self = this;
    this.frame.setAttribute("lang", this.lang === "zh" ? "zh-CN" : "en");
    this.titleEl.textContent = this.title();
    this.launcherText.textContent = this.t("launcher");
    this.launcher.setAttribute("aria-label", this.t("openChat"));
    this.langButton.textContent = this.t("switchLanguageShort");
    this.langButton.setAttribute("aria-label", this.t("switchLanguage"));
    this.langButton.setAttribute("lang", this.lang === "zh" ? "en" : "zh-CN");
    this.closeButton.setAttribute("aria-label", this.t("closeChat"));
    this.log.setAttribute("aria-label", this.t("log"));
    this.quick.setAttribute("aria-label", this.t("quickReplies"));
    this.typingText.textContent = this.t("typing");
    this.inputLabel.textContent = this.t("inputLabel");
    this.input.placeholder = this.t("placeholder");
    this.sendButton.textContent = this.t("send");
    this.banner.textContent = this.t(this.bannerKey || "offline");

    this.log.removeAttribute("aria-live");
    this.log.textContent = "";
    // The welcome is a message from the bot; its topic buttons show until the first message.
    var welcome = this.renderEntry({ id: "welcome", role: "bot", text: this.t("welcome"), ts: Date.now() });
    welcome.classList.add("gc-welcome");
    welcome.querySelector(".gc-meta").hidden = true;
    this.log.appendChild(welcome);
    this.transcript.forEach(function (entry) {
      self.log.appendChild(self.renderEntry(entry));
    });
    this.log.setAttribute("aria-live", "polite");
    this.renderQuickReplies();
    this.renderQueue();
    this.updateInputState();
    this.updateUnread();
    this.scrollToEnd();
  };

  ChatWidget.prototype.renderEntry = function (entry) {
    var role = entry.role;
    var item = el("div", "gc-msg gc-" + role, { "data-id": entry.id });
    var who = el("span", "gc-visually-hidden");
    var label = role === "user" ? this.t("you") : role === "system" ? this.t("notice") : this.t(role);
    if (role === "agent") label = this.t("agentSaid", { name: entry.agent || "" });
    who.textContent = label + ": ";
    if (role === "agent") {
      // A person answers: name, initials and a visible "support agent" mark.
      var byline = el("div", "gc-byline", { "aria-hidden": "true" });
      byline.appendChild(el("span", "gc-avatar"));
      byline.lastChild.textContent = initials(entry.agent);
      var name = el("span", "gc-agent-name");
      name.textContent = entry.agent || "";
      byline.appendChild(name);
      var mark = el("span", "gc-agent-mark");
      mark.textContent = this.t("agent");
      byline.appendChild(mark);
      item.appendChild(byline);
    }
    var bubble = el("div", "gc-bubble", { lang: CJK_RE.test(entry.text) ? "zh-CN" : "en" });
    bubble.appendChild(who);
    if (role === "user" || role === "notice" || role === "system") {
      bubble.appendChild(document.createTextNode(entry.text));
    } else {
      appendMarkdown(bubble, entry.text);
    }
    if (entry.image) {
      var href = safeHref(entry.image);
      if (href) {
        var link = el("a", "gc-link gc-image-link", { rel: "noopener noreferrer", target: "_blank" });
        link.href = href;
        link.textContent = this.t("image");
        bubble.appendChild(document.createTextNode(entry.text ? "\n" : ""));
        bubble.appendChild(link);
      }
    }
    item.appendChild(bubble);

    var meta = el("div", "gc-meta");
    var time = el("time");
    var date = new Date(entry.ts);
    time.dateTime = date.toISOString();
    time.textContent = this.formatTime(date);
    time.title = date.toLocaleString(this.lang === "zh" ? "zh-CN" : "en");
    meta.appendChild(time);
    if (role === "user") {
      var status = el("span", "gc-status gc-status-" + entry.status);
      status.textContent = this.t(entry.status, entry.statusParams);
      meta.appendChild(status);
    }
    item.appendChild(meta);
    return item;
  };

  ChatWidget.prototype.formatTime = function (date) {
    var locale = this.lang === "zh" ? "zh-CN" : "en-GB";
    var sameDay = date.toDateString() === new Date().toDateString();
    var options = sameDay
      ? { hour: "2-digit", minute: "2-digit" }
      : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
    return new Intl.DateTimeFormat(locale, options).format(date);
  };

  /** Buttons of the last bot message, while the customer has not answered it yet. */
  ChatWidget.prototype.renderQuickReplies = function () {
    var self = this;
    this.quick.textContent = "";
    var last = this.transcript[this.transcript.length - 1];
    var replies = last && last.role === "bot" && last.quickReplies;
    if (!last && this.config.topics) {
      var lang = this.lang;
      replies = this.config.topics
        .filter(function (topic) {
          return topic && typeof topic.payload === "string" && topic.payload;
        })
        .map(function (topic) {
          return { title: String(topic[lang] || topic.title || topic.payload), payload: topic.payload };
        });
    }
    this.quick.hidden = !(replies && replies.length) || this.bannerKey === "setupError";
    if (this.quick.hidden) return;
    replies.forEach(function (reply) {
      var button = el("button", "gc-quick-reply", { type: "button" });
      button.textContent = reply.title;
      button.addEventListener("click", function () {
        self.send(reply.payload, reply.title);
      });
      self.quick.appendChild(button);
    });
  };

  ChatWidget.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  ChatWidget.prototype.setBanner = function (visible, key) {
    this.host.setAttribute("data-state", visible ? "offline" : "online");
    this.bannerKey = key || "offline";
    this.banner.textContent = this.t(this.bannerKey);
    this.banner.hidden = !visible;
  };

  ChatWidget.prototype.setTyping = function (visible) {
    this.typing.hidden = !visible;
    if (visible) this.scrollToEnd();
  };

  ChatWidget.prototype.updateInputState = function () {
    var count = charCount(this.input.value);
    var tooLong = count > this.maxChars;
    this.counter.textContent = count + " / " + this.maxChars;
    this.counter.setAttribute("aria-label", this.t("counter", { n: count, max: this.maxChars }));
    this.counter.classList.toggle("gc-over", tooLong);
    this.input.setAttribute("aria-invalid", String(tooLong));
    var message = tooLong ? this.t("tooLong", { max: this.maxChars }) : "";
    if (this.error.textContent !== message) this.error.textContent = message;
    this.sendButton.disabled = tooLong || !this.input.value.trim();
  };

  // ------------------------------------------------------------- conversation state

  // ------------------------------------------------------------ unread, queue bar

  ChatWidget.prototype.updateUnread = function () {
    var n = this.unread;
    this.badge.hidden = !n;
    this.badge.textContent = n > 9 ? "9+" : String(n);
    this.launcher.setAttribute(
      "aria-label",
      this.t("openChat") + (n ? " (" + this.t("unreadBadge", { n: n }) + ")" : "")
    );
    document.title = n ? this.t("unreadTitle", { n: n }) + " · " + this.pageTitle : this.pageTitle;
  };

  ChatWidget.prototype.clearUnread = function () {
    if (!this.unread) return;
    this.unread = 0;
    this.updateUnread();
  };

  ChatWidget.prototype.chime = function () {
    if (!this.config.sound) return;
    try {
      this.audio = this.audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = this.audio.createOscillator();
      var gain = this.audio.createGain();
      osc.frequency.value = 660;
      gain.gain.value = 0.06;
      osc.connect(gain).connect(this.audio.destination);
      osc.start();
      osc.stop(this.audio.currentTime + 0.18);
    } catch (e) {
      /* no audio: the badge and the title still tell */
    }
  };

  ChatWidget.prototype.renderQueue = function () {
    var h = this.handoff || { state: "none" };
    this.queueBar.hidden = h.state !== "waiting" && h.state !== "active";
    this.host.setAttribute("data-handoff", h.state);
    if (h.state === "waiting") {
      this.queueText.textContent = this.t("queueWaiting", { position: h.position, minutes: h.wait_minutes });
    } else if (h.state === "active") {
      this.queueText.textContent = this.t("queueActive", { name: h.agent || "" });
    }
    this.leaveButton.hidden = h.state !== "waiting";
    this.leaveButton.disabled = false;
    this.leaveButton.textContent = this.t("leaveQueue");
  };

  /** The queue state from the server (message acks, status checks, leaving). */
  ChatWidget.prototype.applyHandoff = function (next) {
    if (!next || typeof next !== "object" || next.state === "error") return;
    var before = this.handoff || { state: "none" };
    if (next.state === "active" && (before.state !== "active" || before.agent !== next.agent)) {
      this.addEntry({
        id: randomId(),
        role: "system",
        text: this.t("agentJoined", { name: next.agent || "" }),
        ts: Date.now(),
      });
    }
    this.handoff = { state: next.state, position: next.position, wait_minutes: next.wait_minutes, agent: next.agent };
    this.store.set("handoff", this.handoff);
    this.renderQueue();
    this.watchQueue();
  };

  /** While queued or with an agent, ask now and then where the conversation stands. */
  ChatWidget.prototype.watchQueue = function () {
    var self = this;
    window.clearTimeout(this.handoffTimer);
    if (!this.handoff || this.handoff.state === "none") return;
    this.handoffTimer = window.setTimeout(function () {
      self.checkQueue();
    }, 15000);
  };

  ChatWidget.prototype.checkQueue = function () {
    var self = this;
    if (!this.ready || !this.socket) return;
    this.socket
      .timeout(10000)
      .emitWithAck("handoff_status", {})
      .then(
        function (state) {
          self.applyHandoff(state);
        },
        function () {
          self.watchQueue();
        }
      );
  };

  ChatWidget.prototype.leaveQueue = function () {
    var self = this;
    if (!this.ready || !this.socket) return;
    this.leaveButton.disabled = true;
    this.leaveButton.textContent = this.t("leaving");
    this.socket
      .timeout(20000)
      .emitWithAck("handoff_leave", {})
      .then(
        function (state) {
          if (state && state.state === "error") {
            self.addEntry({ id: randomId(), role: "notice", text: self.t("leaveFailed"), ts: Date.now() });
            self.renderQueue();
            return;
          }
          self.applyHandoff(state);
        },
        function () {
          self.addEntry({ id: randomId(), role: "notice", text: self.t("leaveFailed"), ts: Date.now() });
          self.renderQueue();
        }
      );
  };

  ChatWidget.prototype.addEntry = function (entry) {
    this.transcript.push(entry);
    if (this.transcript.length > MAX_TRANSCRIPT) {
      this.transcript = this.transcript.slice(-MAX_TRANSCRIPT);
      this.log.removeChild(this.log.querySelector(".gc-msg:not(.gc-welcome)"));
    }
    this.store.set("transcript", this.transcript);
    this.log.appendChild(this.renderEntry(entry));
    this.renderQuickReplies();
    this.scrollToEnd();
    if (entry.role !== "user" && (!this.open || document.hidden)) {
      this.unread += 1;
      this.updateUnread();
      this.chime();
    }
  };

  ChatWidget.prototype.setStatus = function (id, status, params) {
    this.transcript.forEach(function (entry) {
      if (entry.id === id) {
        entry.status = status;
        entry.statusParams = params;
      }
    });
    this.store.set("transcript", this.transcript);
    var node = this.log.querySelector('[data-id="' + id + '"] .gc-status');
    if (node) {
      node.className = "gc-status gc-status-" + status;
      node.textContent = this.t(status, params);
    }
  };

  ChatWidget.prototype.submit = function () {
    var text = this.input.value;
    if (!text.trim() || charCount(text) > this.maxChars) {
      this.updateInputState();
      return;
    }
    this.input.value = "";
    this.updateInputState();
    this.send(text, text);
    this.input.focus();
  };

  /** Shows `shown` as the customer's message and queues `payload` for the bot. */
  ChatWidget.prototype.send = function (payload, shown) {
    var id = randomId();
    this.addEntry({ id: id, role: "user", text: shown, ts: Date.now(), status: "pending" });
    this.outbox.push({ id: id, text: payload, language: this.lang });
    this.outbox = this.outbox.slice(-MAX_OUTBOX);
    this.store.set("outbox", this.outbox);
    this.flush();
  };

  /** Sends queued messages one at a time, dropping each only once the server acked it. */
  ChatWidget.prototype.flush = function () {
    var self = this;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    var item = this.outbox[0];
    if (!item || !this.ready) {
      this.setTyping(false);
      return;
    }
    this.flushing = true;
    this.flushAgain = false;
    this.setTyping(true);
    var data = {
      message: item.text,
      session_id: this.sessionId,
      client_message_id: item.id,
      metadata: { language: item.language || this.lang },
    };
    this.socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck("user_uttered", data)
      .then(
        function (ack) {
          self.outbox = self.outbox.filter(function (queued) {
            return queued.id !== item.id;
          });
          self.store.set("outbox", self.outbox);
          var delivered = ack && (ack.status === "accepted" || ack.status === "duplicate");
          var handoff = ack && ack.handoff;
          if (delivered && handoff && handoff.state === "waiting") {
            self.setStatus(item.id, "queuedAck"); // acknowledged while waiting for an agent
          } else if (delivered && handoff && handoff.state === "active") {
            self.setStatus(item.id, "agentAck", { name: handoff.agent || "" });
          } else {
            self.setStatus(item.id, delivered ? "sent" : "failed");
          }
          if (handoff) self.applyHandoff(handoff);
          self.flushing = false;
          self.flush();
        },
        function () {
          // No ack (timeout or lost connection): keep it; the server drops a repeat by id.
          self.flushing = false;
          if (self.ready) window.setTimeout(self.flush.bind(self), RETRY_MS);
          else self.setTyping(false);
        }
      );
  };

  ChatWidget.prototype.receive = function (message) {
    if (!message || typeof message !== "object") return;
    var text = typeof message.text === "string" ? message.text : "";
    var attachment = message.attachment;
    var image =
      attachment && attachment.type === "image" && attachment.payload
        ? String(attachment.payload.src || "")
        : "";
    if (!text && !image) return;
    var replies = Array.isArray(message.quick_replies)
      ? message.quick_replies
          .filter(function (reply) {
            return reply && typeof reply.payload === "string" && reply.payload;
          })
          .map(function (reply) {
            return { title: String(reply.title || reply.payload), payload: reply.payload };
          })
      : [];
    var role = message.notice ? "notice" : message.sender === "agent" ? "agent" : "bot";
    var agent = role === "agent" && message.agent && typeof message.agent.name === "string" ? message.agent.name : "";
    if (role === "agent" && (!this.handoff || this.handoff.state !== "active" || this.handoff.agent !== agent)) {
      this.applyHandoff({ state: "active", agent: agent }); // the agent's first words: they joined
    }
    if (role === "bot" && this.handoff && this.handoff.state === "active") {
      this.checkQueue(); // the bot speaks again: the agent may have handed the conversation back
    }
    this.addEntry({
      id: randomId(),
      role: role,
      agent: agent || undefined,
      text: text,
      image: image || undefined,
      quickReplies: replies.length ? replies : undefined,
      ts: Date.now(),
    });
  };

  // ---------------------------------------------------------------- connection

  ChatWidget.prototype.authToken = function () {
    var config = this.config;
    if (typeof config.getToken === "function") return Promise.resolve(config.getToken());
    return Promise.resolve(config.token || null);
  };

  ChatWidget.prototype.connect = function (io) {
    var self = this;
    var socket = io(this.serverUrl || undefined, {
      path: this.config.socketPath,
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
      auth: function (callback) {
        self.authToken().then(
          function (token) {
            callback(token ? { token: token } : {});
          },
          function () {
            callback({});
          }
        );
      },
    });
    this.socket = socket;
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: self.sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      if (typeof sessionId === "string" && sessionId !== self.sessionId) {
        // A different conversation (e.g. bound to a signed-in user): its history is not ours.
        self.sessionId = sessionId;
        self.store.set("session", sessionId);
        self.transcript = [];
        self.store.set("transcript", []);
        self.render();
      }
      self.ready = true;
      self.setBanner(false);
      self.flush();
      self.checkQueue();
    });
    socket.on("webchat_settings", function (settings) {
      if (settings && settings.max_message_chars > 0) {
        self.maxChars = settings.max_message_chars;
        self.updateInputState();
      }
    });
    socket.on("bot_uttered", function (message) {
      self.receive(message);
    });
    socket.on("disconnect", function (reason) {
      self.ready = false;
      self.setTyping(false);
      self.setBanner(true);
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", function (error) {
      self.ready = false;
      self.setTyping(false);
      var refused = error && error.message === "unauthorized";
      self.setBanner(true, refused ? "unauthorized" : "offline");
      if (!refused) self.checkOrigin();
    });
  };

  /**
   * A page whose origin the server does not allow can never connect: say so once, clearly,
   * instead of "reconnecting" forever (the browser hides the refusal's reason from scripts).
   */
  ChatWidget.prototype.checkOrigin = function () {
    var self = this;
    if (this.originChecked || !window.fetch) return;
    this.originChecked = true;
    var url = assetBase().replace(/static\/$/, "") + "origin-check";
    window
      .fetch(url, { mode: "cors", credentials: "omit" })
      .then(function (reply) {
        return reply.json();
      })
      .then(function (answer) {
        if (answer && answer.allowed === false) self.setupError(answer.setting);
        else self.originChecked = false; // reachable and allowed: a real outage, check again later
      })
      .catch(function () {
        self.originChecked = false;
      });
  };

  ChatWidget.prototype.setupError = function (setting) {
    if (this.socket) {
      this.socket.io.reconnection(false);
      this.socket.disconnect();
    }
    this.host.setAttribute("data-state", "refused");
    this.bannerKey = "setupError";
    this.banner.textContent = this.t("setupError");
    this.banner.classList.add("gc-banner-error");
    this.banner.hidden = false;
    this.input.disabled = true;
    this.sendButton.disabled = true;
    this.quick.hidden = true; // nothing can be sent from here
    console.error(
      "[GopayChat] The chat server refused this page's origin (" +
        location.origin +
        "). Add it to " +
        (setting || "GOPAY_WEBCHAT_ORIGINS") +
        " on the chat server (docs/webchat.md)."
    );
  };

  function init(userConfig) {
    if (instance) return instance;
    var config = Object.assign({}, DEFAULTS, userConfig || {});
    instance = new ChatWidget(config);
    loadSocketIo(assetBase()).then(
      function (io) {
        instance.connect(io);
      },
      function (error) {
        instance.setBanner(true);
        console.error("[GopayChat]", error);
      }
    );
    return instance;
  }

  function autoInit() {
    var config = {};
    var raw = SCRIPT && SCRIPT.getAttribute("data-config");
    if (raw) {
      try {
        config = JSON.parse(raw);
      } catch (e) {
        console.error("[GopayChat] data-config is not valid JSON; using defaults.", e);
      }
    }
    init(config);
  }

  window.GopayChat = { init: init };
  if (SCRIPT && !SCRIPT.hasAttribute("data-manual")) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", autoInit);
    } else {
      autoInit();
    }
  }
})();
