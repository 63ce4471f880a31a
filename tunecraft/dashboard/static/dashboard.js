/* tunecraft dashboard pages: study list, study (live), trial. Read-only; text via textContent. */
"use strict";
(function () {
  const tc = window.tunecraft;
  const el = tc.el;
  const body = document.body;
  const REFRESH = Number(body.dataset.refresh) || 2000;
  const params = new URLSearchParams(location.search);

  function getJSON(path, query) {
    const url = path + "?" + new URLSearchParams(query || {}).toString();
    return fetch(url, { headers: { Accept: "application/json" } }).then((r) => {
      if (!r.ok) return r.json().then((e) => { throw new Error(e.detail || r.statusText); });
      return r.json();
    });
  }

  function showError(where, err) {
    where.replaceChildren(el("p", { className: "state-FAIL" }, String(err.message || err)));
  }

  function card(k, v) {
    const c = el("div", { className: "card" });
    c.append(el("div", { className: "k" }, k), el("div", { className: "v" }, v));
    return c;
  }

  function keyValueTable(obj, id) {
    const t = el("table", { className: "tc kv", id: id || "" });
    const tb = el("tbody");
    for (const [k, v] of Object.entries(obj)) {
      const tr = el("tr");
      tr.append(el("th", {}, k), el("td", {}, tc.fmt(v)));
      tb.appendChild(tr);
    }
    t.appendChild(tb);
    return t;
  }

  function seconds(s) {
    if (s < 60) return s.toFixed(1) + "s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + "m" + String(Math.floor(s % 60)).padStart(2, "0") + "s";
    const h = Math.floor(m / 60);
    return h + "h" + String(m % 60).padStart(2, "0") + "m";
  }

  /* plotly.js (the 1.2 MB partial bundle) loads async: the page fetches its data and draws
     its tables meanwhile. A figure it cannot draw (the server says "plotly": "full") loads the
     full 4.8 MB bundle in its place first. */
  function scriptLoaded(tag) {
    return new Promise((resolve, reject) => {
      if (tag.dataset.loaded) { resolve(window.Plotly); return; }
      tag.addEventListener("load", () => { tag.dataset.loaded = "1"; resolve(window.Plotly); });
      tag.addEventListener("error", () => reject(new Error("plotly.js did not load from " + tag.src)));
    });
  }
  const plotlyTag = document.getElementById("plotly-js");
  const plotlyReady = window.Plotly || !plotlyTag ? Promise.resolve(window.Plotly || null)
                                                  : scriptLoaded(plotlyTag);
  let fullPlotly = null;
  function plotlyFor(bundle) {
    if (bundle !== "full" || (plotlyTag && plotlyTag.src.endsWith("/plotly.min.js"))) return plotlyReady;
    if (!fullPlotly) {
      fullPlotly = plotlyReady.then(() => {
        const tag = el("script", { src: "/static/plotly.min.js", id: "plotly-full-js" });
        const loaded = scriptLoaded(tag);
        document.body.appendChild(tag);
        return loaded;
      });
    }
    return fullPlotly;
  }

  function studyLink(name) { return "/study?" + new URLSearchParams({ name: name }).toString(); }

  /* ---------------------------------------------------------------- study list */
  function indexPage() {
    const box = document.getElementById("studies");
    function load() {
      return getJSON("/api/studies").then((studies) => {
        if (!studies.length) { box.replaceChildren(el("p", {}, "No study in this storage.")); return; }
        const t = el("table", { className: "tc", id: "study-list" });
        const head = el("tr");
        for (const h of ["study", "directions", "best", "trials", "by state"]) head.appendChild(el("th", {}, h));
        const thead = el("thead"); thead.appendChild(head);
        const tb = el("tbody");
        for (const s of studies) {
          const tr = el("tr", { "data-study": s.name });
          const name = el("td"); name.appendChild(el("a", { href: studyLink(s.name) }, s.name));
          const counts = Object.entries(s.counts).map(([k, v]) => k.toLowerCase() + " " + v).join(", ");
          const best = s.best_value !== null && s.best_value !== undefined
            ? tc.fmt(s.best_value) + " (#" + s.best_number + ")"
            : s.n_pareto ? "Pareto front: " + s.n_pareto : "-";
          tr.append(name, el("td", {}, s.directions.join(", ")), el("td", { className: "best" }, best),
                    el("td", {}, s.n_trials), el("td", {}, counts));
          tb.appendChild(tr);
        }
        t.append(thead, tb);
        box.replaceChildren(t);
        body.dataset.ready = "1";
      }).catch((e) => showError(box, e));
    }
    load();
    setInterval(load, Math.max(REFRESH, 5000));
  }

  /* ---------------------------------------------------------------- one study */
  function studyPage() {
    const name = params.get("name") || "";
    document.title = "tunecraft: " + name;
    document.getElementById("study-name").textContent = name;
    const live = document.getElementById("live");
    const panels = document.getElementById("panels");
    let version = -1;
    let table = null;
    let columnsSeen = null;

    function summary() {
      return getJSON("/api/study", { name: name }).then((s) => {
        const cards = [card("trials", s.n_trials)];
        for (const [state, n] of Object.entries(s.counts)) if (n) cards.push(card(state.toLowerCase(), n));
        cards.push(card("wall time", seconds(s.wall_seconds)), card("trial time (sum)", seconds(s.trial_seconds)));
        document.getElementById("summary-cards").replaceChildren(...cards);
        document.getElementById("summary-cards").dataset.trials = s.n_trials;
        document.getElementById("directions").textContent = "Directions: " + s.directions.join(", ");
        const best = document.getElementById("best");
        if (!s.best.length) { best.replaceChildren(el("p", {}, "No completed trial yet.")); }
        else {
          const b = s.best[0];
          const title = s.n_best > 1 ? "Pareto front: " + s.n_best + " trials (first shown)" : "Best trial";
          const link = el("a", { href: "/trial?" + new URLSearchParams({ study: name, number: b.number }) },
                          "#" + b.number);
          const h = el("h3", {}, title + " "); h.appendChild(link);
          best.replaceChildren(h, keyValueTable(Object.assign({ values: (b.values || []).map(tc.fmt).join(", ") },
                                                             b.params), "best-params"));
        }
        if (!table) {
          columnsSeen = s.columns;
          table = tc.trialTable(document.getElementById("trials-table"), s.columns,
            (q) => getJSON("/api/trials", Object.assign({ name: name }, q)),
            { link: (row) => "/trial?" + new URLSearchParams({ study: name, number: row.number }) });
          return table.loaded;
        }
        return table.refresh();
      });
    }

    /* the training doctor's problems: trials and epochs each cost (hidden without diagnoses) */
    function problems() {
      return getJSON("/api/problems", { name: name }).then((p) => {
        if (!p.diagnosed) return;
        const section = document.getElementById("problems");
        section.hidden = false;
        document.getElementById("problems-note").textContent = "The training doctor diagnosed " +
          p.diagnosed + " trials (" + p.healthy + " healthy); per problem: trials, how they ended, epochs used.";
        const t = el("table", { className: "tc", id: "problems-tbl" });
        const head = el("tr");
        for (const h of ["problem", "trials", "ended", "epochs", "example"]) head.appendChild(el("th", {}, h));
        const tb = el("tbody");
        for (const r of p.problems) {
          const tr = el("tr");
          const ended = Object.entries(r.states).map(([s, n]) => n + " " + s.toLowerCase()).join(", ");
          for (const v of [r.code, r.trials, ended, r.epochs + " (" + Math.round(100 * r.epoch_share) + "%)",
                           r.example ? "#" + r.example.trial + ": " + r.example.evidence : ""]) tr.appendChild(el("td", {}, String(v)));
          tb.appendChild(tr);
        }
        const thead = el("thead"); thead.appendChild(head); t.append(thead, tb);
        document.getElementById("problems-table").replaceChildren(t);
        if (table && columnsSeen && !columnsSeen.diagnosis) {  // show each trial's diagnosis too
          columnsSeen = Object.assign({}, columnsSeen, { diagnosis: true });
          table = tc.trialTable(document.getElementById("trials-table"), columnsSeen,
            (q) => getJSON("/api/trials", Object.assign({ name: name }, q)),
            { link: (row) => "/trial?" + new URLSearchParams({ study: name, number: row.number }) });
        }
      }).catch(() => {});
    }

    let first = summary();  // the summary and table need no plotly.js: draw them at once
    first.then(problems);
    function poll() {
      return getJSON("/api/figures", { name: name, since: version }).then((f) => {
        live.textContent = "live, updated " + new Date().toLocaleTimeString();
        if (!f.changed) return null;
        version = f.version;
        body.dataset.version = version;
        const table = first || summary();
        first = null;
        return Promise.all([plotlyFor(f.plotly).then(() => tc.renderPanels(panels, f.panels)), table]);
      });
    }

    function loop() {
      poll().then(() => { body.dataset.ready = "1"; })
        .catch((e) => { live.textContent = "update failed: " + (e.message || e); })
        .finally(() => setTimeout(loop, REFRESH));
    }
    loop();
  }

  /* ---------------------------------------------------------------- one trial */
  function trialPage() {
    const study = params.get("study") || "";
    const number = params.get("number") || "";
    const link = document.getElementById("study-link");
    link.textContent = study; link.href = studyLink(study);
    document.getElementById("trial-title").textContent = "Trial #" + number;
    document.title = "tunecraft: " + study + " #" + number;
    function load() {
      return getJSON("/api/trial", { name: study, number: number }).then((t) => {
        document.getElementById("trial-cards").replaceChildren(
          card("state", t.state), card("values", (t.values || []).map(tc.fmt).join(", ") || "–"),
          card("duration", t.duration === null ? "–" : seconds(t.duration)),
          card("started", t.start || "–"), card("finished", t.end || "–"));
        document.getElementById("fail-reason").textContent = t.fail_reason || (t.lost ? "worker gone: " + t.lost + " (marked STALE and retried when the study next runs)" : "");
        document.getElementById("params").replaceChildren(keyValueTable(t.params, "trial-params"));
        document.getElementById("user-attrs").textContent = JSON.stringify(t.user_attrs, null, 2);
        document.getElementById("system-attrs").textContent = JSON.stringify(t.system_attrs, null, 2);
        const reports = document.getElementById("reports");
        if (t.intermediate_values.length) {
          return plotlyReady.then((Plotly) => Plotly.react(reports, [{ type: "scatter", mode: "lines+markers",
            x: t.intermediate_values.map((p) => p[0]), y: t.intermediate_values.map((p) => p[1]) }],
            { height: 320, margin: { l: 60, r: 20, t: 20, b: 40 }, xaxis: { title: { text: "Step" } } },
            { displaylogo: false, responsive: true })).then(() => t);
        }
        reports.textContent = "No reported values.";
        return t;
      }).then((t) => {
        body.dataset.ready = "1";
        return t.state;
      });
    }
    function loop() {
      load().then((state) => { if (state === "RUNNING" || state === "WAITING") setTimeout(loop, REFRESH); })
        .catch((e) => showError(document.querySelector("main"), e));
    }
    loop();
  }

  const pages = { index: indexPage, study: studyPage, trial: trialPage };
  (pages[body.dataset.page] || (() => {}))();
})();
