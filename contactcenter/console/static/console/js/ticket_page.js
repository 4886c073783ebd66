// One ticket (/console/tickets/<id>/): header and actions, properties, the whole timeline, the composer,
// links, and the on-site visit record signed on the screen. API: /api/tickets/<id>/... (docs/tickets.md).

import { attachCannedReplies } from "./canned.js";
import { Api, ApiError, PRIORITIES, dateTime, dialog, option, priorityLabel, readConfig, SLA_METRICS, shortcutKey, slaChip, ticketStatusLabel, toast, typeChip } from "./desk.js";
import { clear, h } from "./dom.js";
import { N_, fileSize, t } from "./i18n.js";
import { SignaturePad } from "./signature.js";

const FIELD_LABELS = {
  subject: N_("subject"),
  description: N_("description"),
  type: N_("type"),
  category: N_("category"),
  priority: N_("priority"),
  stage: N_("stage"),
  team: N_("team"),
  due_at: N_("due date"),
  tags: N_("tags"),
  custom_fields: N_("custom fields"),
  collaborators: N_("collaborators"),
  followers: N_("followers"),
  assignee: N_("assignee"),
  status: N_("status"),
};

const SOURCE_LABELS = {
  chat: N_("Chat"),
  call: N_("Call"),
  voicemail: N_("Voicemail"),
  email: N_("E-mail"),
  webform: N_("Web form"),
  portal: N_("Portal"),
  api: N_("API"),
  agent: N_("Agent"),
};

