// cryptotrace explorer: the graph on screen (Cytoscape.js) for the Jupyter widget (anywidget) and
// the standalone HTML file. The model lives in Python; this file draws it, lays it out left to
// right in time, and sends clicks back. In the standalone file there is no Python: a click opens
// the one-hop neighbours saved with the file ("reserve").
// Edges are derived from the nodes: A -> B for every transaction in A.s (spends A's coins) and
// B.m (made B's coins); the Python model (model.py, GraphModel.edges_of) uses the same rule.

const COL_W = 170, ROW_H = 46;

function cyLib() {
  const c = globalThis.__ctCytoscape || globalThis.cytoscape;
  if (!c) throw new Error("cytoscape is not loaded");
  return c;
}

function btc(sats) {
  if (sats === null || sats === undefined || Number.isNaN(sats)) return "";
  return (sats / 1e8).toFixed(8) + " BTC";
}

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

function short(id) {
  const s = String(id);
  return s.length > 20 ? s.slice(0, 8) + "…" + s.slice(-6) : s;
}

export function deriveEdges(nodes, txs, hubLinks = 36) {
  // returns {edges, hubs}: a transaction with >= 2 nodes on each side and more than hubLinks pairs
  // becomes a small node of its own ("tx <txid>"), as in model.py GraphModel.edges_of
  const madeBy = new Map(), spentBy = new Map();
  const push = (m, k, id) => { if (!m.has(k)) m.set(k, new Set()); m.get(k).add(id); };
  for (const n of nodes) {
    for (const k of n.m || []) push(madeBy, k, n.id);
    for (const k of n.s || []) push(spentBy, k, n.id);
  }
  const edges = new Map(), hubs = [];
  const add = (a, b, k) => {
    const key = a + "\u2192" + b;
    if (!edges.has(key)) edges.set(key, {id: key, source: a, target: b, tx: []});
    const e = edges.get(key);
    if (!e.tx.includes(k)) e.tx.push(k);
  };
  for (const [k, ins] of spentBy) {
    const outs = madeBy.get(k);
    if (!outs) continue;
    const t = (txs && txs[k]) || {};
    if (ins.size >= 2 && outs.size >= 2 && ins.size * outs.size > hubLinks) {
      const hub = "tx " + (t.txid || "#" + k);
      hubs.push({id: hub, kind: "transaction", group: "transaction", shape: "ellipse", t: t.t ?? 0,
        order: 1e12, s: [], m: [], txid: t.txid, rule: t.rule, label: "",
        desc: `Transaction ${t.txid}: ${ins.size} node(s) in, ${outs.size} out on screen; links go through it.\n${t.rule || ""}`});
      for (const a of ins) add(a, hub, k);
      for (const b of outs) add(hub, b, k);
    } else {
      for (const a of ins) for (const b of outs) if (a !== b) add(a, b, k);
    }
  }
  const list = [...edges.values()].map((e) => {
    e.tx.sort((x, y) => Number(x) - Number(y));
    const t = (txs && txs[e.tx[0]]) || {};
    return {...e, txid: t.txid || "", rule: t.rule || "", n_txs: e.tx.length};
  });
  return {edges: list, hubs};
}

export function layout(nodes) {
  // columns: distinct time keys in order (left to right in time); rows: the order nodes came in
  const ts = [...new Set(nodes.map((n) => n.t))].sort((a, b) => a - b);
  const col = new Map(ts.map((t, i) => [t, i]));
  const byCol = new Map();
  for (const n of nodes) {
    const c = col.get(n.t);
    if (!byCol.has(c)) byCol.set(c, []);
    byCol.get(c).push(n);
  }
  const pos = {};
  for (const [c, list] of byCol) {
    list.sort((a, b) => a.order - b.order);
    list.forEach((n, i) => { pos[n.id] = {x: c * COL_W, y: (i - (list.length - 1) / 2) * ROW_H}; });
  }
  return pos;
}

const STYLE = [
  {selector: "node", style: {
    "background-color": "data(colour)", "shape": "data(shape)", "label": "data(label)",
    "font-size": 9, "min-zoomed-font-size": 7, "text-valign": "bottom", "text-margin-y": 3, "width": "data(size)", "height": "data(size)",
    "border-width": 1, "border-color": "#000"}},
  {selector: "node:selected", style: {"border-width": 4, "border-color": "#D55E00"}},
  {selector: "edge", style: {
    "width": "data(w)", "line-color": "#777", "target-arrow-color": "#777", "target-arrow-shape": "triangle",
    "curve-style": "straight", "opacity": 0.7}},
  {selector: "edge:selected", style: {"line-color": "#D55E00", "target-arrow-color": "#D55E00"}},
];

