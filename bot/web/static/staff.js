/*
 * 合规通 staff console: queue badge, live conversation refresh, agent assist.
 * Every POST carries the CSRF token (X-CSRF-Token). Data is put into the page with textContent only.
 */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.getAttribute("content") : "";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function call(method, url, body) {
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRF-Token"] = CSRF;
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (resp) {
      if (resp.status === 401) {
        window.location.href = "/staff/login?next=" + encodeURIComponent(window.location.pathname);
        throw new Error("登录已过期");
      }
      return resp.json().then(function (data) {
        if (!resp.ok) throw new Error((data && data.error) || "请求失败（" + resp.status + "）");
        return data;
      }, function () { throw new Error("服务器没有正常响应（" + resp.status + "）"); });
    });
  }

  // ------------------------------------------------------------------ queue badge
  var badge = document.getElementById("queue-badge");
  var countQueued = document.getElementById("count-queued");
  function refreshQueue() {
    if (document.hidden) return;
    call("GET", "/staff/api/queue").then(function (d) {
      var n = Number(d.queued) || 0;
      if (badge) {
        badge.textContent = String(n);
        badge.hidden = n === 0;
      }
      if (countQueued) countQueued.textContent = String(n);
    }, function () { /* offline: keep the last count */ });
  }
  if (badge) {
    refreshQueue();
    setInterval(refreshQueue, 10000);
  }

  // ------------------------------------------------------------------ one conversation: refresh when it moves
  var conv = document.getElementById("conversation");
  if (conv) {
    var sender = conv.getAttribute("data-sender");
    var mark = Number(conv.getAttribute("data-mark")) || 0;
    var bar = document.getElementById("newbar");
    var reply = document.getElementById("reply-text");
    var reloadBtn = document.getElementById("reload");
    if (reloadBtn) reloadBtn.addEventListener("click", function () { window.location.reload(); });
    if (!window.location.hash) {
      var end = document.getElementById("end");
      if (end && end.scrollIntoView) end.scrollIntoView({ block: "end" });
    }
    var busy = function () {
      var a = document.activeElement;
      if (reply && reply.value.trim()) return true;
      if (a && (a.tagName === "TEXTAREA" || a.tagName === "INPUT")) return true;
      return !!document.querySelector("details.fb[open]");
    };
    setInterval(function () {
      if (document.hidden) return;
      call("GET", "/staff/api/conversations/" + encodeURIComponent(sender) + "/updates?mark=" + mark)
        .then(function (d) {
          if (!d.changed) return;
          if (busy()) bar.hidden = false;
          else window.location.reload();
        }, function () { /* try again on the next tick */ });
    }, 4000);
  }

  // ------------------------------------------------------------------ agent assist
  var form = document.getElementById("assist-form");
  if (form) {
    var question = document.getElementById("question");
    var submit = document.getElementById("assist-submit");
    var status = document.getElementById("assist-status");
    var results = document.getElementById("assist-results");
    var answersBox = document.getElementById("answers");
    var hitsBox = document.getElementById("hits");
    var copyBtn = document.getElementById("copy-answer");
    var copyText = "";

    var citationList = function (citations, label) {
      var details = el("details", "basis");
      details.appendChild(el("summary", null, label + "（" + citations.length + " 条）"));
      citations.forEach(function (c) {
        var box = el("div", "citation");
        var ref = el("div", "citation-ref", "《" + (c.law || "") + "》" + (c.article || "") + " ");
        ref.appendChild(el("span", "muted", "（" + (c.version || "") + "版）"));
        box.appendChild(ref);
        box.appendChild(el("blockquote", null, c.quote || ""));
        details.appendChild(box);
      });
      return details;
    };

    var render = function (d) {
      clear(answersBox);
      clear(hitsBox);
      var errors = d.errors || {};
      if (errors.rasa) answersBox.appendChild(el("div", "flash warning", errors.rasa));
      (d.answers || []).forEach(function (a) {
        var box = el("div", "answer");
        var text = a.text || "";
        var head = "【" + a.title + "】";
        if (a.title) box.appendChild(el("div", "card-title", a.title));
        if (a.title && text.indexOf(head) === 0) text = text.slice(head.length).replace(/^\n/, "");
        box.appendChild(el("div", "text", text));
        if (a.citations && a.citations.length) box.appendChild(citationList(a.citations, "法律依据原文"));
        if (a.buttons && a.buttons.length) {
          var chips = el("div", "chips");
          a.buttons.forEach(function (t) { chips.appendChild(el("span", "chip", t)); });
          box.appendChild(el("div", "muted small", "可以接着问："));
          box.appendChild(chips);
        }
        answersBox.appendChild(box);
      });
      copyText = d.copy_text || "";
      copyBtn.disabled = !copyText;
      if (errors.kb) hitsBox.appendChild(el("li", "flash warning", errors.kb));
      (d.hits || []).forEach(function (h) {
        var li = el("li");
        li.appendChild(el("b", null, h.title));
        li.appendChild(el("span", "score", h.type + " · 相关度 " + h.score));
        if (h.in_answer) li.appendChild(el("span", "tag live used", "已用于答复"));
        li.appendChild(el("div", "muted small", h.id + (h.matched && h.matched.length ? " · 命中：" + h.matched.join("、") : "")));
        if (h.citations && h.citations.length) li.appendChild(citationList(h.citations, "法律依据"));
        hitsBox.appendChild(li);
      });
      if (!(d.hits || []).length && !errors.kb) hitsBox.appendChild(el("li", "muted", "知识库中没有相关条目"));
      results.hidden = false;
    };

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = question.value.trim();
      if (!q) return;
      submit.disabled = true;
      status.textContent = "正在查询…（首次使用需要加载知识库，约需数秒）";
      call("POST", "/staff/api/assist", { question: q }).then(function (d) {
        status.textContent = "";
        render(d);
      }, function (err) {
        status.textContent = err.message || "查询失败，请稍后再试";
      }).then(function () { submit.disabled = false; });
    });

    copyBtn.addEventListener("click", function () {
      if (!copyText) return;
      var done = function () {
        copyBtn.textContent = "已复制";
        setTimeout(function () { copyBtn.textContent = "复制答复"; }, 1500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(copyText).then(done, fallback);
      } else {
        fallback();
      }
      function fallback() {
        var area = el("textarea");
        area.value = copyText;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } catch (err) { status.textContent = "复制失败，请手动选择文字复制"; }
        document.body.removeChild(area);
      }
    });
  }
})();
