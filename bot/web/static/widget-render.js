/*
 * 合规通 H5 widget — what one message looks like (window.HeguiRender; widget.js does the talking).
 *
 * An answer card (actions/cards.py) is text: 【title】, the verdict in two or three lines, then sections, each a
 * line "▍label" followed by its lines, the disclaimer last; custom.sections lists the labels. Here the verdict is
 * shown as it is, each section collapses under its bold label (a <details>), the 法律依据 section holds the verbatim
 * quotes, and the disclaimer stays visible. A card without custom.sections is shown as text ("▍" lines in bold).
 * **text** is shown as emphasis (agents write it too).
 *
 * Safety rule: text is only ever put into the page with textContent / createElement, never as markup.
 */
(function () {
  "use strict";

  var MARK = "\u258d"; // ▍
  var DISCLAIMER = /不构成法律意见/;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /* "卖**过期**食品" -> 卖<strong>过期</strong>食品; unmatched ** stay as typed */
  function rich(node, text) {
    var parts = String(text).split(/\*\*([^*\n]+?)\*\*/);
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      if (i % 2) node.appendChild(el("strong", null, parts[i]));
      else node.appendChild(document.createTextNode(parts[i]));
    }
    return node;
  }

  function lines(node, list, cls) {
    list.forEach(function (line) {
      node.appendChild(rich(el("p", cls || "line"), line));
    });
    return node;
  }

  function citationNode(c) {
    var box = el("div", "citation");
    var ref = el("p", "citation-ref", "《" + (c.law || "") + "》" + (c.article || ""));
    if (c.version) ref.appendChild(el("span", "citation-version", "（" + c.version + "版）"));
    box.appendChild(ref);
    if (c.quote) box.appendChild(el("blockquote", "citation-quote", c.quote));
    return box;
  }

  function validCitations(custom) {
    return (Array.isArray(custom.citations) ? custom.citations : []).filter(function (c) {
      return c && typeof c === "object";
    });
  }

  /* {title, verdict: [lines], sections: [{label, lines}], disclaimer, sectioned} of a bot message */
  function parse(text, custom) {
    var title = typeof custom.title === "string" ? custom.title : "";
    var head = "【" + title + "】";
    if (title && text.indexOf(head) === 0) text = text.slice(head.length).replace(/^\n/, "");
    else title = "";
    var labels = Array.isArray(custom.sections) ? custom.sections.filter(function (l) { return typeof l === "string"; }) : [];
    var all = text.split("\n");
    var out = { title: title, verdict: [], sections: [], disclaimer: "", sectioned: labels.length > 0 };
    if (out.sectioned && all.length && DISCLAIMER.test(all[all.length - 1])) out.disclaimer = all.pop();
    var current = null;
    all.forEach(function (line) {
      if (out.sectioned && line.charAt(0) === MARK && labels.indexOf(line.slice(1).trim()) !== -1) {
        current = { label: line.slice(1).trim(), lines: [] };
        out.sections.push(current);
      } else if (current) {
        current.lines.push(line);
      } else {
        out.verdict.push(line);
      }
    });
    if (out.sectioned && !out.sections.length) out.sectioned = false; // labels that are not in the text
    return out;
  }

  function section(label, body, peek, cls) {
    var details = el("details", "sec" + (cls ? " " + cls : ""));
    var summary = el("summary");
    summary.appendChild(el("span", "sec-label", label));
    if (peek) {
      var p = el("span", "sec-peek", peek);
      p.setAttribute("aria-hidden", "true"); // the label is the name; the preview is for the eye
      summary.appendChild(p);
    }
    details.appendChild(summary);
    body.classList.add("sec-body");
    details.appendChild(body);
    return details;
  }

  function basisSection(citations, label, fallback) {
    var body = el("div");
    if (citations.length) citations.forEach(function (c) { body.appendChild(citationNode(c)); });
    else lines(body, fallback);
    var name = citations.length ? label + "（" + citations.length + "条原文）" : label;
    return section(name, body, "", "basis");
  }

  /*
   * Fill a bubble with a bot or agent message; returns {title: h3 or null, basis: <details> or null, summary: the
   * words a screen reader announces for it}.
   */
  function fill(bubble, text, custom) {
    var card = parse(text, custom);
    var citations = validCitations(custom);
    var title = null;
    var basis = null;
    if (card.title) {
      title = el("h3", "card-title", card.title);
      title.tabIndex = -1; // "回到开头" moves focus here
      bubble.appendChild(title);
    }
    if (card.sectioned) {
      lines(bubble.appendChild(el("div", "verdict")), card.verdict);
      card.sections.forEach(function (s) {
        var content = s.lines.filter(function (l) { return l.trim(); });
        if (s.label === "法律依据") {
          basis = basisSection(citations, s.label, content);
          bubble.appendChild(basis);
        } else {
          bubble.appendChild(section(s.label, lines(el("div"), content), content[0] || ""));
        }
      });
      if (!basis && citations.length) bubble.appendChild(basis = basisSection(citations, "法律依据", []));
      if (card.disclaimer) bubble.appendChild(el("p", "disclaimer", card.disclaimer));
    } else {
      var body = bubble.appendChild(el("div", "card-text"));
      card.verdict.forEach(function (line) {
        if (line.charAt(0) === MARK) body.appendChild(el("p", "sec-inline", line.slice(1)));
        else body.appendChild(rich(el("p", "line"), line));
      });
      if (citations.length) bubble.appendChild(basis = basisSection(citations, "法律依据原文", []));
    }
    var words = (card.title ? card.title + "。" : "") + card.verdict.join(" ").replace(/\s+/g, " ").trim();
    if (words.length > 160) words = words.slice(0, 157) + "…";
    if (card.sectioned) {
      words += (/[。？！]$/.test(words) ? "" : "。") + "可展开：" + card.sections.map(function (s) { return s.label; }).join("、");
    }
    return { title: title, basis: basis, summary: words };
  }

  /* "甲" + "乙" -> "甲。乙", without a second stop after "？" or "。" (what a screen reader is told) */
  function sentence(a, b) {
    return /[。？！?!.]$/.test(a) ? a + b : a + "。" + b;
  }

  window.HeguiRender = { el: el, clear: clear, rich: rich, parse: parse, fill: fill, citationNode: citationNode,
                         sentence: sentence };
})();