function nodeElements(nodes, legend) {
  const colour = {...Object.fromEntries(legend.groups.map((g) => [g[0], g[1]])), transaction: "#000000"};
  const pos = layout(nodes);
  return nodes.map((n) => ({
    group: "nodes",
    data: {...n, colour: colour[n.group] || "#999", size: n.kind === "transaction" ? 8 : n.shape === "hexagon" ? 26 : 18,
      label: n.label ?? short(n.id)},
    position: pos[n.id],
  }));
}

function edgeElements(edges) {
  return edges.map((e) => ({group: "edges", data: {...e, w: 1 + Math.min(4, Math.log2(1 + (e.n_txs || 1)))}}));
}

function tooltipHtml(d, isEdge) {
  if (d.kind === "transaction") return `<b>transaction</b> ${esc(d.txid)}<br><b>rule</b> ${esc(d.rule)}`;
  if (isEdge) {
    return `<b>transaction</b> ${esc(d.txid)}${d.n_txs > 1 ? ` (+${d.n_txs - 1} more)` : ""}<br>` +
      `<b>rule</b> ${esc(d.rule)}`;
  }
  const rows = [[d.kind || "coin", d.id], ["amount", btc(d.value)]];
  if (d.traced !== null && d.traced !== undefined) {
    rows.push(["traced", btc(d.traced) + (d.share !== null && d.share !== undefined ? ` (${(100 * d.share).toFixed(1)}%)` : "")]);
  }
  if (d.eur !== null && d.eur !== undefined) rows.push(["EUR", d.eur.toFixed(2) + " EUR"]);
  rows.push(["address", d.address || "(none)"]);
  if (d.cluster !== null && d.cluster !== undefined) rows.push(["cluster", d.cluster]);
  if (d.tag) rows.push(["tag", `${d.tag} (${d.category || "no category"}; confidence ${d.confidence || "unknown"}; source ${d.source || "unknown"})`]);
  rows.push(["colour", d.group]);
  if (d.n_coins > 1) rows.push(["coins", d.n_coins]);
  return rows.map(([k, v]) => `<b>${esc(k)}</b> ${esc(v)}`).join("<br>");
}

const CSS = `
.ctx-root{font-family:system-ui,sans-serif;font-size:12px;display:flex;flex-direction:column;border:1px solid #ccc;background:#fff;color:#222}
.ctx-bar{display:flex;gap:8px;align-items:center;padding:4px 6px;border-bottom:1px solid #ddd;flex-wrap:wrap}
.ctx-main{display:flex;height:520px}
.ctx-graph{flex:1;position:relative;min-width:300px}
.ctx-side{width:300px;border-left:1px solid #ddd;padding:6px;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.ctx-tip{position:absolute;pointer-events:none;background:#fffff0;border:1px solid #888;padding:4px;max-width:360px;z-index:10;display:none;font-size:11px;word-break:break-all}
.ctx-legend{padding:4px 6px;border-top:1px solid #ddd;display:flex;flex-wrap:wrap;gap:10px}
.ctx-sw{display:inline-block;width:11px;height:11px;border:1px solid #000;margin-right:3px;vertical-align:middle}
.ctx-notice{background:#fff3cd;padding:3px 6px;display:none}
.ctx-side textarea{width:95%;height:60px}
`;

