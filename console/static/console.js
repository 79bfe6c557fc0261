/* Gopay agent console. Everything users or agents typed is put on the page with
 * textContent (never innerHTML), so HTML in a message shows as text. The queue and the open
 * conversation are refreshed by polling every POLL_MS. */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var state = { csrf: null, agent: null, selected: null, detail: null, timer: null };

  function $(id) { return document.getElementById(id); }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
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
        if (!reply.ok) throw new Error(data.error || "HTTP " + reply.status);
        return data;
      });
    });
  }

  // -- login ------------------------------------------------------------------------------
  function showLogin() {
    stopPolling();
    state.csrf = null;
    $("main-view").hidden = true;
    $("login-view").hidden = false;
  }

  function showMain(me) {
    state.csrf = me.csrf_token;
    state.agent = me.agent;
    $("me").textContent = me.agent;
    var select = $("transfer-to");
    select.textContent = "";
    (me.agents || []).forEach(function (name) {
      var option = el("option", name);
      option.value = name;
      select.appendChild(option);
    });
    $("login-view").hidden = true;
    $("main-view").hidden = false;
    startPolling();
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
      $("conversation").hidden = true;
      showLogin();
    });
  });

  // -- queue ------------------------------------------------------------------------------
  function minutes(seconds) {
    if (seconds < 60) return seconds + " s";
    return Math.floor(seconds / 60) + " min";
  }

  function renderQueue(data) {
    var body = $("queue-body");
    body.textContent = "";
    data.queue.forEach(function (item) {
      var row = el("tr");
      row.dataset.id = item.id;
      row.dataset.status = item.status;
      if (item.id === state.selected) row.className = "selected";
      row.appendChild(el("td", item.position || "-"));
      row.appendChild(el("td", item.priority, item.priority === "high" ? "prio-high" : ""));
      row.appendChild(el("td", item.channel));
      row.appendChild(el("td", item.language));
      row.appendChild(el("td", minutes(item.waiting_seconds)));
      row.appendChild(el("td", item.last_message, "last"));
      var status = item.status === "waiting" ? "等待 waiting"
        : item.mine ? "我的 mine" : "已被 " + item.agent + " 认领 claimed";
      row.appendChild(el("td", status));
      row.addEventListener("click", function () { select(item.id); });
      body.appendChild(row);
    });
    $("queue-empty").hidden = data.queue.length > 0;
    var resolved = $("resolved");
    resolved.textContent = "";
    data.resolved.forEach(function (item) {
      var rating = item.csat_rating ? item.csat_rating + "/5" : "未评分 not rated";
      var line = el("li", "#" + item.id + " · " + item.channel + " · " + item.agent +
        " · CSAT " + rating);
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
      $("reply-text").value = "";
      $("conv-error").textContent = "";
    }
    refreshDetail();
  }

  var ROLE = { user: "用户 User", bot: "机器人 Bot", agent: "客服 Agent" };

  function renderDetail(d) {
    state.detail = d;
    $("conversation").hidden = false;
    $("conv-title").textContent = "#" + d.id + " · " + d.sender;
    $("conv-channel").textContent = d.channel;
    $("conv-language").textContent = d.language;
    $("conv-priority").textContent = d.priority;
    $("conv-reason").textContent = d.reason;
    $("conv-status").textContent = d.status + (d.agent ? " (" + d.agent + ")" : "");
    $("conv-ticket").textContent = d.ticket
      ? d.ticket.number + " · " + d.ticket.status + " · " + d.ticket.category : "-";
    $("conv-csat").textContent = d.csat_rating ? d.csat_rating + "/5" : "-";
    $("claim").hidden = d.status !== "waiting";
    $("owner-tools").hidden = !(d.mine && d.status === "active");

    var list = $("transcript");
    var atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.textContent = "";
    d.transcript.forEach(function (turn) {
      var item = el("li", null, turn.role);
      item.appendChild(el("span", ROLE[turn.role] + (turn.agent ? " · " + turn.agent : ""), "role"));
      item.appendChild(el("span", turn.text, "text"));
      list.appendChild(item);
    });
    if (atBottom) list.scrollTop = list.scrollHeight;

    var notes = $("notes");
    notes.textContent = "";
    d.notes.forEach(function (note) { notes.appendChild(el("li", note.agent + ": " + note.text)); });
    d.transfers.forEach(function (t) {
      notes.appendChild(el("li", "→ " + t.from + " ⇒ " + t.to, "muted"));
    });
    if (d.mine && d.status === "active" && state.cannedFor !== d.id) loadCanned(d.id);
  }

  function refreshDetail() {
    if (state.selected === null) return Promise.resolve();
    var id = state.selected;
    return api("GET", "/api/handoffs/" + id).then(function (d) {
      if (state.selected === id) renderDetail(d);
    }).catch(function (error) {
      $("conv-error").textContent = error.message;
    });
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
    });
  }

  function act(path, body, after) {
    $("conv-error").textContent = "";
    return api("POST", "/api/handoffs/" + state.selected + path, body)
      .then(function () { if (after) after(); return Promise.all([refreshQueue(), refreshDetail()]); })
      .catch(function (error) { $("conv-error").textContent = error.message; });
  }

  $("claim").addEventListener("click", function () { act("/claim", {}); });

  $("reply-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text) return;
    var button = $("reply-send");
    button.disabled = true; // one reply at a time keeps them in order
    act("/reply", { text: text }, function () { $("reply-text").value = ""; })
      .finally(function () { button.disabled = false; });
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
    if (text) act("/notes", { text: text }, function () { $("note-text").value = ""; });
  });

  $("transfer").addEventListener("click", function () {
    act("/transfer", { to: $("transfer-to").value });
  });

  $("resolve-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("resolution").value.trim();
    if (!text) { $("conv-error").textContent = "请填写处理结果 · Enter a resolution"; return; }
    act("/resolve", { resolution: text }, function () { $("resolution").value = ""; });
  });

  // -- polling ----------------------------------------------------------------------------
  function refreshQueue() {
    return api("GET", "/api/queue").then(renderQueue).catch(function () {});
  }

  function tick() {
    Promise.all([refreshQueue(), refreshDetail()]).finally(function () {
      if (state.timer !== null) state.timer = setTimeout(tick, POLL_MS);
    });
  }

  function startPolling() {
    stopPolling();
    state.timer = 0;
    tick();
  }

  function stopPolling() {
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
  }

  api("GET", "/api/me").then(showMain).catch(showLogin);
})();
