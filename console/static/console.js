/* Gopay agent console.
 *
 * - Everything users or agents typed goes on the page with textContent (never innerHTML),
 *   so HTML in a message shows as text; the page's CSP forbids inline scripts.
 * - Live updates are pushed by the server (Server-Sent Events, GET /api/events): the queue
 *   and "conversation N changed"; nothing polls.
 * - One UI language, chosen by the agent (i18n.js); server refusals arrive as codes.
 */
(function () {
  "use strict";

  var I18N = window.CONSOLE_I18N;
  var LANG_KEY = "gopay-console-lang";
  var state = {
    csrf: null, agent: null, role: "agent", selected: null, detail: null, stream: null,
    knownWaiting: null, seen: {}, queue: [], colleagues: [], tab: "inbox", charts: {},
    lang: pickLanguage(), cannedFor: null, liveState: "connecting", dashboard: null,
    replyText: null, replyId: null,
  };

  function pickLanguage() {
    var saved = null;
    try { saved = window.localStorage.getItem(LANG_KEY); } catch (e) { /* storage blocked */ }
    if (saved === "zh" || saved === "en") return saved;
    return /^zh/i.test(navigator.language || "") ? "zh" : "en";
  }

  function t(key, params) {
    var text = (I18N[state.lang] && I18N[state.lang][key]);
    if (text === undefined) text = I18N.en[key] !== undefined ? I18N.en[key] : key;
    return String(text).replace(/\{(\w+)\}/g, function (_, name) {
      return params && params[name] !== undefined && params[name] !== null ? String(params[name]) : "";
    });
  }

  /** A value's label ("status.waiting") or the value itself when there is none. */
  function label(prefix, value) {
    if (value === null || value === undefined || value === "") return "-";
    var key = prefix + "." + value;
    return I18N[state.lang][key] !== undefined ? t(key) : String(value);
  }

  function $(id) { return document.getElementById(id); }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "-";
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return t("time.s", { s: seconds });
    if (seconds < 3600) return t("time.m", { m: Math.floor(seconds / 60), s: seconds % 60 });
    return t("time.h", { h: Math.floor(seconds / 3600), m: Math.floor((seconds % 3600) / 60) });
  }

  function when(iso) {
    if (!iso) return "-";
    var date = new Date(iso);
    return date.toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    });
  }

  // -- language ---------------------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (node) {
      node.setAttribute("placeholder", t(node.getAttribute("data-i18n-placeholder")));
    });
    document.querySelectorAll("[data-i18n-aria-label]").forEach(function (node) {
      node.setAttribute("aria-label", t(node.getAttribute("data-i18n-aria-label")));
    });
    $("ui-lang").value = state.lang;
    $("my-role").textContent = t("role." + state.role);
    updateTitle();
    setLive(state.liveState);
    renderQueue();
    if (state.detail) renderDetail(state.detail);
    if (state.customer) renderCustomer(state.customer);
    renderTransferOptions();
    if (state.tab === "learning") loadReviews();
    if (state.tab === "dashboard" && state.dashboard) renderDashboard(state.dashboard);
  }

  function setLanguage(lang) {
    state.lang = lang;
    try { window.localStorage.setItem(LANG_KEY, lang); } catch (e) { /* memory only */ }
    state.cannedFor = null;
    applyLanguage();
  }

  document.querySelectorAll("[data-set-lang]").forEach(function (button) {
    button.addEventListener("click", function () { setLanguage(button.getAttribute("data-set-lang")); });
  });
  $("ui-lang").addEventListener("change", function () { setLanguage($("ui-lang").value); });

  // -- HTTP -------------------------------------------------------------------------------
  function failure(status, data) {
    var code = data && data.code;
    if (!code) code = status === 401 ? "login_required" : status === 403 ? "forbidden" : "unknown";
    var params = Object.assign({ status: status }, (data && data.params) || {});
    if (code === "bad_transition") {
      params.current = label("tstatus", params.current);
      params.new = label("tstatus", params["new"]);
    }
    var error = new Error(t("error." + code, params));
    error.code = code;
    return error;
  }

  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
    return fetch(path, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (reply) {
      return reply.json().catch(function () { return {}; }).then(function (data) {
        if (reply.status === 401 && path !== "/api/login") showLogin();
        if (!reply.ok) throw failure(reply.status, data);
        return data;
      });
    }, function () { throw failure(0, { code: "network" }); });
  }

  function requestId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  // -- alerts -----------------------------------------------------------------------------
  function toast(text) {
    var node = el("div", text, "toast");
    $("toasts").appendChild(node);
    setTimeout(function () { node.remove(); }, 6000);
  }

  var audio = null;
  function beep() {
    if (!$("sound").checked) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.15);
    } catch (e) { /* no audio: the toast and the title still show */ }
  }
  $("sound").checked = (function () {
    try { return window.localStorage.getItem("gopay-console-sound") === "1"; } catch (e) { return false; }
  })();
  $("sound").addEventListener("change", function () {
    try { window.localStorage.setItem("gopay-console-sound", $("sound").checked ? "1" : "0"); } catch (e) { /* */ }
  });

  function unread(item) {
    var seen = state.seen[item.id];
    if (seen === undefined) return 0;
    return Math.max(0, item.user_messages - seen);
  }

  function attention() {
    var waiting = state.queue.filter(function (i) { return i.status === "waiting"; }).length;
    var unreadMine = state.queue.reduce(function (sum, i) { return sum + (i.mine ? unread(i) : 0); }, 0);
    return waiting + unreadMine;
  }

  function updateTitle() {
    var n = attention();
    document.title = n ? t("alert.title", { n: n }) : t("app.title");
    var badge = $("inbox-badge");
    badge.hidden = !n;
    badge.textContent = n ? String(n) : "";
  }

  function seenKey() { return "gopay-console-seen:" + state.agent; }

  function markSeen(item) {
    if (!item) return;
    state.seen[item.id] = item.user_messages;
    try { window.localStorage.setItem(seenKey(), JSON.stringify(state.seen)); } catch (e) { /* */ }
  }

  // -- login ------------------------------------------------------------------------------
  function showLogin() {
    closeStream();
    state.csrf = null;
    $("main-view").hidden = true;
    $("login-view").hidden = false;
  }

  function showMain(me) {
    state.csrf = me.csrf_token;
    state.agent = me.agent;
    state.role = me.role || "agent";
    state.colleagues = me.colleagues || (me.agents || []).map(function (n) { return { name: n, on_duty: false }; });
    try { state.seen = JSON.parse(window.localStorage.getItem(seenKey()) || "{}"); } catch (e) { state.seen = {}; }
    state.knownWaiting = null;
    $("me").textContent = me.agent;
    $("tab-dashboard").hidden = state.role !== "supervisor";
    $("login-view").hidden = true;
    $("main-view").hidden = false;
    applyLanguage();
    showTab(state.tab === "dashboard" && state.role !== "supervisor" ? "inbox" : state.tab);
    openStream();
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    $("login-error").textContent = "";
    api("POST", "/api/login", { agent: $("login-agent").value, password: $("login-password").value })
      .then(function () { $("login-password").value = ""; return api("GET", "/api/me"); })
      .then(showMain)
      .catch(function (error) { $("login-error").textContent = error.message; });
  });

  $("logout").addEventListener("click", function () {
    api("POST", "/api/logout", {}).finally(function () {
      state.selected = null;
      state.detail = null;
      $("conversation").hidden = true;
      $("customer").hidden = true;
      showLogin();
    });
  });

  // -- tabs -------------------------------------------------------------------------------
  function showTab(name) {
    state.tab = name;
    document.querySelectorAll("[data-tab]").forEach(function (button) {
      var on = button.getAttribute("data-tab") === name;
      button.setAttribute("aria-selected", String(on));
      button.classList.toggle("active", on);
    });
    ["inbox", "search", "learning", "dashboard"].forEach(function (tab) {
      $("panel-" + tab).hidden = tab !== name;
    });
    if (name === "learning") loadReviews();
    if (name === "dashboard") loadDashboard();
  }
  document.querySelectorAll("[data-tab]").forEach(function (button) {
    button.addEventListener("click", function () { showTab(button.getAttribute("data-tab")); });
  });

  // -- live updates -----------------------------------------------------------------------
  function setLive(name) {
    state.liveState = name;
    var node = $("live-state");
    node.setAttribute("data-state", name);
    node.textContent = t("live." + name);
  }

  function closeStream() {
    if (state.stream) state.stream.close();
    state.stream = null;
  }

  function openStream() {
    closeStream();
    setLive("connecting");
    var stream = new EventSource("/api/events");
    state.stream = stream;
    stream.addEventListener("open", function () { setLive("online"); });
    stream.addEventListener("error", function () {
      setLive("offline");
      // A lost session ends the stream: check it, the login page follows a 401.
      api("GET", "/api/me").catch(function () {});
    });
    stream.addEventListener("queue", function (event) { onQueue(JSON.parse(event.data)); });
    stream.addEventListener("conversation", function (event) {
      var data = JSON.parse(event.data);
      if (data.id === state.selected) refreshDetail();
    });
    stream.addEventListener("logout", function () { showLogin(); });
  }

  function onQueue(data) {
    var previous = state.knownWaiting;
    var waitingNow = {};
    data.queue.forEach(function (item) {
      if (item.status === "waiting") waitingNow[item.id] = true;
    });
    if (previous !== null) {
      data.queue.forEach(function (item) {
        if (item.status === "waiting" && !previous[item.id]) {
          toast(t("alert.new", { id: item.id, channel: label("channel", item.channel), language: label("lang", item.language) }));
          beep();
        }
      });
      var before = {};
      state.queue.forEach(function (item) { before[item.id] = item.user_messages; });
      data.queue.forEach(function (item) {
        if (item.mine && before[item.id] !== undefined && item.user_messages > before[item.id] &&
            (item.id !== state.selected || document.hidden)) {
          toast(t("alert.message", { id: item.id }));
          beep();
        }
      });
    }
    state.knownWaiting = waitingNow;
    state.queue = data.queue;
    state.resolved = data.resolved;
    data.queue.forEach(function (item) {
      if (state.seen[item.id] === undefined && item.mine) state.seen[item.id] = 0;
      if (item.id === state.selected && !document.hidden) markSeen(item);
    });
    renderQueue();
    updateTitle();
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.selected !== null) {
      markSeen(state.queue.find(function (i) { return i.id === state.selected; }));
      renderQueue();
      updateTitle();
    }
  });

  // -- queue ------------------------------------------------------------------------------
  function renderQueue() {
    var body = $("queue-body");
    if (!body) return;
    body.textContent = "";
    state.queue.forEach(function (item) {
      var row = el("li", null, "queue-item");
      row.dataset.id = item.id;
      row.dataset.status = item.status;
      row.tabIndex = 0;
      if (item.id === state.selected) row.classList.add("selected");
      if (item.priority === "high") row.classList.add("prio-high");
      var top = el("div", null, "q-top");
      top.appendChild(el("span", "#" + item.id, "q-id"));
      top.appendChild(el("span", label("channel", item.channel), "tag"));
      top.appendChild(el("span", label("lang", item.language), "tag"));
      if (item.priority === "high") top.appendChild(el("span", label("priority", "high"), "tag tag-high"));
      var count = unread(item);
      if (count) top.appendChild(el("span", t("queue.unread", { n: count }), "badge unread"));
      row.appendChild(top);
      row.appendChild(el("div", item.last_message, "last"));
      var status;
      if (item.status === "waiting") {
        status = t("queue.waiting") + " · " + t("queue.position", { n: item.position }) +
          (item.estimate_minutes ? " · " + t("queue.estimate", { n: item.estimate_minutes }) : "") +
          " · " + t("queue.waited", { t: duration(item.waiting_seconds) });
      } else {
        status = (item.mine ? t("queue.mine") : t("queue.claimed_by", { agent: item.agent })) +
          " · " + t("queue.waited", { t: duration(item.waiting_seconds) }) +
          " · " + t("queue.handling", { t: duration(item.handling_seconds) });
      }
      row.appendChild(el("div", status, "q-status"));
      row.addEventListener("click", function () { select(item.id); });
      row.addEventListener("keydown", function (event) { if (event.key === "Enter") select(item.id); });
      body.appendChild(row);
    });
    $("queue-empty").hidden = state.queue.length > 0;
    var resolved = $("resolved");
    resolved.textContent = "";
    (state.resolved || []).forEach(function (item) {
      var rating = item.csat_rating ? item.csat_rating + "/5" : t("resolved.not_rated");
      var line = el("li", t("resolved.line", {
        id: item.id, channel: label("channel", item.channel), agent: item.agent || "-", rating: rating,
      }));
      line.dataset.id = item.id;
      line.dataset.csat = item.csat_rating || "";
      line.addEventListener("click", function () { select(item.id); });
      resolved.appendChild(line);
    });
  }

  // -- conversation -----------------------------------------------------------------------
  function select(id) {
    if (state.selected !== id) {
      state.selected = id;
      state.cannedFor = null;
      state.customer = null;
      $("reply-text").value = "";
      state.replyText = null;
      $("conv-error").textContent = "";
    }
    showTab("inbox");
    markSeen(state.queue.find(function (i) { return i.id === id; }));
    renderQueue();
    updateTitle();
    refreshDetail();
    loadCustomer();
  }

  function renderDetail(d) {
    state.detail = d;
    $("conversation").hidden = false;
    $("conv-title").textContent = "#" + d.id + (d.conversation ? " · " + d.conversation : "");
    $("conv-channel").textContent = label("channel", d.channel);
    $("conv-language").textContent = label("lang", d.language);
    $("conv-priority").textContent = label("priority", d.priority);
    $("conv-reason").textContent = label("reason", d.reason);
    $("conv-status").textContent = label("status", d.status) + (d.agent ? " (" + d.agent + ")" : "");
    $("conv-status").dataset.status = d.status;
    $("conv-waiting").textContent = duration(d.waiting_seconds);
    $("conv-handling").textContent = duration(d.handling_seconds);
    $("conv-ticket").textContent = d.ticket
      ? d.ticket.number + " · " + label("tstatus", d.ticket.status) : "-";
    $("conv-ticket").dataset.status = d.ticket ? d.ticket.status : "";
    $("conv-csat").textContent = d.csat_rating ? d.csat_rating + "/5" : "-";
    $("claim").hidden = d.status !== "waiting";
    $("owner-tools").hidden = !(d.mine && d.status === "active");

    var list = $("transcript");
    var atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.textContent = "";
    // What the console sent (agent replies, notices) with its delivery state; the ones not
    // in Rasa's transcript yet (queued, failed) follow it.
    var deliveries = {};
    (d.deliveries || []).forEach(function (m) { deliveries[m.key] = m; });
    function addTurn(role, agent, text, delivery) {
      var item = el("li", null, role);
      item.appendChild(el("span", t("role." + role) + (agent ? " · " + agent : ""), "role"));
      item.appendChild(el("span", text, "text"));
      if (delivery) {
        item.dataset.delivery = delivery.state;
        var mark = el("span", t("delivery." + delivery.state), "delivery delivery-" + delivery.state);
        if (delivery.state !== "sent" && delivery.attempts > 1) mark.title = t("delivery.tries", { n: delivery.attempts });
        item.appendChild(mark);
      }
      list.appendChild(item);
    }
    var shown = {};
    d.transcript.forEach(function (turn) {
      if (turn.key) shown[turn.key] = true;
      addTurn(turn.role, turn.agent, turn.text, turn.key ? deliveries[turn.key] || { state: "sent" } : null);
    });
    (d.deliveries || []).forEach(function (m) {
      if (shown[m.key] || !m.text) return;
      addTurn(m.kind === "agent" ? "agent" : "bot", m.agent, m.text, m);
    });
    if (atBottom) list.scrollTop = list.scrollHeight;

    var notes = $("notes");
    notes.textContent = "";
    d.notes.forEach(function (note) { notes.appendChild(el("li", note.agent + ": " + note.text)); });
    d.transfers.forEach(function (tr) { notes.appendChild(el("li", "→ " + tr.from + " ⇒ " + tr.to, "muted")); });
    if (d.mine && d.status === "active" && state.cannedFor !== d.id) loadCanned(d.id);
  }

  function refreshDetail() {
    if (state.selected === null) return Promise.resolve();
    var id = state.selected;
    return api("GET", "/api/handoffs/" + id).then(function (d) {
      if (state.selected === id) renderDetail(d);
    }).catch(function (error) { $("conv-error").textContent = error.message; });
  }

  function loadCanned(id) {
    state.cannedFor = id;
    api("GET", "/api/handoffs/" + id + "/canned").then(function (answers) {
      var select = $("canned");
      select.textContent = "";
      answers.forEach(function (answer) {
        var option = el("option", answer.title);
        option.value = answer.text;
        select.appendChild(option);
      });
    }).catch(function () { state.cannedFor = null; });
  }

  function act(path, body, after) {
    $("conv-error").textContent = "";
    return api("POST", "/api/handoffs/" + state.selected + path, body)
      .then(function () { if (after) after(); return Promise.all([refreshDetail(), loadCustomer()]); })
      .catch(function (error) { $("conv-error").textContent = error.message; });
  }

  /** Runs `action` with `button` disabled, so a double click sends one request. */
  function once(button, action) {
    if (button.disabled) return;
    button.disabled = true;
    Promise.resolve(action()).finally(function () { button.disabled = false; });
  }

  $("claim").addEventListener("click", function () { once($("claim"), function () { return act("/claim", {}); }); });

  $("reply-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text) return;
    // One id per message until it is accepted: sending it again after a lost answer (or a
    // double press) is then delivered once.
    if (state.replyText !== text) { state.replyText = text; state.replyId = requestId(); }
    once($("reply-send"), function () {
      return act("/reply", { text: text, client_id: state.replyId }, function () {
        $("reply-text").value = "";
        state.replyText = null;
      });
    });
  });

  $("reply-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });

  $("canned-insert").addEventListener("click", function () {
    $("reply-text").value = $("canned").value;
    $("reply-text").focus();
  });

  $("note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("note-text").value.trim();
    if (!text) return;
    var id = requestId();
    once($("note-add"), function () {
      return act("/notes", { text: text, client_id: id }, function () { $("note-text").value = ""; });
    });
  });

  function renderTransferOptions() {
    var select = $("transfer-to");
    if (!select) return;
    select.textContent = "";
    var online = 0;
    state.colleagues.forEach(function (c) {
      online += c.on_duty ? 1 : 0;
      var option = el("option", c.name + " (" + t(c.on_duty ? "transfer.online" : "transfer.offline") + ")");
      option.value = c.name;
      select.appendChild(option);
    });
    var none = state.colleagues.length === 0;
    select.disabled = none;
    $("transfer").disabled = none;
    $("transfer-note").textContent = none ? t("transfer.none") : online === 0 ? t("transfer.nobody_online") : "";
  }

  $("transfer").addEventListener("click", function () {
    once($("transfer"), function () { return act("/transfer", { to: $("transfer-to").value }); });
  });

  $("resolve-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("resolution").value.trim();
    if (!text) { $("conv-error").textContent = t("resolve.missing"); return; }
    once($("resolve"), function () {
      return act("/resolve", { resolution: text }, function () { $("resolution").value = ""; });
    });
  });

  // Colleagues come and go: refresh who is on duty now and then.
  setInterval(function () {
    if (!state.csrf) return;
    api("GET", "/api/me").then(function (me) {
      state.colleagues = me.colleagues || [];
      renderTransferOptions();
    }).catch(function () {});
  }, 30000);

  // -- customer panel ---------------------------------------------------------------------
  function loadCustomer() {
    if (state.selected === null) return Promise.resolve();
    var id = state.selected;
    return api("GET", "/api/handoffs/" + id + "/customer").then(function (data) {
      if (state.selected !== id) return;
      state.customer = data;
      renderCustomer(data);
    }).catch(function () { $("customer").hidden = true; });
  }

  function renderTicket(ticket, container, onChanged) {
    var box = el("div", null, "ticket");
    box.dataset.number = ticket.number;
    box.dataset.status = ticket.status;
    var head = el("div", null, "ticket-head");
    head.appendChild(el("strong", ticket.number));
    head.appendChild(el("span", label("tstatus", ticket.status), "tag ticket-status"));
    head.appendChild(el("span", when(ticket.created_at), "muted"));
    box.appendChild(head);
    if (ticket.next && ticket.next.length) {
      var form = el("form", null, "row wrap ticket-form");
      var select = el("select", null, "ticket-next");
      select.setAttribute("aria-label", t("field.status"));
      ticket.next.forEach(function (status) {
        var option = el("option", label("tstatus", status));
        option.value = status;
        select.appendChild(option);
      });
      var note = el("input", null, "ticket-note");
      note.placeholder = t("ticket.note");
      var button = el("button", t("action.change_status"), "ticket-apply");
      button.type = "submit";
      var message = el("p", null, "muted ticket-message");
      message.setAttribute("role", "status");
      form.appendChild(select);
      form.appendChild(note);
      form.appendChild(button);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        once(button, function () {
          return api("POST", "/api/tickets/" + encodeURIComponent(ticket.number) + "/status",
            { status: select.value, note: note.value })
            .then(function (data) {
              var text = !data.changed ? t("ticket.unchanged") : t("ticket.changed", {
                number: data.ticket.number, status: label("tstatus", data.ticket.status),
                pushed: t(data.notified ? "ticket.pushed"
                  : data.delivery === "queued" ? "ticket.push_queued" : "ticket.not_pushed"),
              });
              toast(text);
              if (onChanged) onChanged();
            })
            .catch(function (error) { message.textContent = error.message; });
        });
      });
      box.appendChild(form);
      box.appendChild(message);
    } else {
      box.appendChild(el("p", t("ticket.final"), "muted"));
    }
    var history = el("ol", null, "history");
    history.setAttribute("aria-label", t("ticket.history"));
    (ticket.history || []).forEach(function (h) {
      var text = when(h.at) + " · " + (h.from ? label("tstatus", h.from) + " → " : "") +
        label("tstatus", h.to) + " · " + h.actor + (h.note ? " · " + h.note : "");
      if (h.notified) text += " · " + t("ticket.notified");
      else if (h.notify_error) text += " · " + t("ticket.not_notified");
      history.appendChild(el("li", text));
    });
    box.appendChild(history);
    container.appendChild(box);
  }

  function renderCustomer(data) {
    $("customer").hidden = false;
    $("cust-channel").textContent = label("channel", data.channel);
    $("cust-language").textContent = label("lang", data.language);
    $("cust-csat").textContent = data.csat.ratings.length
      ? data.csat.ratings.join(", ") + " · " + t("customer.csat_avg", { avg: data.csat.average, n: data.csat.ratings.length })
      : t("customer.csat_none");
    var tickets = $("cust-tickets");
    tickets.textContent = "";
    if (!data.tickets.length) tickets.appendChild(el("p", t("customer.no_tickets"), "muted"));
    data.tickets.forEach(function (ticket) {
      renderTicket(ticket, tickets, function () { loadCustomer(); refreshDetail(); });
    });
    var earlier = $("cust-earlier");
    earlier.textContent = "";
    if (!data.conversations.length) earlier.appendChild(el("li", t("customer.no_earlier"), "muted"));
    data.conversations.forEach(function (c) {
      var line = el("li", "#" + c.id + " · " + when(c.created_at) + " · " + label("status", c.status) +
        (c.agent ? " · " + c.agent : "") + (c.csat_rating ? " · " + c.csat_rating + "/5" : "") +
        (c.resolution ? " · " + c.resolution : ""), "link-like");
      line.addEventListener("click", function () { select(c.id); });
      earlier.appendChild(line);
    });
  }

  // -- search -----------------------------------------------------------------------------
  $("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    $("search-error").textContent = "";
    var q = $("search-q").value.trim();
    api("GET", "/api/search?q=" + encodeURIComponent(q)).then(function (data) {
      var tickets = $("search-tickets");
      tickets.textContent = "";
      data.tickets.forEach(function (ticket) {
        renderTicket(ticket, tickets, function () { $("search-form").requestSubmit(); });
      });
      var list = $("search-results");
      list.textContent = "";
      data.conversations.forEach(function (c) {
        var item = el("li", null, "result");
        item.dataset.id = c.id;
        item.appendChild(el("strong", "#" + c.id + " · " + label("status", c.status)));
        item.appendChild(el("span", " · " + label("channel", c.channel) + " · " + when(c.created_at) +
          (c.agent ? " · " + c.agent : "") + (c.ticket ? " · " + c.ticket : "")));
        if (c.snippet) item.appendChild(el("div", c.snippet, "snippet"));
        item.addEventListener("click", function () { select(c.id); });
        list.appendChild(item);
      });
      $("search-empty").hidden = data.tickets.length + data.conversations.length > 0;
    }).catch(function (error) { $("search-error").textContent = error.message; });
  });

  // -- learning loop ----------------------------------------------------------------------
  function labelTitle(labels, key) {
    var found = labels.filter(function (l) { return l.key === key; })[0];
    return found ? found[state.lang] : key;
  }

  function loadReviews() {
    var status = $("review-filter").value;
    return api("GET", "/api/reviews?status=" + status + "&lang=" + state.lang).then(function (data) {
      $("review-counts").textContent = t("review.counts", data.counts);
      var badge = $("learning-badge");
      badge.hidden = !data.counts.pending;
      badge.textContent = String(data.counts.pending || "");
      var body = $("review-body");
      body.textContent = "";
      data.items.forEach(function (item) { body.appendChild(reviewRow(item, data.labels)); });
      $("review-empty").hidden = data.items.length > 0;
    }).catch(function (error) { $("review-error").textContent = error.message; });
  }

  function reviewRow(item, labels) {
    var row = el("tr");
    row.dataset.id = item.id;
    row.appendChild(el("td", item.text, "review-text"));
    row.appendChild(el("td", label("reason", item.reason)));
    var guess = item.predicted ? labelTitle(labels, item.predicted) : "-";
    row.appendChild(el("td", guess + (item.confidence ? " (" + Math.round(item.confidence * 100) + "%)" : "")));
    row.appendChild(el("td", String(item.seen)));
    var cell = el("td", null, "review-actions");
    if (item.status === "pending") {
      var select = el("select", null, "review-label");
      select.setAttribute("aria-label", t("review.label"));
      var placeholder = el("option", t("review.choose"));
      placeholder.value = "";
      select.appendChild(placeholder);
      labels.forEach(function (l) {
        if (l.key === "out_of_scope") return;
        var option = el("option", l[state.lang]);
        option.value = l.key;
        select.appendChild(option);
      });
      var save = el("button", t("action.label"), "review-save");
      save.type = "button";
      save.addEventListener("click", function () {
        if (!select.value) { select.focus(); return; }
        once(save, function () { return labelItem(item.id, select.value); });
      });
      var oos = el("button", t("action.out_of_scope"), "secondary review-oos");
      oos.type = "button";
      oos.addEventListener("click", function () { once(oos, function () { return labelItem(item.id, "out_of_scope"); }); });
      var dismiss = el("button", t("action.dismiss"), "secondary review-dismiss");
      dismiss.type = "button";
      dismiss.addEventListener("click", function () { once(dismiss, function () { return labelItem(item.id, null); }); });
      [select, save, oos, dismiss].forEach(function (n) { cell.appendChild(n); });
    } else {
      cell.appendChild(el("span", item.label ? t("review.by", { agent: item.reviewed_by, label: labelTitle(labels, item.label) }) : label("review", item.status)));
      var again = el("button", t("action.reopen"), "secondary");
      again.type = "button";
      again.addEventListener("click", function () {
        once(again, function () { return api("POST", "/api/reviews/" + item.id + "/reopen", {}).then(loadReviews); });
      });
      cell.appendChild(again);
    }
    row.appendChild(cell);
    return row;
  }

  function labelItem(id, value) {
    $("review-error").textContent = "";
    return api("POST", "/api/reviews/" + id + "/label?lang=" + state.lang, { label: value })
      .then(loadReviews)
      .catch(function (error) { $("review-error").textContent = error.message; });
  }

  $("review-filter").addEventListener("change", loadReviews);
  $("review-export").addEventListener("click", function () {
    once($("review-export"), function () {
      return api("POST", "/api/reviews/export", {}).then(function (data) {
        var text = t("review.exported", { n: data.examples, path: data.path });
        if (data.heldout_left_out.length) text += " " + t("review.exported_left_out", { n: data.heldout_left_out.length });
        $("review-export-result").textContent = text;
      }).catch(function (error) { $("review-error").textContent = error.message; });
    });
  });

  // -- supervisor dashboard ---------------------------------------------------------------
  var COLORS = ["#00799c", "#f5a524", "#7b61ff", "#2f9e44", "#e8590c", "#c2255c", "#495057", "#1098ad"];

  // The default period is the service's last 14 days in its own time zone (the server's
  // answer names them), not the browser's: a supervisor abroad, or after midnight in one
  // zone and not the other, would otherwise ask for days that miss today's conversations.
  function dashQuery() {
    if (!$("dash-to").value) return "";
    return "from=" + encodeURIComponent($("dash-from").value) + "&to=" + encodeURIComponent($("dash-to").value);
  }

  function loadDashboard() {
    $("dash-error").textContent = "";
    $("dash-csv").href = "/api/dashboard.csv?" + dashQuery();
    return api("GET", "/api/dashboard?" + dashQuery()).then(function (data) {
      if (!$("dash-to").value) {
        $("dash-from").value = data.from;
        $("dash-to").value = data.to;
        $("dash-csv").href = "/api/dashboard.csv?" + dashQuery();
      }
      state.dashboard = data;
      renderDashboard(data);
    }).catch(function (error) { $("dash-error").textContent = error.message; });
  }

  $("dash-form").addEventListener("submit", function (event) {
    event.preventDefault();
    loadDashboard();
  });

  function percent(value) { return value === null || value === undefined ? "-" : Math.round(value * 1000) / 10 + "%"; }

  function chart(id, config) {
    if (!window.Chart) return;
    if (state.charts[id]) state.charts[id].destroy();
    config.options = Object.assign({
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } },
    }, config.options || {});
    state.charts[id] = new window.Chart($(id), config);
  }

  function dayLabels(data) { return Object.keys(data.by_day); }

  function perDaySeries(data, field) {
    var keys = {};
    Object.keys(data.by_day).forEach(function (day) {
      Object.keys(data.by_day[day][field]).forEach(function (k) { keys[k] = true; });
    });
    return Object.keys(keys).sort().map(function (key, i) {
      return {
        label: label(field === "channels" ? "channel" : "lang", key),
        data: Object.keys(data.by_day).map(function (day) { return data.by_day[day][field][key] || 0; }),
        backgroundColor: COLORS[i % COLORS.length],
      };
    });
  }

  function topicTitle(data, key) {
    var titles = data.topic_titles[key];
    return titles ? titles[state.lang] : key;
  }

  function renderDashboard(data) {
    $("dash-note").textContent = (data.tracker ? "" : t("dash.no_tracker") + " ") +
      t("dash.period", { from: data.from, to: data.to, tz: data.timezone });
    $("kpi-conversations").textContent = String(data.conversations);
    $("kpi-containment").textContent = percent(data.containment_rate);
    $("kpi-handoff").textContent = percent(data.handoff_rate);
    $("kpi-wait").textContent = duration(data.median_wait_seconds);
    $("kpi-handling").textContent = duration(data.median_handling_seconds);
    $("kpi-csat").textContent = data.csat_average === null ? "-" : data.csat_average + " / 5";
    var days = dayLabels(data);
    var stacked = { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } };
    chart("chart-channel", { type: "bar", data: { labels: days, datasets: perDaySeries(data, "channels") }, options: stacked });
    chart("chart-language", { type: "bar", data: { labels: days, datasets: perDaySeries(data, "languages") }, options: stacked });
    chart("chart-containment", {
      type: "line",
      data: {
        labels: days,
        datasets: [
          { label: t("series.conversations"), data: days.map(function (d) { return data.by_day[d].conversations; }), borderColor: COLORS[6], backgroundColor: COLORS[6] },
          { label: t("series.contained"), data: days.map(function (d) { return data.by_day[d].contained; }), borderColor: COLORS[3], backgroundColor: COLORS[3] },
          { label: t("series.handed_off"), data: days.map(function (d) { return data.by_day[d].handed_off; }), borderColor: COLORS[4], backgroundColor: COLORS[4] },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    var topics = Object.keys(data.topics).slice(0, 12);
    chart("chart-topics", {
      type: "bar",
      data: { labels: topics.map(function (k) { return topicTitle(data, k); }), datasets: [{ label: t("series.count"), data: topics.map(function (k) { return data.topics[k]; }), backgroundColor: COLORS[0] }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    var ratings = ["1", "2", "3", "4", "5"];
    chart("chart-csat", {
      type: "bar",
      data: { labels: ratings, datasets: [{ label: t("series.count"), data: ratings.map(function (r) { return data.csat_distribution[r] || 0; }), backgroundColor: COLORS[1] }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    chart("chart-csat-trend", {
      type: "line",
      data: { labels: days, datasets: [{ label: t("series.csat"), data: days.map(function (d) { return data.by_day[d].csat_average; }), borderColor: COLORS[1], backgroundColor: COLORS[1], spanGaps: true }] },
      options: { scales: { y: { min: 1, max: 5 } } },
    });
    function minutes(v) { return v === null || v === undefined ? null : Math.round(v / 6) / 10; }
    chart("chart-wait", {
      type: "bar",
      data: {
        labels: days,
        datasets: [
          { label: t("series.wait"), data: days.map(function (d) { return minutes(data.by_day[d].median_wait_seconds); }), backgroundColor: COLORS[2] },
          { label: t("series.handling"), data: days.map(function (d) { return minutes(data.by_day[d].median_handling_seconds); }), backgroundColor: COLORS[7] },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
    var statuses = Object.keys(data.tickets_by_status);
    chart("chart-tickets", {
      type: "doughnut",
      data: { labels: statuses.map(function (s) { return label("tstatus", s); }), datasets: [{ data: statuses.map(function (s) { return data.tickets_by_status[s]; }), backgroundColor: COLORS }] },
    });
    var ages = Object.keys(data.open_tickets_by_age);
    chart("chart-ages", {
      type: "bar",
      data: { labels: ages, datasets: [{ label: t("series.count"), data: ages.map(function (a) { return data.open_tickets_by_age[a]; }), backgroundColor: COLORS[5] }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  // -- start ------------------------------------------------------------------------------
  applyLanguage();
  api("GET", "/api/me").then(showMain).catch(showLogin);
})();