export function mount(el, store) {
  const cytoscape = cyLib();
  if (!document.getElementById("ctx-style")) {
    const st = document.createElement("style");
    st.id = "ctx-style"; st.textContent = CSS; document.head.appendChild(st);
  }
  el.innerHTML = `
<div class="ctx-root">
  <div class="ctx-bar">
    <b class="ctx-title"></b>
    <label>a click opens <select class="ctx-dir"><option value="forward">forward (where it went)</option>
      <option value="backward">backward (where it came from)</option></select></label>
    <label>nodes are <select class="ctx-view"></select></label>
    <button class="ctx-fit">fit</button><button class="ctx-png">PNG</button>
    <span class="ctx-count"></span>
  </div>
  <div class="ctx-notice"></div>
  <div class="ctx-main"><div class="ctx-graph"><div class="ctx-tip"></div></div><div class="ctx-side">Click a coin: it opens one step and its details show here. Double click: close what it opened. Shift+click: open backward.</div></div>
  <div class="ctx-legend"></div>
</div>`;
  const $ = (s) => el.querySelector(s);
  const gdiv = $(".ctx-graph"), tip = $(".ctx-tip"), side = $(".ctx-side");
  // large views stay smooth: edges hidden and a texture used while panning or zooming
  const cy = cytoscape({container: gdiv, style: STYLE, elements: [], layout: {name: "preset"},
    textureOnViewport: true, hideEdgesOnViewport: (store.graph().nodes || []).length > 1000,
    minZoom: 0.05, maxZoom: 4, boxSelectionEnabled: true});
  el.__cy = cy;
  // when the graph was first drawn (ms since the page started loading): benchmarks/bench_explore.py reads it
  cy.one("render", () => { if (globalThis.__ctFirstPaint === undefined) globalThis.__ctFirstPaint = performance.now(); });
  globalThis.__ctExplorers = (globalThis.__ctExplorers || []).concat([cy]);

  function fitView() {
    cy.fit(undefined, 20);
    if (cy.zoom() > 1.2) { cy.zoom(1.2); cy.center(); }
  }

  function draw(graph, {fit = false} = {}) {
    const {edges, hubs} = deriveEdges(graph.nodes, graph.txs, graph.hub_links ?? 36);
    const all = graph.nodes.concat(hubs);
    cy.batch(() => {
      const keep = new Set(all.map((n) => n.id));
      cy.elements().filter((e) => e.isEdge() || !keep.has(e.id())).remove();
      const els = nodeElements(all, graph.legend);
      for (const e of els) {
        const have = cy.getElementById(e.data.id);
        if (have.nonempty()) { have.data(e.data); have.position(e.position); } else cy.add(e);
      }
      cy.add(edgeElements(edges));
    });
    if (fit) fitView();
    else if (cy.nodes().length) {  // keep what a click opened on screen
      const bb = cy.elements().boundingBox(), ex = cy.extent();
      if (bb.x1 < ex.x1 || bb.x2 > ex.x2 || bb.y1 < ex.y1 || bb.y2 > ex.y2) fitView();
    }
    $(".ctx-title").textContent = graph.title || "";
    $(".ctx-count").textContent = `${graph.nodes.length} nodes` + (hubs.length ? ` (+${hubs.length} transactions)` : "") + `, ${edges.length} links`;
    const notice = $(".ctx-notice");
    notice.textContent = graph.notice || ""; notice.style.display = graph.notice ? "block" : "none";
    const vs = $(".ctx-view");
    vs.innerHTML = (graph.views || [graph.view]).map((v) => `<option${v === graph.view ? " selected" : ""}>${esc(v)}</option>`).join("");
    vs.disabled = !store.canSwitch;
    const lg = graph.legend;
    $(".ctx-legend").innerHTML = lg.groups.map((g) => `<span><span class="ctx-sw" style="background:${esc(g[1])}"></span>${esc(g[0])}: ${esc(g[2])}</span>`).join("")
      + lg.shapes.map((s) => `<span>${esc(s[0])} = ${esc(s[1])}</span>`).join("");
    el.dataset.nodes = String(graph.nodes.length);
    el.dataset.edges = String(edges.length);
  }

  function showSide(id) {
    const n = cy.getElementById(id);
    if (n.empty()) return;
    const d = n.data();
    const extra = store.details(id);
    side.innerHTML = `<div class="ctx-desc">${esc(extra || d.desc || "")}</div>` +
      `<p><b>Note</b><br><textarea class="ctx-note">${esc(store.note(id) || "")}</textarea><br>` +
      `<button class="ctx-save">save note</button>` +
      (store.canCase ? ` <button class="ctx-case">add to case</button>` : "") + `</p>`;
    side.querySelector(".ctx-save").onclick = () => store.setNote(id, side.querySelector(".ctx-note").value);
    const c = side.querySelector(".ctx-case");
    if (c) c.onclick = () => store.addToCase(id, side.querySelector(".ctx-note").value);
  }

  let timer = null, lastSel = null;
  cy.on("tap", "node", (ev) => {
    const id = ev.target.id();
    if (ev.target.data("kind") === "transaction") { lastSel = id; showSide(id); return; }
    const dir = ev.originalEvent && ev.originalEvent.shiftKey ? "backward" : $(".ctx-dir").value;
    clearTimeout(timer);
    timer = setTimeout(() => { store.expand(id, dir); }, 260);
    lastSel = id; showSide(id);
  });
  cy.on("dbltap", "node", (ev) => {
    clearTimeout(timer);
    if (ev.target.data("kind") !== "transaction") store.collapse(ev.target.id());
  });
  let selTimer = null;
  cy.on("select unselect", () => {
    clearTimeout(selTimer);
    selTimer = setTimeout(() => store.select(cy.$("node:selected").filter((n) => n.data("kind") !== "transaction").map((n) => n.id())), 50);
  });
  cy.on("mouseover", "node, edge", (ev) => {
    tip.innerHTML = tooltipHtml(ev.target.data(), ev.target.isEdge());
    const p = ev.renderedPosition || ev.target.renderedMidpoint?.() || {x: 0, y: 0};
    tip.style.display = "block";
    const w = tip.offsetWidth, h = tip.offsetHeight;  // keep the tooltip inside the graph
    tip.style.left = Math.max(0, p.x + 12 + w > gdiv.clientWidth ? p.x - 12 - w : p.x + 12) + "px";
    tip.style.top = Math.max(0, p.y + 12 + h > gdiv.clientHeight ? p.y - 12 - h : p.y + 12) + "px";
  });
  cy.on("mouseout", "node, edge", () => { tip.style.display = "none"; });
  $(".ctx-fit").onclick = fitView;
  $(".ctx-png").onclick = () => {
    const url = cy.png({full: true, scale: 2, bg: "#ffffff"});
    const a = document.createElement("a");
    a.href = url; a.download = "explorer.png"; document.body.appendChild(a); a.click(); a.remove();
    store.png(url);
  };
  $(".ctx-view").onchange = (ev) => store.setView(ev.target.value);
  store.onGraph((g, opts) => { draw(g, opts); if (lastSel) showSide(lastSel); });
  store.onDetails((id) => { if (id === lastSel) showSide(id); });
  // in a notebook the element is attached (and gets its size) after render: fit once it has one
  let fitted = false;
  const ro = new ResizeObserver(() => {
    cy.resize();
    if (!fitted && gdiv.clientWidth > 0 && gdiv.clientHeight > 0) { fitted = true; fitView(); }
  });
  ro.observe(gdiv);
  cy.on("destroy", () => ro.disconnect());
  draw(store.graph(), {fit: true});
  return cy;
}