class TicketPage {
  constructor(config) {
    this.config = config;
    this.id = config.ticket_id;
    this.me = config.agent_id;
    this.api = new Api(config.login_url);
    this.kind = "reply";
    const $ = (sel) => document.querySelector(sel);
    this.$ = $;
    this.toasts = $("[data-role=toasts]");
    this.dialog = dialog($("[data-testid=ticket-dialog]"));
    this.dialogForm = this.dialog.el.querySelector("form");
    this.onDialogSubmit = null;
    this.dialogForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!this.onDialogSubmit) return;
      const submit = this.dialog.el.querySelector("[data-role=submit]");
      submit.disabled = true;
      try {
        await this.onDialogSubmit();
        this.dialog.close();
      } catch (error) {
        this.dialog.fail(error instanceof ApiError ? error.text() : String(error.message || error));
      } finally {
        submit.disabled = false;
      }
    });
  }

  url(action = "") {
    return `/api/tickets/${this.id}/${action ? `${action}/` : ""}`;
  }

  async start() {
    try {
      const [desk, types, macros] = await Promise.all([
        this.api.get("/api/tickets/desk/"),
        this.api.get("/api/ticket-types/"),
        this.api.get("/api/automation/macros/").catch(() => []),
      ]);
      this.desk = desk;
      this.types = types.results;
      this.macros = (Array.isArray(macros) ? macros : []).filter((macro) => macro.is_active);
      await this.reload();
    } catch (error) {
      this.$("[data-role=loading]").hidden = true;
      if (error instanceof ApiError && error.status === 404) {
        this.$("[data-testid=ticket-missing]").hidden = false;
        return;
      }
      this.fail(error);
      return;
    }
    this.bind();
    // Colleagues' changes show up without a reload: the page asks every 15 s while it is visible
    // (polling, not a push; the composer's text is never touched).
    setInterval(() => this.refreshIfChanged(), 15000);
    document.addEventListener("visibilitychange", () => this.refreshIfChanged());
  }

  async refreshIfChanged() {
    if (document.hidden || !this.ticket || document.querySelector("dialog[open]")) return;
    try {
      const fresh = await this.api.get(this.url());
      if (fresh.updated_at !== this.ticket.updated_at) await this.reload();
    } catch {
      // A failed check is retried on the next tick; the page keeps what it shows.
    }
  }

  async reload() {
    const [ticket, timeline, links, reminders, sla, csat] = await Promise.all([
      this.api.get(this.url()),
      this.api.get(this.url("timeline")),
      this.api.get(this.url("links")),
      this.api.get(this.url("follow-ups")),
      this.api.get(this.url("sla")).catch(() => ({ clocks: [] })),
      this.api.get(this.url("csat")).catch(() => ({ rating: null })),
    ]);
    this.ticket = ticket;
    this.$("[data-role=loading]").hidden = true;
    this.$("[data-role=head]").hidden = false;
    this.$("[data-role=body]").hidden = false;
    document.title = `${ticket.number} · ${ticket.subject}`;
    this.renderHead();
    this.renderProps();
    this.renderFacts();
    this.renderTimeline(timeline.results);
    this.renderLinks(links.results);
    this.renderReminders(reminders.results);
    this.renderSla(sla.clocks);
    this.renderRating(csat.rating);
  }

  // The customer's satisfaction rating (tickets.csat), once given; text only.
  renderRating(rating) {
    const box = this.$("[data-testid=ticket-rating]");
    box.hidden = !rating;
    const body = clear(box.querySelector("[data-role=rating]"));
    if (!rating) return;
    body.append(
      h("strong", { class: rating.score <= 2 ? "rating-low" : "", "data-testid": "ticket-rating-score", text: t("%(score)s out of 5", { score: rating.score }) }),
      h("span", { class: "muted", text: ` ${dateTime(rating.created_at)}` }),
    );
    if (rating.comment) body.append(h("div", { class: "entry-body", "data-testid": "ticket-rating-comment", text: rating.comment }));
  }

  renderSla(clocks) {
    const box = this.$("[data-testid=ticket-sla]");
    box.hidden = !clocks.length;
    const list = clear(box.querySelector("ul"));
    for (const clock of clocks) {
      const when = clock.due_at ? dateTime(clock.due_at) : clock.stopped_at ? dateTime(clock.stopped_at) : "";
      list.append(
        h(
          "li",
          { class: "sla-row" },
          slaChip(clock),
          h("span", { class: "muted", text: ` ${clock.state === "met" ? t("met at %(when)s", { when }) : when ? t("due %(when)s", { when }) : ""}` }),
        ),
      );
    }
  }

  renderReminders(reminders) {
    const list = clear(this.$("[data-testid=ticket-reminders]"));
    if (!reminders.length) list.append(h("li", { class: "muted", text: t("No reminders.") }));
    for (const reminder of reminders) {
      list.append(
        h(
          "li",
          { dataset: { testid: "ticket-reminder" } },
          h("span", { text: `${dateTime(reminder.due_at)} · ${reminder.agent.id === this.me ? t("me") : reminder.agent.name}` }),
          reminder.note ? h("span", { class: "muted", text: ` — ${reminder.note}` }) : null,
          h("button", {
            type: "button",
            class: "link-button",
            "aria-label": t("Cancel this reminder"),
            onclick: () => this.api.delete(`/api/tickets/follow-ups/${reminder.id}/`).then(() => this.reload()).catch((error) => this.fail(error)),
          }, "×"),
        ),
      );
    }
  }

  team() {
    return this.desk.teams.find((team) => team.id === this.ticket.team.id) || { id: this.ticket.team.id, name: this.ticket.team.name, stages: [this.ticket.stage], agents: [], member: false };
  }

  // ------------------------------------------------------------------------------------- header

  renderHead() {
    const ticket = this.ticket;
    const $ = this.$;
    $("[data-testid=ticket-number]").textContent = ticket.number;
    $("[data-testid=ticket-subject]").textContent = ticket.subject;
    const status = $("[data-testid=ticket-status]");
    status.textContent = ticketStatusLabel(ticket.status);
    status.className = `status-chip status-${ticket.status}`;
    const typeSlot = $("[data-testid=ticket-type]");
    typeSlot.hidden = !ticket.type;
    clear(typeSlot);
    if (ticket.type) typeSlot.append(typeChip(ticket.type));
    const urged = $("[data-testid=ticket-urged]");
    urged.hidden = !ticket.urge_count;
    urged.textContent = t("Urged ×%(n)s", { n: ticket.urge_count });
    const merged = $("[data-testid=ticket-merged]");
    merged.hidden = !ticket.merged_into;
    clear(merged);
    if (ticket.merged_into) merged.append(t("Merged into another ticket. "), h("a", { href: `/console/tickets/${ticket.merged_into}/`, text: t("Open it") }));
    const open = ticket.status === "open";
    const live = !ticket.merged_into;
    const member = this.team().member;
    $("[data-testid=grab-button]").hidden = !(live && open && !ticket.assignee && member);
    $("[data-testid=dispatch-button]").hidden = !(live && open && !ticket.assignee);
    $("[data-testid=solve-button]").hidden = !(live && open);
    $("[data-testid=close-button]").hidden = !(live && ticket.status !== "closed");
    $("[data-testid=reopen-button]").hidden = !(live && !open);
    for (const name of ["urge", "redispatch", "merge", "link", "visit", "remind", "edit-ticket"]) $(`[data-testid=${name.includes("-") ? name : `${name}-button`}]`).hidden = !live;
    $("[data-testid=redispatch-button]").hidden = !(live && open && ticket.assignee);
    const following = ticket.followers.some((agent) => agent.id === this.me);
    const follow = $("[data-testid=follow-button]");
    follow.textContent = following ? t("Unfollow") : t("Follow");
    follow.setAttribute("aria-pressed", following ? "true" : "false");
    $("[data-testid=ticket-composer]").hidden = !live || ticket.status === "closed";
    const description = $("[data-testid=ticket-description]");
    description.textContent = ticket.description || "";
    description.hidden = !ticket.description;
  }

  // --------------------------------------------------------------------------------- properties

  renderProps() {
    const ticket = this.ticket;
    const $ = this.$;
    const team = this.team();
    const stage = clear($("[data-testid=prop-stage]"));
    for (const s of team.stages) stage.append(option(String(s.id), s.closing ? t("%(name)s (closing)", { name: s.name }) : s.name, s.id === ticket.stage.id));
    const priority = clear($("[data-testid=prop-priority]"));
    for (const p of PRIORITIES) priority.append(option(p, priorityLabel(p), p === ticket.priority));
    const assignee = clear($("[data-testid=prop-assignee]"));
    assignee.append(option("", t("Unassigned"), !ticket.assignee));
    const agents = [...team.agents];
    if (ticket.assignee && !agents.some((a) => a.id === ticket.assignee.id)) agents.push(ticket.assignee);
    for (const agent of agents) assignee.append(option(String(agent.id), agent.id === this.me ? t("%(name)s (me)", { name: agent.name }) : agent.name, ticket.assignee && agent.id === ticket.assignee.id));
    const type = clear($("[data-testid=prop-type]"));
    type.append(option("", t("No type"), !ticket.type));
    for (const kind of this.types) type.append(option(String(kind.id), kind.name, ticket.type && kind.id === ticket.type.id));
    $("[data-testid=prop-tags]").value = ticket.tags.join(", ");
    $("[data-testid=prop-due]").value = ticket.due_at ? localInput(ticket.due_at) : "";
    const closed = ticket.status === "closed" || Boolean(ticket.merged_into);
    for (const control of $("[data-testid=ticket-props]").querySelectorAll("select, input")) control.disabled = closed;
    this.renderCustomFields(closed);
  }

  renderCustomFields(disabled) {
    const box = clear(this.$("[data-role=custom-fields]"));
    const kind = this.ticket.type && this.types.find((type) => type.id === this.ticket.type.id);
    if (!kind) return;
    for (const spec of kind.field_schema || []) {
      const value = this.ticket.custom_fields[spec.name];
      let input;
      if (spec.kind === "choice") {
        input = h("select", {}, option("", "—", value === undefined || value === null));
        for (const choice of spec.choices || []) input.append(option(String(choice), String(choice), String(value) === String(choice)));
      } else if (spec.kind === "bool") {
        input = h("input", { type: "checkbox", checked: value === true || undefined });
      } else {
        input = h("input", { type: spec.kind === "number" ? "number" : spec.kind === "date" ? "date" : "text", value: value ?? "" });
      }
      input.disabled = disabled;
      input.dataset.testid = `custom-${spec.name}`;
      input.addEventListener("change", () => {
        let next = input.type === "checkbox" ? input.checked : input.value;
        if (spec.kind === "number") next = input.value === "" ? null : Number(input.value);
        else if (next === "") next = null;
        this.patch({ custom_fields: { [spec.name]: next } });
      });
      box.append(h("label", { class: "field" }, h("span", { text: `${spec.label || spec.name}${spec.required ? " *" : ""}` }), input));
    }
  }

  renderFacts() {
    const ticket = this.ticket;
    const facts = clear(this.$("[data-testid=ticket-facts]"));
    const fact = (label, value) => value && facts.append(h("dt", { text: label }), h("dd", {}, value));
    fact(t("Customer"), ticket.customer ? ticket.customer.name || `#${ticket.customer.id}` : t("No customer"));
    fact(t("Team"), ticket.team.name);
    fact(t("Source"), t(SOURCE_LABELS[ticket.source] || ticket.source));
    fact(t("Created"), dateTime(ticket.created_at));
    fact(t("Updated"), dateTime(ticket.updated_at));
    fact(t("Solved"), dateTime(ticket.solved_at));
    fact(t("Followers"), ticket.followers.map((a) => a.name).join(", "));
    if (ticket.category) fact(t("Category"), ticket.category);
  }

  // ----------------------------------------------------------------------------------- timeline

  renderTimeline(entries) {
    const list = clear(this.$("[data-testid=timeline]"));
    for (const entry of entries) list.append(this.entryEl(entry));
  }

  entryEl(entry) {
    const who = entry.author.kind === "system" ? t("The desk") : entry.author.name || t("Customer");
    const when = h("time", { class: "entry-time muted", datetime: entry.created_at, text: dateTime(entry.created_at) });
    if (entry.kind === "field_change") {
      return h("li", { class: "entry entry--change", dataset: { testid: "timeline-entry", kind: entry.kind } }, h("span", { text: changeText(who, entry) }), " ", when);
    }
    if (entry.kind === "system") {
      return h(
        "li",
        { class: "entry entry--system", dataset: { testid: "timeline-entry", kind: entry.kind, event: entry.event } },
        h("span", { text: systemText(who, entry, this.ticket.number) }),
        " ",
        when,
        entry.body && !["automation_rule", "sla_warning", "sla_breached"].includes(entry.event) ? h("div", { class: "entry-body entry-body--system", text: entry.body }) : null,
      );
    }
    const note = entry.kind === "internal_note";
    return h(
      "li",
      { class: `entry entry--${note ? "note" : "reply"} entry--by-${entry.author.kind}`, dataset: { testid: "timeline-entry", kind: entry.kind } },
      h("div", { class: "entry-head" }, h("strong", { text: who }), note ? h("span", { class: "note-label", text: t("Internal note") }) : null, when),
      h("div", { class: "entry-body", text: entry.body }),
      entry.attachments.length ? h("ul", { class: "entry-files" }, entry.attachments.map((file) => this.fileEl(file))) : null,
    );
  }

  fileEl(file) {
    const href = `/api/tickets/${this.id}/attachments/${file.id}/`;
    const link = h("a", { href, class: "file-link", dataset: { testid: "attachment-link" } }, `${file.filename} · ${fileSize(file.size)}`);
    if (!/^image\/(png|jpeg|gif|webp)$/.test(file.content_type)) return h("li", {}, link);
    return h("li", { class: "file-image" }, h("img", { src: href, alt: file.filename, loading: "lazy" }), link);
  }

  renderLinks(links) {
    const list = clear(this.$("[data-testid=ticket-links]"));
    if (!links.length) list.append(h("li", { class: "muted", text: t("No linked tickets.") }));
    for (const link of links) {
      const outgoing = link.from_ticket === this.id;
      const otherId = outgoing ? link.to_ticket : link.from_ticket;
      const otherNumber = outgoing ? link.to_number : link.from_number;
      const label = {
        related: t("Related to"),
        duplicate: outgoing ? t("Duplicates") : t("Duplicated by"),
        parent: outgoing ? t("Parent of") : t("Child of"),
      }[link.kind];
      list.append(
        h(
          "li",
          { dataset: { testid: "ticket-link-item" } },
          h("span", { class: "muted", text: `${label} ` }),
          h("a", { href: `/console/tickets/${otherId}/`, text: otherNumber }),
          h("button", { type: "button", class: "link-button", "aria-label": t("Remove the link to %(number)s", { number: otherNumber }), onclick: () => this.unlink(link) }, "×"),
        ),
      );
    }
  }

  // ------------------------------------------------------------------------------------ actions

  bind() {
    const $ = this.$;
    const act = (testid, run) => $(`[data-testid=${testid}]`).addEventListener("click", () => run().catch((error) => this.fail(error)));
    act("grab-button", () => this.post("grab", undefined, t("The ticket is yours.")));
    act("dispatch-button", () => this.post("dispatch", undefined, t("Sent to the team's ticket queue.")));
    act("solve-button", () => this.post("solve", undefined, t("Solved.")));
    act("close-button", () => this.post("close", undefined, t("Closed.")));
    act("reopen-button", () => this.post("reopen", undefined, t("Reopened.")));
    act("follow-button", () => this.toggleFollow());
    $("[data-testid=urge-button]").addEventListener("click", () => this.urgeDialog());
    $("[data-testid=redispatch-button]").addEventListener("click", () => this.redispatchDialog());
    $("[data-testid=merge-button]").addEventListener("click", () => this.mergeDialog());
    $("[data-testid=link-button]").addEventListener("click", () => this.linkDialog());
    $("[data-testid=visit-button]").addEventListener("click", () => this.visitDialog());
    $("[data-testid=remind-button]").addEventListener("click", () => this.remindDialog());
    $("[data-testid=edit-ticket]").addEventListener("click", () => this.editDialog());
    const picker = $("[data-testid=macro-picker]");
    clear(picker).append(option("", t("Apply a macro…")));
    for (const macro of this.macros) picker.append(option(String(macro.id), macro.shared ? macro.name : t("%(name)s (mine)", { name: macro.name })));
    picker.hidden = !this.macros.length || Boolean(this.ticket.merged_into);
    picker.addEventListener("change", () => {
      const id = Number(picker.value);
      picker.value = "";
      if (!id) return;
      const macro = this.macros.find((m) => m.id === id);
      this.post("apply-macro", { macro: id }, t("Macro “%(name)s” applied.", { name: macro ? macro.name : "" })).catch((error) => this.fail(error));
    });

    $("[data-testid=prop-stage]").addEventListener("change", (event) => this.patch({ stage: Number(event.target.value) }));
    $("[data-testid=prop-priority]").addEventListener("change", (event) => this.patch({ priority: event.target.value }));
    $("[data-testid=prop-type]").addEventListener("change", (event) => this.patch({ type: event.target.value ? Number(event.target.value) : null }));
    $("[data-testid=prop-assignee]").addEventListener("change", (event) => {
      const value = event.target.value;
      this.post("assign", { agent: value ? Number(value) : null }, t("Assignment changed.")).catch((error) => this.fail(error));
    });
    $("[data-testid=prop-tags]").addEventListener("change", (event) => {
      const tags = [...new Set(event.target.value.split(/[,，]/).map((tag) => tag.trim()).filter(Boolean))];
      this.patch({ tags });
    });
    $("[data-testid=prop-due]").addEventListener("change", (event) => this.patch({ due_at: event.target.value ? new Date(event.target.value).toISOString() : null }));

    const composer = $("[data-testid=ticket-composer]");
    const input = $("[data-testid=ticket-composer-input]");
    const fileInput = $("[data-testid=ticket-file-input]");
    $("[data-testid=reply-toggle]").addEventListener("click", () => this.setKind("reply"));
    $("[data-testid=internal-note-toggle]").addEventListener("click", () => this.setKind("note"));
    fileInput.addEventListener("change", () => {
      $("[data-testid=ticket-file-name]").textContent = fileInput.files[0] ? fileInput.files[0].name : "";
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        composer.requestSubmit();
      } else if (event.key === "Escape") input.blur();
    });
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send().catch((error) => this.fail(error));
    });
    this.setKind("reply");
    attachCannedReplies(input, { context: () => ({ ticket: this.id }) });
    document.addEventListener("keydown", (event) => {
      const key = shortcutKey(event);
      if (key === "r" || key === "n") {
        event.preventDefault();
        this.setKind(key === "r" ? "reply" : "note");
        input.focus();
      } else if (key === "u") {
        window.location.assign(this.config.tickets_url);
      }
    });
  }

  setKind(kind) {
    this.kind = kind;
    const $ = this.$;
    $("[data-testid=reply-toggle]").setAttribute("aria-pressed", String(kind === "reply"));
    $("[data-testid=internal-note-toggle]").setAttribute("aria-pressed", String(kind === "note"));
    $("[data-testid=ticket-composer]").classList.toggle("is-note", kind === "note");
    $("[data-testid=composer-hint]").textContent = kind === "note" ? t("Only agents see internal notes.") : t("The customer sees this reply.");
    $("[data-testid=ticket-send]").textContent = kind === "note" ? t("Add note") : t("Send reply");
  }

  async send() {
    const $ = this.$;
    const input = $("[data-testid=ticket-composer-input]");
    const fileInput = $("[data-testid=ticket-file-input]");
    const body = input.value.trim();
    const file = fileInput.files[0];
    if (!body && !file) return;
    const button = $("[data-testid=ticket-send]");
    button.disabled = true;
    try {
      if (file) {
        const form = new FormData();
        form.append("file", file);
        form.append("body", body);
        form.append("visibility", this.kind === "note" ? "internal" : "public");
        await this.api.upload(this.url("attachments"), form);
      } else {
        await this.api.post(this.url(this.kind === "note" ? "notes" : "replies"), { body });
      }
      input.value = "";
      fileInput.value = "";
      $("[data-testid=ticket-file-name]").textContent = "";
      toast(this.toasts, this.kind === "note" ? t("Note added.") : t("Reply sent."), "ok");
      await this.reload();
    } finally {
      button.disabled = false;
    }
  }

  async post(action, body, done) {
    await this.api.post(this.url(action), body);
    if (done) toast(this.toasts, done, "ok");
    await this.reload();
  }

  async patch(change) {
    const error = this.$("[data-role=props-error]");
    error.hidden = true;
    try {
      await this.api.patch(this.url(), change);
      await this.reload();
    } catch (failure) {
      error.textContent = failure instanceof ApiError ? failure.text() : String(failure);
      error.hidden = false;
      await this.reload().catch(() => {});
    }
  }

  async toggleFollow() {
    const ids = this.ticket.followers.map((agent) => agent.id);
    const next = ids.includes(this.me) ? ids.filter((id) => id !== this.me) : [...ids, this.me];
    await this.api.patch(this.url(), { followers: next });
    await this.reload();
  }

  async unlink(link) {
    try {
      await this.api.delete(this.url(`links/${link.id}`));
      await this.reload();
    } catch (error) {
      this.fail(error);
    }
  }

  // ------------------------------------------------------------------------------------ dialogs

  openDialog(title, submitLabel, fields, onSubmit) {
    this.dialog.el.querySelector("[data-role=title]").textContent = title;
    this.dialog.el.querySelector("[data-role=submit]").textContent = submitLabel;
    clear(this.dialog.el.querySelector("[data-role=fields]")).append(...fields);
    this.onDialogSubmit = onSubmit;
    this.dialog.open();
    const first = this.dialog.el.querySelector("[data-role=fields] input, [data-role=fields] textarea, [data-role=fields] select");
    if (first) first.focus();
  }

  urgeDialog() {
    const note = h("textarea", { rows: "3", maxlength: "500", dataset: { testid: "urge-note" } });
    this.openDialog(t("Urge this ticket"), t("Urge"), [field(t("Note for the assignee (optional)"), note)], () =>
      this.post("urge", { note: note.value.trim() }, t("Urged: the assignee is told.")),
    );
  }

  redispatchDialog() {
    const reason = h("textarea", { rows: "3", maxlength: "2000", required: true, dataset: { testid: "redispatch-reason" } });
    const target = h("select", { dataset: { testid: "redispatch-target" } }, option("", t("Back through routing")));
    for (const agent of this.team().agents) if (!this.ticket.assignee || agent.id !== this.ticket.assignee.id) target.append(option(String(agent.id), agent.name));
    this.openDialog(t("Hand the ticket on"), t("Redispatch"), [field(t("Reason"), reason), field(t("To"), target)], () =>
      this.post("redispatch", { reason: reason.value.trim(), ...(target.value ? { to_agent: Number(target.value) } : {}) }, t("Redispatched.")),
    );
  }

  async lookup(number) {
    const text = number.trim();
    if (!text) throw new Error(t("Type a ticket number."));
    try {
      return await this.api.get(`/api/tickets/by-number/${encodeURIComponent(text)}/`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) throw new Error(t("No ticket %(number)s that you can see.", { number: text }));
      throw error;
    }
  }

  mergeDialog() {
    const number = h("input", { type: "text", maxlength: "32", required: true, placeholder: "T-000123", dataset: { testid: "merge-into" } });
    this.openDialog(
      t("Merge into another ticket"),
      t("Merge"),
      [h("p", { class: "muted", text: t("This ticket's timeline, files and followers move into the other one; this one then points to it.") }), field(t("Ticket number"), number)],
      async () => {
        const target = await this.lookup(number.value);
        const survivor = await this.api.post(this.url("merge"), { into: target.id });
        window.location.assign(`/console/tickets/${survivor.id}/`);
      },
    );
  }

  linkDialog() {
    const number = h("input", { type: "text", maxlength: "32", required: true, placeholder: "T-000123", dataset: { testid: "link-to" } });
    const kind = h(
      "select",
      { dataset: { testid: "link-kind" } },
      option("related", t("Related to")),
      option("duplicate", t("Duplicates (this is the duplicate)")),
      option("parent", t("Parent of")),
    );
    this.openDialog(t("Link to another ticket"), t("Link"), [field(t("Kind"), kind), field(t("Ticket number"), number)], async () => {
      const target = await this.lookup(number.value);
      await this.post("links", { to: target.id, kind: kind.value }, t("Linked."));
    });
  }

  editDialog() {
    const subject = h("input", { type: "text", maxlength: "200", required: true, value: this.ticket.subject, dataset: { testid: "edit-subject" } });
    const description = h("textarea", { rows: "6", maxlength: "100000", dataset: { testid: "edit-description" } });
    description.value = this.ticket.description || "";
    this.openDialog(t("Edit the ticket"), t("Save"), [field(t("Subject"), subject), field(t("Description"), description)], async () => {
      const change = {};
      if (subject.value.trim() !== this.ticket.subject) change.subject = subject.value.trim();
      if (description.value.trim() !== (this.ticket.description || "")) change.description = description.value.trim();
      if (!Object.keys(change).length) return;
      await this.api.patch(this.url(), change);
      await this.reload();
    });
  }

  remindDialog() {
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
    tomorrow.setHours(9, 0, 0, 0);
    const due = h("input", { type: "datetime-local", required: true, value: localInput(tomorrow.toISOString()), dataset: { testid: "remind-at" } });
    const note = h("input", { type: "text", maxlength: "500", dataset: { testid: "remind-note" } });
    const whom = h("select", { dataset: { testid: "remind-agent" } }, option(String(this.me), t("Me")));
    for (const agent of this.team().agents) if (agent.id !== this.me) whom.append(option(String(agent.id), agent.name));
    this.openDialog(t("Remind me to come back"), t("Set the reminder"), [field(t("When"), due), field(t("Note"), note), field(t("Whom"), whom)], () =>
      this.post("follow-ups", { due_at: new Date(due.value).toISOString(), note: note.value.trim(), agent: Number(whom.value) }, t("Reminder set.")),
    );
  }

  visitDialog() {
    const now = new Date();
    const time = h("input", { type: "datetime-local", required: true, value: localInput(now.toISOString()), dataset: { testid: "visit-time" } });
    const work = h("textarea", { rows: "3", maxlength: "4000", required: true, dataset: { testid: "visit-work" } });
    const result = h(
      "select",
      { dataset: { testid: "visit-result" } },
      option(t("Fixed on site"), t("Fixed on site")),
      option(t("Another visit needed"), t("Another visit needed")),
      option(t("Parts ordered"), t("Parts ordered")),
    );
    const signer = h("input", { type: "text", maxlength: "100", required: true, value: (this.ticket.customer && this.ticket.customer.name) || "", dataset: { testid: "visit-signer" } });
    const canvas = h("canvas", { class: "signature-pad", dataset: { testid: "signature-pad" }, "aria-label": t("Signature area") });
    const clearButton = h("button", { type: "button", class: "link-button", text: t("Clear the signature") });
    this.openDialog(
      t("On-site visit record"),
      t("Save the signed record"),
      [
        field(t("Visit time"), time),
        field(t("Work done"), work),
        field(t("Result"), result),
        field(t("Customer's name"), signer),
        h("div", { class: "field" }, h("span", { text: t("Customer's signature") }), canvas, h("span", { class: "muted signature-hint", text: t("Hand the phone to the customer to sign with a finger.") }), clearButton),
      ],
      async () => {
        if (pad.empty) throw new Error(t("The customer has not signed yet."));
        const blob = await pad.toBlob();
        const lines = [
          t("On-site visit record"),
          `${t("Visit time")}: ${dateTime(new Date(time.value).toISOString())}`,
          `${t("Work done")}: ${work.value.trim()}`,
          `${t("Result")}: ${result.value}`,
          `${t("Signed by")}: ${signer.value.trim()}`,
        ];
        const form = new FormData();
        form.append("file", blob, `signature-${this.ticket.number}.png`);
        form.append("body", lines.join("\n"));
        form.append("visibility", "public");
        await this.api.upload(this.url("attachments"), form);
        toast(this.toasts, t("The signed visit record is on the ticket."), "ok");
        await this.reload();
      },
    );
    const pad = new SignaturePad(canvas);
    clearButton.addEventListener("click", () => pad.clear());
  }

  fail(error) {
    toast(this.toasts, error instanceof ApiError ? error.text() : String((error && error.message) || t("Something went wrong. Try again.")), "error");
  }
}

