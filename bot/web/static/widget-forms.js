/*
 * 合规通 H5 widget — the two forms a conversation can show (window.HeguiForms; widget.js decides when):
 *
 * - rating(api): after a human session, "请为本次人工服务评价" — five choices and an optional comment, or 暂不评价
 *   (POST /api/rating, bot/web/feedback.py);
 * - leaveMessage(api, question): while waiting for a human with nobody on duty — phone number, name, the question
 *   (POST /api/messages-left, bot/web/messages_left.py).
 *
 * api = {request(method, url, body) -> Promise<{ok, status, data}>, done(node, text): replace the form by a notice}.
 * Both are real forms (labels, a fieldset of radio buttons, errors in role=alert), usable with a keyboard and a
 * screen reader. Text is only put into the page with textContent.
 */
(function () {
  "use strict";

  var R = window.HeguiRender;
  var el = R.el;
  var seq = 0;
  var SCORES = [[5, "非常满意"], [4, "满意"], [3, "一般"], [2, "不满意"], [1, "非常不满意"]];
  var MOBILE = /^1[3-9]\d{9}$/;
  var LANDLINE = /^0\d{2,3}-?\d{7,8}$/; // the server checks the same (bot/web/messages_left.py)

  function field(form, label, control, id) {
    var l = el("label", "field-label", label);
    l.htmlFor = id;
    control.id = id;
    form.appendChild(l);
    form.appendChild(control);
    return control;
  }

  function frame(cls, heading, intro) {
    var n = ++seq;
    var form = el("form", "form-card " + cls);
    form.noValidate = true; // our own messages, in Chinese, in role=alert
    var h = el("h2", "form-title", heading);
    h.id = cls + "-title-" + n;
    form.setAttribute("aria-labelledby", h.id);
    form.appendChild(h);
    if (intro) form.appendChild(el("p", "form-intro", intro));
    return { form: form, n: n };
  }

  function errorLine(form) {
    var p = el("p", "form-error");
    p.setAttribute("role", "alert");
    form.appendChild(p);
    return p;
  }

  function failText(res, fallback) {
    if (res && res.data && res.data.error) return res.data.error;
    return fallback;
  }

  function rating(api) {
    var f = frame("rating", "请为本次人工服务评价", "您的评价会帮助我们改进热线服务。");
    var form = f.form;
    var set = el("fieldset", "scores");
    set.appendChild(el("legend", "visually-hidden", "满意度"));
    SCORES.forEach(function (s) {
      var opt = el("label", "score");
      var input = el("input");
      input.type = "radio";
      input.name = "score-" + f.n;
      input.value = String(s[0]);
      opt.appendChild(input);
      opt.appendChild(el("span", null, s[1]));
      set.appendChild(opt);
    });
    form.appendChild(set);
    var comment = el("textarea", "form-input");
    comment.rows = 2;
    comment.maxLength = 500;
    field(form, "意见或建议（选填）", comment, "rating-comment-" + f.n);
    var err = errorLine(form);
    var actions = form.appendChild(el("div", "form-actions"));
    var submit = actions.appendChild(el("button", "primary", "提交评价"));
    submit.type = "submit";
    var skip = actions.appendChild(el("button", "plain", "暂不评价"));
    skip.type = "button";

    function post(score) {
      submit.disabled = skip.disabled = true;
      err.textContent = "";
      api.request("POST", "/api/rating", { score: score, comment: score ? comment.value : "" }).then(function (res) {
        if (res.ok || res.status === 409) {
          api.done(form, res.ok && res.data && res.data.thanks ? res.data.thanks : "感谢您的评价！");
          return;
        }
        err.textContent = failText(res, "提交没有成功，请稍后再试。");
        submit.disabled = skip.disabled = false;
      }, function () {
        err.textContent = "网络连接失败，请稍后再试。";
        submit.disabled = skip.disabled = false;
      });
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var chosen = form.querySelector("input[type=radio]:checked");
      if (!chosen) {
        err.textContent = "请先选择一项评价。";
        set.querySelector("input").focus();
        return;
      }
      post(Number(chosen.value));
    });
    skip.addEventListener("click", function () { post(null); });
    return form;
  }

  function leaveMessage(api, question) {
    var f = frame("leave", "现在没有工作人员在线",
      "请留下电话和问题，工作人员上班后会尽快回电；您也可以继续向合规通提问。");
    var form = f.form;
    var phone = el("input", "form-input");
    phone.type = "tel";
    phone.inputMode = "tel";
    phone.autocomplete = "tel";
    phone.maxLength = 20;
    phone.required = true;
    field(form, "手机号或带区号的固定电话", phone, "leave-phone-" + f.n);
    var name = el("input", "form-input");
    name.maxLength = 20;
    name.autocomplete = "name";
    field(form, "怎么称呼您（选填）", name, "leave-name-" + f.n);
    var text = el("textarea", "form-input");
    text.rows = 3;
    text.maxLength = 500;
    text.required = true;
    text.value = question || "";
    field(form, "留言内容", text, "leave-text-" + f.n);
    var hint = form.appendChild(el("p", "form-hint", "号码只用于回电；工作人员的列表里号码是打码的。"));
    hint.id = "leave-hint-" + f.n;
    phone.setAttribute("aria-describedby", hint.id);
    var err = errorLine(form);
    var actions = form.appendChild(el("div", "form-actions"));
    var submit = actions.appendChild(el("button", "primary", "提交留言"));
    submit.type = "submit";

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var number = phone.value.replace(/[\s()（）]/g, "").replace(/^\+86/, "");
      phone.removeAttribute("aria-invalid");
      text.removeAttribute("aria-invalid");
      if (!MOBILE.test(number.replace(/-/g, "")) && !LANDLINE.test(number)) {
        err.textContent = "电话号码格式不对：请填写11位手机号，或带区号的固定电话（例如 0771-1234567）。";
        phone.setAttribute("aria-invalid", "true");
        phone.focus();
        return;
      }
      if (!text.value.trim()) {
        err.textContent = "请写下您想咨询的问题。";
        text.setAttribute("aria-invalid", "true");
        text.focus();
        return;
      }
      submit.disabled = true;
      err.textContent = "";
      api.request("POST", "/api/messages-left", { phone: number, name: name.value, text: text.value })
        .then(function (res) {
          if (res.ok) {
            api.done(form, "已收到您的留言。工作人员上班后会拨打 " + res.data.phone + " 联系您。");
            return;
          }
          err.textContent = failText(res, "留言没有提交成功，请稍后再试。");
          submit.disabled = false;
        }, function () {
          err.textContent = "网络连接失败，请稍后再试；您填写的内容还在。";
          submit.disabled = false;
        });
    });
    return form;
  }

  window.HeguiForms = { rating: rating, leaveMessage: leaveMessage };
})();