// ------------------------------------------------------------------ standalone (no Python)
export function standaloneStore(data) {
  let graph = data;
  const listeners = [];
  const notes = {};
  const reserve = data.reserve || {forward: {}, backward: {}, nodes: {}};
  return {
    canSwitch: false, canCase: false,
    graph: () => graph,
    details: (id) => { const n = graph.nodes.find((x) => x.id === id); return n ? n.desc + (n.m && n.m.length && graph.txs[n.m[0]] && graph.txs[n.m[0]].explain ? "\n\nThe transaction that made it:\n" + graph.txs[n.m[0]].explain : "") : ""; },
    note: (id) => notes[id],
    setNote: (id, text) => { notes[id] = text; },
    addToCase: () => {},
    png: () => {},
    select: () => {},
    setView: () => {},
    expand(id, dir) {
      const want = (reserve[dir] || {})[id];
      const have = new Set(graph.nodes.map((n) => n.id));
      if (!want) { graph = {...graph, notice: `No saved neighbours for ${short(id)}: open it in Python (ct.explore) to go further.`}; listeners.forEach((f) => f(graph, {})); return; }
      let order = Math.max(0, ...graph.nodes.map((n) => n.order)) + 1;
      const add = want.filter((k) => !have.has(k)).map((k) => ({...reserve.nodes[k], origin: id, order: order++}));
      graph = {...graph, nodes: graph.nodes.concat(add), notice: data.notice || ""};
      listeners.forEach((f) => f(graph, {}));
    },
    collapse(id) {
      let drop = new Set(), front = new Set([id]);
      while (front.size) {
        const next = new Set();
        for (const n of graph.nodes) if (front.has(n.origin) && !drop.has(n.id) && n.id !== id) { drop.add(n.id); next.add(n.id); }
        front = next;
      }
      graph = {...graph, nodes: graph.nodes.filter((n) => !drop.has(n.id))};
      listeners.forEach((f) => f(graph, {}));
    },
    onGraph: (f) => listeners.push(f),
    onDetails: () => {},
  };
}

// ------------------------------------------------------------------ Jupyter widget (anywidget)
function widgetStore(model) {
  const gl = [], dl = [];
  model.on("change:graph", () => gl.forEach((f) => f(model.get("graph"), {})));
  model.on("change:details", () => { const d = model.get("details") || {}; dl.forEach((f) => f(d.id)); });
  return {
    canSwitch: true, canCase: true,
    graph: () => model.get("graph"),
    details: (id) => { const d = model.get("details") || {}; return d.id === id ? d.text : null; },
    note: (id) => (model.get("_notes") || {})[id],
    setNote(id, text) { model.set("_notes", {...(model.get("_notes") || {}), [id]: text}); model.save_changes(); },
    addToCase(id, note) { model.send({type: "add_to_case", id, note}); },
    png(url) { model.send({type: "png", data: url}); },
    select(ids) { model.set("selected_ids", ids); model.save_changes(); },
    setView(v) { model.set("view", v); model.save_changes(); },
    expand(id, dir) { model.send({type: "expand", id, direction: dir}); },
    collapse(id) { model.send({type: "collapse", id}); },
    onGraph: (f) => gl.push(f),
    onDetails: (f) => dl.push(f),
  };
}

function render({model, el}) {
  const cy = mount(el, widgetStore(model));
  model.on("msg:custom", (msg) => {
    if (msg && msg.type === "png_request") model.send({type: "png", data: cy.png({full: true, scale: 2, bg: "#ffffff"})});
  });
  return () => cy.destroy();
}

export default {render};
