/* tunecraft report and dashboard front end: plots (plotly.js) and the trials table.
   Every string from the study is inserted with textContent, never as HTML. */
"use strict";
(function (global) {
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "className") node.className = v; else node.setAttribute(k, v);
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fmt(v) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number") {
      if (Number.isInteger(v)) return String(v);
      const a = Math.abs(v);
      return (a !== 0 && (a < 1e-3 || a >= 1e5)) ? v.toExponential(4) : String(+v.toPrecision(6));
    }
    return String(v);
  }

  /* a short toolbar (zoom, pan, reset, save): it sits above each figure's title */
  const PLOT_CONFIG = { responsive: true, displaylogo: false,
                        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d",
                                                 "hoverClosestCartesian", "hoverCompareCartesian",
                                                 "toggleSpikelines"] };
  const WIDE = new Set(["slice", "intermediate", "timeline", "parallel"]);

  /* Draw panels [{key, figure, note}] into container, one after another (the first ones show
     while the rest draw); reuses the divs, so a refresh updates the plots in place. */
  async function renderPanels(container, panels) {
    for (const p of panels) {
      let box = container.querySelector('[data-panel="' + p.key + '"]');
      if (!box) {
        box = el("div", { className: "panel" + (WIDE.has(p.key) ? " wide" : ""),
                          "data-panel": p.key });
        container.appendChild(box);
      }
      if (!p.figure) {
        if (box.dataset.plotted) { global.Plotly.purge(box); delete box.dataset.plotted; }
        box.replaceChildren(el("div", { className: "note" }, p.key + ": " + p.note));
        continue;
      }
      if (!box.dataset.plotted) box.replaceChildren();
      box.dataset.plotted = "1";
      const t0 = performance.now();
      await global.Plotly.react(box, p.figure.data, p.figure.layout, PLOT_CONFIG);
      box.dataset.ms = Math.round(performance.now() - t0);
    }
  }

  /* The rows of tunecraft/viz/table.py's columnar(): {number, state, values, params,
     duration, diagnosis} objects again (a null parameter is one the trial does not have). */
  function fromColumns(cols) {
    const names = Object.keys(cols.params);
    return cols.number.map((number, i) => {
      const params = {};
      for (const n of names) {
        const v = cols.params[n][i];
        if (v !== null) params[n] = v;
      }
      return { number: number, state: cols.states[cols.state[i]], values: cols.values[i],
               params: params, duration: cols.duration[i], diagnosis: cols.diagnosis[i] };
    });
  }

  /* Sorting and filtering rules of tunecraft/viz/table.py, for the offline report. */
  function rowKey(row, sort) {
    if (sort === "number") return row.number;
    if (sort === "duration") return row.duration;
    if (sort.startsWith("value")) {
      const i = Number(sort.slice(5) || 0);
      return row.values && i < row.values.length ? row.values[i] : null;
    }
    if (sort === "diagnosis") return row.diagnosis || null;
    if (sort.startsWith("param:")) {
      const v = row.params[sort.slice(6)];
      return v === undefined || v === null ? null : (typeof v === "number" ? v : String(v));
    }
    return null;
  }

  function rowText(row) {
    const ps = Object.entries(row.params).map(([k, v]) => k + "=" + v).join(" ");
    return ("#" + row.number + " " + row.state + " " + ps + " " + (row.diagnosis || "")).toLowerCase();
  }

  function localSource(allRows) {
    return function (query) {
      let rows = allRows;
      if (query.state) rows = rows.filter((r) => r.state === query.state.toUpperCase());
      if (query.q) {
        const needle = query.q.toLowerCase();
        rows = rows.filter((r) => rowText(r).includes(needle));
      }
      if (query.sort !== "number" || query.desc) {
        const present = [], missing = [];
        for (const r of rows) {
          const k = rowKey(r, query.sort);
          (k === null || k === undefined ? missing : present).push([k, r]);
        }
        const sign = query.desc ? -1 : 1;
        present.sort((a, b) => sign * (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        rows = present.map((p) => p[1]).concat(missing.map((p) => p[1]));
      }
      return Promise.resolve({ total: rows.length,
                               rows: rows.slice(query.offset, query.offset + query.limit) });
    };
  }

  /* A sortable, filterable, paged table. source(query) -> Promise<{total, rows}>. */
  function trialTable(container, columns, source, opts) {
    opts = opts || {};
    const state = { sort: "number", desc: false, state: "", q: "", offset: 0,
                    limit: opts.limit || 50 };
    const bar = el("div", { className: "toolbar" });
    const filter = el("input", { type: "search", placeholder: "filter: text in params…",
                                 "aria-label": "filter trials" });
    const select = el("select", { "aria-label": "state" });
    for (const s of ["", "COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING", "STALE"]) {
      select.appendChild(el("option", { value: s }, s || "all states"));
    }
    const prev = el("button", { type: "button" }, "‹ prev");
    const next = el("button", { type: "button" }, "next ›");
    const info = el("span", { className: "muted tc-page-info" });
    bar.append(filter, select, prev, next, info);
    const table = el("table", { className: "tc trials" });
    const scroll = el("div", { className: "scroll" });
    scroll.appendChild(table);
    container.replaceChildren(bar, scroll);

    const cols = [["number", "#"], ["state", "state"]];
    if (columns.n_objectives === 1) cols.push(["value", "value"]);
    else for (let i = 0; i < columns.n_objectives; i++) cols.push(["value" + i, "value " + i]);
    cols.push(["duration", "duration (s)"]);
    if (columns.diagnosis) cols.push(["diagnosis", "diagnosis"]);
    for (const p of columns.params) cols.push(["param:" + p, p]);
    const head = el("tr");
    for (const [key, label] of cols) {
      const th = el("th", { "data-sort": key }, label);
      if (key !== "state") th.addEventListener("click", () => {
        if (state.sort === key) state.desc = !state.desc; else { state.sort = key; state.desc = false; }
        state.offset = 0; load();
      });
      head.appendChild(th);
    }
    const thead = el("thead"); thead.appendChild(head);
    const tbody = el("tbody");
    table.append(thead, tbody);

    function cell(row, key) {
      if (key === "number") {
        const td = el("td");
        const href = opts.link ? opts.link(row) : null;
        td.appendChild(href ? el("a", { href: href }, row.number) : document.createTextNode(row.number));
        return td;
      }
      if (key === "state") return el("td", { className: "state-" + row.state }, row.state);
      if (key === "duration") return el("td", {}, fmt(row.duration));
      if (key === "diagnosis") return el("td", { className: row.diagnosis && row.diagnosis !== "healthy" ? "diagnosis-sick" : "" }, row.diagnosis || "–");
      if (key.startsWith("value")) return el("td", {}, fmt(rowKey(row, key)));
      const text = fmt(row.params[key.slice(6)]);
      return el("td", { title: text }, text);
    }

    let seq = 0;
    function load() {
      const mine = ++seq;
      return source(Object.assign({}, state)).then((page) => {
        if (mine !== seq) return;
        const body = document.createDocumentFragment();
        for (const row of page.rows) {
          const tr = el("tr", { "data-number": row.number });
          for (const [key] of cols) tr.appendChild(cell(row, key));
          body.appendChild(tr);
        }
        tbody.replaceChildren(body);
        for (const th of head.children) {
          th.classList.toggle("sorted", th.dataset.sort === state.sort);
          th.classList.toggle("desc", th.dataset.sort === state.sort && state.desc);
        }
        const end = Math.min(state.offset + state.limit, page.total);
        info.textContent = page.total ? (state.offset + 1) + "–" + end + " of " + page.total
                                      : "no trials";
        container.dataset.total = page.total;
        prev.disabled = state.offset === 0;
        next.disabled = end >= page.total;
      });
    }
    let timer = null;
    filter.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => { state.q = filter.value; state.offset = 0; load(); }, 200);
    });
    select.addEventListener("change", () => { state.state = select.value; state.offset = 0; load(); });
    prev.addEventListener("click", () => { state.offset = Math.max(0, state.offset - state.limit); load(); });
    next.addEventListener("click", () => { state.offset += state.limit; load(); });
    const first = load();
    return { refresh: load, loaded: first };
  }

  global.tunecraft = { el, fmt, renderPanels, fromColumns, localSource, trialTable };
})(window);