function field(label, control) {
  return h("label", { class: "field" }, h("span", { text: label }), control);
}

/** An ISO time as the value of a datetime-local input, in the browser's zone. */
function localInput(iso) {
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function shown(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.map(shown).join(", ") || "—";
  if (typeof value === "object") return value.name !== undefined ? String(value.name) : Object.entries(value).map(([k, v]) => `${k}: ${shown(v)}`).join(", ");
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return dateTime(value);
  if (value === "open" || value === "solved" || value === "closed") return ticketStatusLabel(value);
  if (PRIORITIES.includes(value)) return priorityLabel(value);
  return String(value);
}

function changeText(who, entry) {
  const fieldName = t(FIELD_LABELS[entry.field] || entry.field);
  return t("%(who)s changed %(field)s: %(old)s → %(new)s", { who, field: fieldName, old: shown(entry.old_value), new: shown(entry.new_value) });
}

function systemText(who, entry, number) {
  const data = entry.new_value || {};
  const other = data.from === number ? data.to : data.from;
  switch (entry.event) {
    case "created":
      return t("%(who)s opened the ticket (%(source)s)", { who, source: t(SOURCE_LABELS[data.source] || data.source || "") });
    case "urged":
      return t("%(who)s urged the ticket", { who });
    case "redispatched":
      return t("%(who)s handed the ticket on", { who });
    case "merged_into":
      return t("%(who)s merged this ticket into %(number)s", { who, number: data.number || "" });
    case "merged_from":
      return t("%(who)s merged %(number)s into this ticket", { who, number: data.number || "" });
    case "linked":
      return t("%(who)s linked %(number)s", { who, number: other || "" });
    case "unlinked":
      return t("%(who)s removed the link to %(number)s", { who, number: other || "" });
    case "follow_up_scheduled":
      return t("%(who)s scheduled a follow-up for %(when)s", { who, when: dateTime(data.due_at) });
    case "sla_warning":
      return t("SLA warning: %(what)s is due soon", { what: t(SLA_METRICS[data.metric] || data.metric || "") });
    case "sla_breached":
      return t("SLA breached: %(what)s is overdue", { what: t(SLA_METRICS[data.metric] || data.metric || "") });
    case "automation_rule":
      return t("Rule “%(name)s” ran", { name: entry.body });
    case "follow_up_due":
      return t("Follow-up reminder");
    case "transcript":
      return t("Conversation transcript");
    default:
      return `${who}: ${entry.event}`;
  }
}

new TicketPage(readConfig()).start();
