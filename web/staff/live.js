// The staff console's live chats (/staff/live): asks the server for the queue and your
// conversations every few seconds, and takes, replies and hands back without a reload.
"use strict";

(function () {
  const POLL_MS = 2000;
  const root = document.getElementById("live");
  const texts = JSON.parse(document.getElementById("live-texts").textContent);
  const mine = new Map(); // conversation id -> its section, kept so a reply being typed survives updates

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function post(path, fields) {
    const body = new URLSearchParams({ csrf: root.dataset.csrf, ...fields });
    const response = await fetch(root.dataset.actions + path, { method: "POST", body, credentials: "same-origin" });
    const result = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) throw new Error(result.error || response.statusText);
    return result;
  }

  function transcript(conversation) {
    const list = element("ol", "transcript");
    for (const line of conversation.lines) {
      const item = element("li", "line " + line.author);
      const who = texts["author_" + line.author] + (line.staff ? " (" + line.staff + ")" : "");
      item.append(element("span", "who", who), element("span", "at", line.at), element("span", "text", line.text));
      list.append(item);
    }
    return list;
  }

  function heading(conversation) {
    const channel = texts["channel_" + conversation.channel] || conversation.channel;
    const title = element("h3", "", format(texts.conversation, { id: conversation.id }));
    const meta = element("p", "meta", [channel, texts["lang_" + conversation.language], conversation.requested].join(" · "));
    return [title, meta];
  }

  function showError(section, error) {
    section.querySelector(".error").textContent = error.message;
  }

  function renderWaiting(conversations) {
    const box = document.getElementById("waiting");
    box.replaceChildren();
    if (!conversations.length) box.append(element("p", "empty", texts.nobody_waiting));
    for (const conversation of conversations) {
      const section = element("section", "group conversation waiting");
      section.dataset.id = conversation.id;
      const take = element("button", "take", texts.take);
      take.addEventListener("click", () => post(conversation.id + "/take", {}).then(refresh, (e) => showError(section, e)));
      const waited = element("p", "meta", format(texts.waited, { seconds: conversation.waited_seconds }));
      section.append(...heading(conversation), waited, transcript(conversation), take, element("p", "error"));
      box.append(section);
    }
  }

  function conversationSection(conversation) {
    const section = element("section", "group conversation live");
    section.dataset.id = conversation.id;
    const form = element("form", "reply");
    const reply = element("textarea");
    reply.name = "text";
    reply.rows = 2;
    reply.placeholder = texts.your_reply;
    reply.setAttribute("aria-label", texts.your_reply);
    const send = element("button", "send", texts.send);
    send.type = "submit";
    const handBack = element("button", "hand-back", texts.hand_back);
    handBack.type = "button";
    form.append(reply, send, handBack);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!reply.value.trim()) return;
      post(conversation.id + "/reply", { text: reply.value }).then(() => { reply.value = ""; refresh(); },
                                                                   (e) => showError(section, e));
    });
    reply.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    handBack.addEventListener("click", () => post(conversation.id + "/hand_back", {}).then(refresh, (e) => showError(section, e)));
    section.append(...heading(conversation), element("div", "lines"), form, element("p", "error"));
    return section;
  }

  function renderMine(conversations) {
    const box = document.getElementById("mine");
    const seen = new Set();
    for (const conversation of conversations) {
      seen.add(conversation.id);
      let section = mine.get(conversation.id);
      if (!section) {
        section = conversationSection(conversation);
        mine.set(conversation.id, section);
      }
      const lines = section.querySelector(".lines");
      if (lines.dataset.count !== String(conversation.lines.length)) {
        lines.replaceChildren(transcript(conversation));
        lines.dataset.count = String(conversation.lines.length);
      }
    }
    for (const [id, section] of mine) {
      if (!seen.has(id)) { section.remove(); mine.delete(id); }
    }
    box.replaceChildren(...mine.values());
    if (!mine.size) box.append(element("p", "empty", texts.no_live_conversation));
  }

  const title = document.title;

  function render(state) {
    // The tab says how many wait, for a member of staff working in another tab.
    document.title = state.waiting.length ? "(" + state.waiting.length + ") " + title : title;
    const status = document.getElementById("my-status");
    status.textContent = state.available ? texts.you_are_available : texts.you_are_away;
    document.getElementById("present").textContent = state.present.length
      ? texts.present + " " + state.present.join(", ") : texts.nobody_present;
    renderWaiting(state.waiting);
    renderMine(state.mine);
    document.getElementById("others").replaceChildren(...state.others.map(
      (other) => element("p", "meta", format(texts.taken_by, { id: other.id, name: other.taken_by }))));
  }

  async function refresh() {
    try {
      const response = await fetch(root.dataset.state, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error(response.statusText);
      render(await response.json());
      root.classList.remove("offline");
    } catch (error) {
      root.classList.add("offline");
      document.getElementById("present").textContent = texts.connection_lost;
    }
  }

  refresh();
  setInterval(refresh, POLL_MS);
})();
