// The two live lists, "Mine" and "Unassigned": keyed nodes updated in place, sorted by activity.

import { h, hueFor, initials } from "./dom.js";
import { fullDateTime, shortAge, statusLabel, t } from "./i18n.js";

export function activityTime(summary) {
  return Date.parse(summary.last_message_at || summary.created_at) || 0;
}

export function isMine(summary, meId) {
  return Boolean(summary.assignee && summary.assignee.id === meId) && (summary.status === "open" || summary.status === "queued" || summary.status === "bot");
}

export function isUnassigned(summary) {
  return !summary.assignee && (summary.status === "queued" || summary.status === "bot");
}

class InboxList {
  constructor({ list, count, empty, kind, onOpen }) {
    this.list = list;
    this.count = count;
    this.empty = empty;
    this.kind = kind;
    this.onOpen = onOpen;
    this.nodes = new Map();
  }

  render(items, activeId) {
    const wanted = new Set(items.map((c) => c.id));
    for (const [id, node] of this.nodes) {
      if (!wanted.has(id)) {
        node.remove();
        this.nodes.delete(id);
      }
    }
    let cursor = this.list.firstChild;
    for (const summary of items) {
      let node = this.nodes.get(summary.id);
      if (!node) {
        node = this._create(summary.id);
        this.nodes.set(summary.id, node);
      }
      this._update(node, summary, activeId);
      // Move only what is out of place, so a focused item keeps its focus.
      if (node !== cursor) this.list.insertBefore(node, cursor);
      else cursor = cursor.nextSibling;
    }
    this.count.textContent = items.length ? String(items.length) : "";
    this.empty.hidden = items.length > 0;
  }

  refreshAges() {
    for (const node of this.nodes.values()) {
      const age = node.querySelector(".item-age");
      if (age && age.dataset.time) age.textContent = shortAge(age.dataset.time);
    }
  }

  _create(id) {
    const button = h("button", { type: "button", class: "inbox-item", onclick: () => this.onOpen(id) });
    return h("li", { dataset: { testid: "inbox-item", conversationId: String(id) } }, button);
  }

  _update(node, summary, activeId) {
    const button = node.firstChild;
    const active = summary.id === activeId;
    button.classList.toggle("is-active", active);
    button.classList.toggle("is-unread", summary.unread > 0);
    if (active) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
    node.dataset.status = summary.status;
    const when = summary.last_message_at || summary.created_at;
    const avatar = h("span", { class: "avatar", "aria-hidden": "true", text: initials(summary.customer.name) });
    avatar.style.setProperty("--hue", String(hueFor(summary.customer.id)));
    const preview = summary.last_body ? summary.last_body.replace(/\s+/g, " ") : t("No messages yet");
    const badge = summary.unread > 0 ? h("span", { class: "badge", "data-testid": "unread-badge", text: summary.unread > 99 ? "99+" : String(summary.unread) }) : null;
    const tags = [];
    if (this.kind === "unassigned") {
      tags.push(h("span", { class: `tag tag--${summary.status}`, text: statusLabel(summary.status) }));
      if (summary.channel) tags.push(h("span", { class: "tag tag--channel", text: summary.channel.name }));
    }
    const label = t("Conversation with %(name)s", { name: summary.customer.name });
    button.setAttribute("aria-label", `${label}. ${preview}${summary.unread ? ". " + t("%(n)s unread", { n: summary.unread }) : ""}`);
    button.replaceChildren(
      avatar,
      h(
        "span",
        { class: "item-main" },
        h(
          "span",
          { class: "item-top" },
          h("span", { class: "item-name", "data-testid": "inbox-item-name", text: summary.customer.name }),
          h("span", { class: "item-age", title: fullDateTime(when), dataset: { time: when || "" }, text: shortAge(when) }),
        ),
        h("span", { class: "item-bottom" }, h("span", { class: "item-preview", "data-testid": "inbox-item-preview", text: preview }), badge),
        tags.length ? h("span", { class: "item-tags" }, tags) : null,
      ),
    );
  }
}

export class InboxView {
  constructor({ mine, unassigned, onOpen }) {
    this.mine = new InboxList({ ...mine, kind: "mine", onOpen });
    this.unassigned = new InboxList({ ...unassigned, kind: "unassigned", onOpen });
    setInterval(() => {
      this.mine.refreshAges();
      this.unassigned.refreshAges();
    }, 30000);
  }

  render(summaries, { meId, activeId }) {
    const all = Array.from(summaries);
    const byActivity = (a, b) => activityTime(b) - activityTime(a) || b.id - a.id;
    this.mine.render(all.filter((c) => isMine(c, meId)).sort(byActivity), activeId);
    this.unassigned.render(all.filter((c) => isUnassigned(c)).sort(byActivity), activeId);
  }
}
