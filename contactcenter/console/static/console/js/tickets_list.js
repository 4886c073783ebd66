// The ticket desk list (/console/tickets/): views, search, filters, sorting, paging, bulk changes, keys.
// The list's state lives in the address (?status=open&q=...), so views, Back and shared links agree.
// API: GET /api/tickets/, /api/tickets/desk/, /api/tickets/ids/, POST /api/tickets/bulk/, /api/tickets/views/.

import { Api, ApiError, PRIORITIES, SORT_LABELS, STATUSES, dialog, option, priorityLabel, readConfig, shortcutKey, slaChip, ticketStatusLabel, toast, typeChip, urgentClock } from "./desk.js";
import { clear, h } from "./dom.js";
import { N_, shortAge, shortDate, t } from "./i18n.js";

const PAGE_SIZE = 50;
const LIST_KEYS = ["q", "status", "priority", "team", "assignee", "unassigned", "urged", "overdue", "type", "tag", "customer", "stage", "sort"];
const ARRAY_KEYS = new Set(["status", "priority", "team", "assignee", "type", "stage"]);

const BUILTIN_VIEWS = [
  { key: "mine", label: N_("My open tickets"), query: (me) => ({ assignee: [String(me)], status: ["open"] }) },
  { key: "pool", label: N_("Unassigned pool"), query: () => ({ unassigned: "true", status: ["open"] }) },
  { key: "urged", label: N_("Urged"), query: () => ({ urged: "true", status: ["open"], sort: "-urged" }) },
  { key: "overdue", label: N_("Overdue"), query: () => ({ overdue: "true", sort: "due" }) },
  { key: "open", label: N_("All open"), query: () => ({ status: ["open"] }) },
  { key: "solved", label: N_("Solved"), query: () => ({ status: ["solved"] }) },
  { key: "all", label: N_("All tickets"), query: () => ({ sort: "-updated" }) },
];

/** A view's query (arrays, booleans, strings) as sorted URL parameters, so two equal filters compare equal. */
function toParams(query) {
  const params = new URLSearchParams();
  for (const key of LIST_KEYS) {
    const value = query[key];
    if (value === undefined || value === null || value === "" || value === false) continue;
    if (key === "sort" && value === "-updated") continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
  }
  // "All tickets" has no filter; its explicit sort keeps its address apart from the bare page (the default view).
  if (![...params.keys()].length) params.set("sort", query.sort || "-updated");
  return params;
}

function fromParams(params) {
  const query = {};
  for (const key of LIST_KEYS) {
    const values = params.getAll(key).filter((v) => v !== "");
    if (!values.length) continue;
    if (ARRAY_KEYS.has(key)) query[key] = values;
    else if (["unassigned", "urged", "overdue"].includes(key)) query[key] = values[0] === "true";
    else query[key] = values[0];
  }
  return query;
}

class TicketList {
  constructor(config) {
    this.config = config;
    this.api = new Api(config.login_url);
    this.me = config.agent_id;
    this.desk = null;
    this.rows = [];
    this.known = new Map();
    this.selected = new Set();
    this.focus = -1;
    this.page = 1;
    this.total = 0;
    this.loadSeq = 0;

    const $ = (sel) => document.querySelector(sel);
    this.el = {
      rows: $("[data-testid=ticket-rows]"),
      empty: $("[data-testid=ticket-list-empty]"),
      loading: $("[data-role=loading]"),
      count: $("[data-testid=ticket-count]"),
      prev: $("[data-testid=page-prev]"),
      next: $("[data-testid=page-next]"),
      search: $("[data-testid=ticket-search]"),
      searchForm: $("[data-role=search-form]"),
      status: $("[data-testid=filter-status]"),
      priority: $("[data-testid=filter-priority]"),
      team: $("[data-testid=filter-team]"),
      assignee: $("[data-testid=filter-assignee]"),
      sort: $("[data-testid=sort]"),
      selectPage: $("[data-testid=select-page]"),
      bulk: $("[data-testid=bulk-bar]"),
      bulkCount: $("[data-testid=bulk-count]"),
      selectAll: $("[data-testid=select-all-matching]"),
      bulkAssign: $("[data-testid=bulk-assign]"),
      bulkStage: $("[data-testid=bulk-stage]"),
      bulkPriority: $("[data-testid=bulk-priority]"),
      bulkTag: $("[data-testid=bulk-tag]"),
      tagList: $("[data-role=tag-list]"),
      builtin: $("[data-role=builtin-views]"),
      myViews: $("[data-role=my-views]"),
      myViewsEmpty: $("[data-role=my-views-empty]"),
      sharedViews: $("[data-role=shared-views]"),
      sharedViewsEmpty: $("[data-role=shared-views-empty]"),
      reminders: $("[data-testid=my-reminders]"),
      remindersEmpty: $("[data-role=reminders-empty]"),
      picker: $("[data-testid=view-picker]"),
      toasts: $("[data-role=toasts]"),
    };
    this.saveDialog = dialog($("[data-testid=save-view-dialog]"));
    this.mergeDialog = dialog($("[data-testid=merge-dialog]"));
    this.newDialog = dialog($("[data-testid=new-ticket-dialog]"));
    this.newCustomer = null;
  }

  async start() {
    if (!window.location.search) {
      history.replaceState(null, "", `?${toParams(BUILTIN_VIEWS[0].query(this.me))}`);
    }
    this.bind();
    try {
      this.desk = await this.api.get("/api/tickets/desk/");
    } catch (error) {
      this.fail(error);
      return;
    }
    this.renderControls();
    this.renderViews();
    await this.load();
    // New and changed tickets appear without a reload (every 30 s while the tab is visible; selection kept).
    this.loadReminders();
    setInterval(() => {
      if (document.hidden || document.querySelector("dialog[open]")) return;
      this.load();
      this.loadReminders();
    }, 30000);
  }

  get query() {
    return fromParams(new URLSearchParams(window.location.search));
  }

  agents() {
    const seen = new Map();
    for (const team of this.desk.teams) for (const agent of team.agents) seen.set(agent.id, agent);
    return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  // ---------------------------------------------------------------------------------- controls

  renderControls() {
    const { el } = this;
    const q = this.query;
    el.search.value = q.q || "";
    const single = (values) => (values && values.length === 1 ? values[0] : values && values.length ? "*" : "");
    fill(el.status, [["", t("Any status")], ...STATUSES.map((s) => [s, ticketStatusLabel(s)])], single(q.status));
    fill(el.priority, [["", t("Any priority")], ...PRIORITIES.map((p) => [p, priorityLabel(p)])], single(q.priority));
    fill(el.team, [["", t("Any team")], ...this.desk.teams.map((team) => [String(team.id), team.name])], single(q.team));
    const assignee = q.unassigned ? "none" : single(q.assignee) === String(this.me) ? "me" : single(q.assignee);
    fill(
      el.assignee,
      [["", t("Anyone")], ["me", t("Me")], ["none", t("Unassigned")], ...this.agents().filter((a) => a.id !== this.me).map((a) => [String(a.id), a.name])],
      assignee,
    );
    fill(el.sort, Object.entries(SORT_LABELS).map(([value, label]) => [value, t(label)]), q.sort || "-updated");
    fill(el.bulkAssign, [["", t("Assign to…")], ["none", t("Unassigned")], ...this.agents().map((a) => [String(a.id), a.name])], "");
    fill(el.bulkPriority, [["", t("Set priority…")], ...PRIORITIES.map((p) => [p, priorityLabel(p)])], "");
    clear(el.bulkStage).append(option("", t("Move to stage…")));
    for (const team of this.desk.teams) {
      const group = h("optgroup", { label: team.name });
      for (const stage of team.stages) group.append(option(String(stage.id), stage.name));
      el.bulkStage.append(group);
    }
    clear(el.tagList);
    for (const tag of this.desk.tags) el.tagList.append(h("option", { value: tag }));
  }

  renderViews() {
    const current = toParams(this.query).toString();
    const item = (label, query, extra = {}) => {
      const params = toParams(query);
      const active = params.toString() === current;
      return h(
        "li",
        {},
        h("a", { class: `view-link${active ? " is-current" : ""}`, href: `?${params}`, "aria-current": active ? "page" : undefined, dataset: extra }, label),
      );
    };
    clear(this.el.builtin);
    clear(this.el.picker);
    let matched = false;
    for (const view of BUILTIN_VIEWS) {
      const query = view.query(this.me);
      this.el.builtin.append(item(t(view.label), query, { testid: `view-${view.key}` }));
      this.addPick(t(view.label), query, current) && (matched = true);
    }
    const mine = this.desk.views.filter((v) => v.mine && !v.shared);
    const shared = this.desk.views.filter((v) => v.shared);
    for (const [list, views, empty] of [
      [this.el.myViews, mine, this.el.myViewsEmpty],
      [this.el.sharedViews, shared, this.el.sharedViewsEmpty],
    ]) {
      clear(list);
      empty.hidden = views.length > 0;
      for (const view of views) {
        const li = item(view.name, view.query, { viewId: String(view.id) });
        if (view.mine || this.desk.me.supervisor) {
          li.append(
            h("button", { type: "button", class: "view-delete", title: t("Delete this view"), "aria-label": t("Delete the view %(name)s", { name: view.name }), onclick: () => this.deleteView(view) }, "×"),
          );
        }
        list.append(li);
        this.addPick(view.name, view.query, current) && (matched = true);
      }
    }
    if (!matched) this.el.picker.prepend(option(`?${current}`, t("Custom filter"), true));
  }

  addPick(label, query, current) {
    const params = toParams(query).toString();
    this.el.picker.append(option(`?${params}`, label, params === current));
    return params === current;
  }

  bind() {
    const { el } = this;
    el.searchForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.change({ q: el.search.value.trim() || undefined });
    });
    el.status.addEventListener("change", () => this.change({ status: el.status.value ? [el.status.value] : undefined }));
    el.priority.addEventListener("change", () => this.change({ priority: el.priority.value ? [el.priority.value] : undefined }));
    el.team.addEventListener("change", () => this.change({ team: el.team.value ? [el.team.value] : undefined }));
    el.assignee.addEventListener("change", () => {
      const v = el.assignee.value;
      this.change({ unassigned: v === "none" ? true : undefined, assignee: v === "me" ? [String(this.me)] : v && v !== "none" ? [v] : undefined });
    });
    el.sort.addEventListener("change", () => this.change({ sort: el.sort.value }));
    el.picker.addEventListener("change", () => this.navigate(el.picker.value));
    for (const list of [el.builtin, el.myViews, el.sharedViews]) {
      list.addEventListener("click", (event) => {
        const link = event.target.closest("a.view-link");
        if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        this.selected.clear();
        this.navigate(link.getAttribute("href"));
      });
    }
    el.prev.addEventListener("click", () => this.turn(-1));
    el.next.addEventListener("click", () => this.turn(1));
    el.selectPage.addEventListener("change", () => {
      for (const row of this.rows) el.selectPage.checked ? this.selected.add(row.id) : this.selected.delete(row.id);
      this.renderRows();
    });
    el.selectAll.addEventListener("click", () => this.selectAllMatching());
    el.bulkAssign.addEventListener("change", () => {
      const v = el.bulkAssign.value;
      if (v) this.bulk({ assignee: v === "none" ? null : Number(v) });
    });
    el.bulkStage.addEventListener("change", () => el.bulkStage.value && this.bulk({ stage: Number(el.bulkStage.value) }));
    el.bulkPriority.addEventListener("change", () => el.bulkPriority.value && this.bulk({ priority: el.bulkPriority.value }));
    document.querySelector("[data-role=bulk-tag-form]").addEventListener("submit", (event) => {
      event.preventDefault();
      if (el.bulkTag.value.trim()) this.bulk({ add_tags: [el.bulkTag.value.trim()] });
    });
    document.querySelector("[data-testid=bulk-remove-tag]").addEventListener("click", () => {
      if (el.bulkTag.value.trim()) this.bulk({ remove_tags: [el.bulkTag.value.trim()] });
    });
    document.querySelector("[data-testid=bulk-solve]").addEventListener("click", () => this.bulk({ status: "solved" }));
    document.querySelector("[data-testid=bulk-close]").addEventListener("click", () => this.bulk({ status: "closed" }));
    document.querySelector("[data-testid=bulk-reopen]").addEventListener("click", () => this.bulk({ status: "open" }));
    document.querySelector("[data-testid=bulk-merge]").addEventListener("click", () => this.openMerge());
    document.querySelector("[data-testid=bulk-clear]").addEventListener("click", () => {
      this.selected.clear();
      this.renderRows();
    });
    document.querySelector("[data-testid=save-view]").addEventListener("click", () => this.openSave());
    document.querySelector("[data-testid=new-ticket]").addEventListener("click", () => this.openNew());
    this.newDialog.el.querySelector("form").addEventListener("submit", (event) => this.createTicket(event));
    let searchTimer = null;
    this.newDialog.el.querySelector("[data-testid=new-customer-search]").addEventListener("input", (event) => {
      clearTimeout(searchTimer);
      const q = event.target.value.trim();
      searchTimer = setTimeout(() => this.findCustomers(q), 250);
    });
    this.saveDialog.el.querySelector("form").addEventListener("submit", (event) => this.saveView(event));
    this.mergeDialog.el.querySelector("form").addEventListener("submit", (event) => this.merge(event));
    window.addEventListener("popstate", () => {
      this.page = 1;
      this.renderControls();
      this.renderViews();
      this.load();
    });
    document.addEventListener("keydown", (event) => this.key(event));
  }

  change(patch) {
    const query = { ...this.query, ...patch };
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete query[key];
    this.navigate(`?${toParams(query)}`);
  }

  navigate(search) {
    history.pushState(null, "", search || "?");
    this.page = 1;
    this.renderControls();
    this.renderViews();
    this.load();
  }

  turn(step) {
    const pages = Math.max(1, Math.ceil(this.total / PAGE_SIZE));
    const next = Math.min(pages, Math.max(1, this.page + step));
    if (next === this.page) return;
    this.page = next;
    this.load();
  }

  // -------------------------------------------------------------------------------------- rows

  async load() {
    const seq = ++this.loadSeq;
    const params = toParams(this.query);
    params.set("page", String(this.page));
    params.set("page_size", String(PAGE_SIZE));
    this.el.loading.hidden = false;
    try {
      const body = await this.api.get(`/api/tickets/?${params}`);
      if (seq !== this.loadSeq) return;
      this.rows = body.results;
      this.total = body.count;
      for (const row of this.rows) this.known.set(row.id, row);
      this.focus = this.rows.length ? Math.min(Math.max(this.focus, 0), this.rows.length - 1) : -1;
      this.renderRows();
      this.loadSla(seq);
    } catch (error) {
      if (seq === this.loadSeq) this.fail(error);
    } finally {
      if (seq === this.loadSeq) this.el.loading.hidden = true;
    }
  }

  /** SLA badges for the rows on the page (one call; none when the desk has no SLA policies). */
  async loadSla(seq) {
    if (!this.rows.length) return;
    try {
      const body = await this.api.get(`/api/tickets/sla/?ids=${this.rows.map((row) => row.id).join(",")}`);
      if (seq !== this.loadSeq) return;
      this.sla = new Map(body.results.map((entry) => [entry.ticket_id, entry.clocks]));
      this.renderRows();
    } catch {
      // Without SLA clocks the list is still complete.
    }
  }

  async loadReminders() {
    try {
      const body = await this.api.get("/api/tickets/follow-ups/");
      clear(this.el.reminders);
      this.el.remindersEmpty.hidden = body.results.length > 0;
      for (const reminder of body.results) {
        this.el.reminders.append(
          h(
            "li",
            { class: reminder.fired ? "is-due" : "" },
            h(
              "a",
              { class: "view-link", href: `/console/tickets/${reminder.ticket.id}/`, title: reminder.note || reminder.ticket_subject, dataset: { testid: "reminder" } },
              reminder.fired ? h("span", { class: "urge-chip", text: t("Due") }) : h("span", { class: "muted", text: shortDate(reminder.due_at) }),
              " ",
              h("span", { text: `${reminder.ticket.number} ${reminder.ticket_subject}` }),
            ),
          ),
        );
      }
    } catch {
      // Reminders are a side list: the next refresh tries again.
    }
  }

  renderRows() {
    const { el } = this;
    clear(el.rows);
    this.rows.forEach((row, index) => el.rows.append(this.rowEl(row, index)));
    el.empty.hidden = this.rows.length > 0;
    const pages = Math.max(1, Math.ceil(this.total / PAGE_SIZE));
    el.count.textContent = this.total
      ? t("%(from)s–%(to)s of %(n)s tickets", { from: (this.page - 1) * PAGE_SIZE + 1, to: (this.page - 1) * PAGE_SIZE + this.rows.length, n: this.total })
      : "";
    el.prev.disabled = this.page <= 1;
    el.next.disabled = this.page >= pages;
    el.selectPage.checked = this.rows.length > 0 && this.rows.every((row) => this.selected.has(row.id));
    el.bulk.hidden = this.selected.size === 0;
    el.bulkCount.textContent = t("%(n)s selected", { n: this.selected.size });
    const more = this.total > this.selected.size && el.selectPage.checked;
    el.selectAll.hidden = !more;
    el.selectAll.textContent = t("Select all %(n)s matching", { n: Math.min(this.total, 500) });
  }

  rowEl(row, index) {
    const checked = this.selected.has(row.id);
    const tr = h("tr", {
      class: `ticket-row${index === this.focus ? " is-focused" : ""}${checked ? " is-selected" : ""} priority-${row.priority}`,
      dataset: { testid: "ticket-row", ticketId: String(row.id), number: row.number },
      onclick: (event) => {
        if (event.target.closest("a, input, button")) return;
        this.open(row);
      },
    });
    const box = h("input", { type: "checkbox", "aria-label": t("Select %(number)s", { number: row.number }), checked: checked || undefined, dataset: { testid: "row-check" } });
    box.addEventListener("change", () => {
      box.checked ? this.selected.add(row.id) : this.selected.delete(row.id);
      this.renderRows();
    });
    const subject = h(
      "div",
      { class: "ticket-cell-main" },
      h("a", { class: "ticket-link", href: `/console/tickets/${row.id}/`, dataset: { testid: "ticket-link" } }, h("span", { class: "ticket-number", text: row.number }), " ", h("span", { class: "ticket-subject-text", text: row.subject })),
      h(
        "div",
        { class: "ticket-cell-tags" },
        row.type ? typeChip(row.type) : null,
        row.urge_count ? h("span", { class: "urge-chip", text: t("Urged ×%(n)s", { n: row.urge_count }) }) : null,
        this.slaChipFor(row),
        row.merged_into ? h("span", { class: "tag-chip", text: t("Merged") }) : null,
        row.tags.map((tag) => h("span", { class: "tag-chip", text: tag })),
        h("span", { class: "muted ticket-stage", text: `${row.team.name} · ${row.stage.name}` }),
      ),
    );
    tr.append(
      h("td", { class: "col-check" }, box),
      h("td", {}, subject),
      h("td", { class: "col-status" }, h("span", { class: `status-chip status-${row.status}`, text: ticketStatusLabel(row.status) })),
      h("td", { class: "col-priority" }, h("span", { class: `priority-chip priority-chip--${row.priority}`, text: priorityLabel(row.priority) })),
      h("td", { class: "col-assignee" }, row.assignee ? row.assignee.name : h("span", { class: "muted", text: t("Unassigned") })),
      h("td", { class: "col-customer" }, row.customer ? row.customer.name || `#${row.customer.id}` : ""),
      h("td", { class: "col-updated", title: shortDate(row.updated_at) }, shortAge(row.updated_at)),
    );
    return tr;
  }

  slaChipFor(row) {
    const clock = this.sla && this.sla.has(row.id) ? urgentClock(this.sla.get(row.id)) : null;
    return clock ? slaChip(clock) : null;
  }

  open(row) {
    window.location.assign(`/console/tickets/${row.id}/`);
  }

  key(event) {
    const key = shortcutKey(event);
    if (!key) return;
    if (key === "/") {
      event.preventDefault();
      this.el.search.focus();
      this.el.search.select();
    } else if (key === "j" || key === "k") {
      if (!this.rows.length) return;
      this.focus = Math.min(this.rows.length - 1, Math.max(0, this.focus + (key === "j" ? 1 : -1)));
      this.renderRows();
      const focused = this.el.rows.children[this.focus];
      if (focused) focused.scrollIntoView({ block: "nearest" });
    } else if (key === "x" && this.rows[this.focus]) {
      const id = this.rows[this.focus].id;
      this.selected.has(id) ? this.selected.delete(id) : this.selected.add(id);
      this.renderRows();
    } else if ((key === "Enter" || key === "o") && this.rows[this.focus]) {
      this.open(this.rows[this.focus]);
    } else if (key === "Escape" && this.selected.size) {
      this.selected.clear();
      this.renderRows();
    }
  }

  // -------------------------------------------------------------------------------------- bulk

  async selectAllMatching() {
    try {
      const body = await this.api.get(`/api/tickets/ids/?${toParams(this.query)}`);
      for (const id of body.ids) this.selected.add(id);
      this.renderRows();
      if (body.count > body.ids.length) toast(this.el.toasts, t("Selected the first %(n)s; change them, then select again for the rest.", { n: body.ids.length }));
    } catch (error) {
      this.fail(error);
    }
  }

  async bulk(change) {
    const ids = [...this.selected];
    for (const control of [this.el.bulkAssign, this.el.bulkStage, this.el.bulkPriority]) control.value = "";
    try {
      await this.api.post("/api/tickets/bulk/", { ids, ...change });
      toast(this.el.toasts, t("%(n)s tickets updated.", { n: ids.length }), "ok");
      this.selected.clear();
      this.el.bulkTag.value = "";
      await this.load();
    } catch (error) {
      this.fail(error);
    }
  }

  openMerge() {
    const tickets = [...this.selected].map((id) => this.known.get(id)).filter(Boolean);
    if (this.selected.size < 2) return toast(this.el.toasts, t("Select two or more tickets to merge."), "error");
    if (tickets.length !== this.selected.size || tickets.length > 50) {
      return toast(this.el.toasts, t("Merge tickets you can see on the list: select at most 50."), "error");
    }
    const choices = this.mergeDialog.el.querySelector("[data-role=choices]");
    clear(choices).append(h("legend", { text: t("Keep this ticket") }));
    tickets
      .sort((a, b) => a.id - b.id)
      .forEach((ticket, index) => {
        choices.append(
          h(
            "label",
            { class: "merge-choice" },
            h("input", { type: "radio", name: "survivor", value: String(ticket.id), checked: index === 0 || undefined, dataset: { testid: "merge-survivor" } }),
            h("span", { class: "ticket-number", text: ticket.number }),
            " ",
            h("span", { text: ticket.subject }),
          ),
        );
      });
    this.mergeDialog.open();
  }

  async merge(event) {
    event.preventDefault();
    const survivor = Number(this.mergeDialog.el.querySelector("input[name=survivor]:checked").value);
    try {
      await this.api.post("/api/tickets/bulk/", { ids: [...this.selected], merge_into: survivor });
      this.mergeDialog.close();
      toast(this.el.toasts, t("Merged into %(number)s.", { number: this.known.get(survivor).number }), "ok");
      this.selected.clear();
      await this.load();
    } catch (error) {
      this.mergeDialog.fail(error instanceof ApiError ? error.text() : String(error));
    }
  }

  // -------------------------------------------------------------------------------- new ticket

  openNew() {
    if (!this.desk) return; // the desk (teams, types) is still loading
    const $d = (sel) => this.newDialog.el.querySelector(sel);
    const teams = this.desk.teams.filter((team) => team.member || this.desk.me.supervisor);
    fill($d("[data-testid=new-team]"), teams.map((team) => [String(team.id), team.name]), teams.length ? String(teams[0].id) : "");
    fill($d("[data-testid=new-priority]"), PRIORITIES.map((p) => [p, priorityLabel(p)]), "normal");
    fill($d("[data-testid=new-type]"), [["", t("No type")], ...this.desk.types.map((type) => [String(type.id), type.name])], "");
    fill(
      $d("[data-testid=new-assign]"),
      [
        ["me", t("Me")],
        ["route", t("Route it (the team's ticket queue)")],
        ["pool", t("The unassigned pool")],
      ],
      "me",
    );
    for (const sel of ["[data-testid=new-subject]", "[data-testid=new-description]", "[data-testid=new-customer-search]"]) $d(sel).value = "";
    clear($d("[data-testid=new-customer-results]"));
    $d("[data-testid=new-customer-chosen]").textContent = t("No customer yet: search, or leave it empty.");
    this.newCustomer = null;
    this.newDialog.open();
    $d("[data-testid=new-subject]").focus();
  }

  async findCustomers(q) {
    const results = clear(this.newDialog.el.querySelector("[data-testid=new-customer-results]"));
    if (q.length < 2) return;
    try {
      const body = await this.api.get(`/api/customers/?${new URLSearchParams({ q, page_size: "8" })}`);
      for (const customer of body.results) {
        const detail = [customer.email, customer.phone].filter(Boolean).join(" · ");
        results.append(
          h(
            "li",
            {},
            h(
              "button",
              { type: "button", class: "customer-result", dataset: { testid: "new-customer-option" }, onclick: () => this.chooseCustomer(customer) },
              h("strong", { text: customer.display_name }),
              detail ? h("span", { class: "muted", text: ` ${detail}` }) : null,
            ),
          ),
        );
      }
      if (!body.results.length) results.append(h("li", { class: "muted", text: t("No customer matches.") }));
    } catch (error) {
      this.newDialog.fail(error instanceof ApiError ? error.text() : String(error));
    }
  }

  chooseCustomer(customer) {
    this.newCustomer = customer;
    clear(this.newDialog.el.querySelector("[data-testid=new-customer-results]"));
    this.newDialog.el.querySelector("[data-testid=new-customer-chosen]").textContent = t("Customer: %(name)s", { name: customer.display_name });
  }

  async createTicket(event) {
    event.preventDefault();
    const $d = (sel) => this.newDialog.el.querySelector(sel);
    const assign = $d("[data-testid=new-assign]").value;
    const body = {
      team: Number($d("[data-testid=new-team]").value),
      subject: $d("[data-testid=new-subject]").value.trim(),
      description: $d("[data-testid=new-description]").value.trim(),
      priority: $d("[data-testid=new-priority]").value,
      dispatch: assign === "route",
    };
    if (assign === "me") body.assignee = this.me;
    if ($d("[data-testid=new-type]").value) body.type = Number($d("[data-testid=new-type]").value);
    if (this.newCustomer) body.customer = this.newCustomer.id;
    const submit = $d("[data-testid=new-ticket-submit]");
    submit.disabled = true;
    try {
      const ticket = await this.api.post("/api/tickets/", body);
      window.location.assign(`/console/tickets/${ticket.id}/`);
    } catch (error) {
      this.newDialog.fail(error instanceof ApiError ? error.text() : String(error));
    } finally {
      submit.disabled = false;
    }
  }

  // ------------------------------------------------------------------------------- saved views

  openSave() {
    const sharing = this.saveDialog.el.querySelector("[data-testid=view-sharing]");
    const choices = [["personal", t("Only me")], ...this.desk.teams.filter((team) => team.member).map((team) => [`team:${team.id}`, t("My team: %(name)s", { name: team.name })])];
    if (this.desk.me.supervisor) choices.push(["all", t("Every agent")]);
    fill(sharing, choices, "personal");
    this.saveDialog.el.querySelector("[data-testid=view-name]").value = "";
    this.saveDialog.open();
  }

  async saveView(event) {
    event.preventDefault();
    const name = this.saveDialog.el.querySelector("[data-testid=view-name]").value;
    const sharing = this.saveDialog.el.querySelector("[data-testid=view-sharing]").value;
    const body = { name, query: this.query, shared: sharing !== "personal", team: sharing.startsWith("team:") ? Number(sharing.slice(5)) : null };
    try {
      const view = await this.api.post("/api/tickets/views/", body);
      this.saveDialog.close();
      this.desk.views.push(view);
      this.renderViews();
      toast(this.el.toasts, t("View saved."), "ok");
    } catch (error) {
      this.saveDialog.fail(error instanceof ApiError ? error.text() : String(error));
    }
  }

  async deleteView(view) {
    if (!window.confirm(t("Delete the view %(name)s?", { name: view.name }))) return;
    try {
      await this.api.delete(`/api/tickets/views/${view.id}/`);
      this.desk.views = this.desk.views.filter((v) => v.id !== view.id);
      this.renderViews();
    } catch (error) {
      this.fail(error);
    }
  }

  fail(error) {
    toast(this.el.toasts, error instanceof ApiError ? error.text() : t("Something went wrong. Try again."), "error");
  }
}

function fill(select, choices, selected) {
  clear(select);
  let found = false;
  for (const [value, label] of choices) {
    found = found || value === selected;
    select.append(option(value, label, value === selected));
  }
  if (selected && !found) select.prepend(option(selected, t("(several)"), true));
}

new TicketList(readConfig()).start();
