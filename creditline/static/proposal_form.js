// Proposal form: indicator rows, units that follow the stream, and the live what-if verdict.
(function () {
  const form = document.getElementById("proposal-form");
  if (!form) return;
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const table = document.querySelector("#indicator-table tbody");
  const rowsInput = document.getElementById("indicator_rows");

  // Name a field as the form shows it: its label, or its fieldset's legend, or its section heading.
  function labelOf(name) {
    const el = form.querySelector(`[name="${name}"]`) || form.querySelector(`[name^="${name}."]`);
    const legend = el && el.closest("fieldset") && el.closest("fieldset").querySelector("legend");
    if (legend) return legend.textContent.trim().toLowerCase();
    if (el && el.labels && el.labels.length) return el.labels[0].textContent.trim().toLowerCase();
    if (el && el.closest("section")) {
      const heading = el.closest("section").querySelector("h2");
      if (heading) return heading.textContent.trim().toLowerCase();
    }
    return name.replace(/[._]/g, " ");
  }

  function syncUnit(select) {
    const unit = select.selectedOptions[0].dataset.unit;
    select.closest("tr").querySelector("input.unit").value = unit;
  }
  table.addEventListener("change", (e) => { if (e.target.matches("select.stream")) syncUnit(e.target); });
  table.querySelectorAll("select.stream").forEach(syncUnit);

  // The what-if says why a field is refused, in the words the page uses (never a field path).
  const PLAIN = {
    "Missing data for required field.": "enter it", "Field may not be null.": "enter it",
    "Not a valid number.": "enter a number, e.g. 12,500.00", "Not a valid decimal.": "enter a number, e.g. 12,500.00",
    "Not a valid integer.": "enter a whole number", "Not a valid string.": "enter text",
    "Not a valid date.": "enter a date as YYYY-MM-DD", "Unknown field.": "not a field of this form",
  };
  const ROWS = { indicators: "Indicator", cost_items: "Cost item" };
  function flatten(errors, prefix, out) {
    if (Array.isArray(errors) && errors.every((e) => typeof e === "string")) { out.push([prefix, errors]); return out; }
    for (const [k, v] of Object.entries(errors || {})) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  function reasonOf(name, messages) {
    const parts = name.split(".");
    let label;
    if (parts.length >= 2 && ROWS[parts[0]] && /^\d+$/.test(parts[1])) {
      label = `${ROWS[parts[0]]} ${Number(parts[1]) + 1}` + (parts[2] ? `: ${parts.slice(2).join(" ").replace(/_/g, " ")}` : "");
    } else {
      label = labelOf(name);
      label = label.charAt(0).toUpperCase() + label.slice(1);
    }
    const text = messages.map((m) => PLAIN[m] || m.replace(/Decimal\('([^']*)'\)/g, "$1")).join("; ");
    return `${label}: ${text}`;
  }

  document.getElementById("add-indicator").addEventListener("click", () => {
    const n = table.rows.length;
    const clone = table.rows[0].cloneNode(true);
    clone.querySelectorAll("[name]").forEach((el) => {
      el.name = el.name.replace(/^indicators\.\d+\./, `indicators.${n}.`);
      if (el.id) el.id = el.id.replace(/^f-indicators-\d+-/, `f-indicators-${n}-`);
      el.setAttribute("aria-label", el.getAttribute("aria-label").replace(/\d+$/, String(n + 1)));
      if (el.tagName === "INPUT" && !el.readOnly) el.value = "";
    });
    clone.querySelectorAll(".error").forEach((el) => el.remove());
    table.appendChild(clone);
    rowsInput.value = table.rows.length;
    syncUnit(clone.querySelector("select.stream"));
  });

  const costs = document.querySelector("#cost-table tbody");
  document.getElementById("add-cost").addEventListener("click", () => {
    const n = costs.rows.length;
    const clone = costs.rows[0].cloneNode(true);
    clone.querySelectorAll("[name]").forEach((el) => {
      el.name = el.name.replace(/^cost_items\.\d+\./, `cost_items.${n}.`);
      if (el.id) el.id = el.id.replace(/^f-cost_items-\d+-/, `f-cost_items-${n}-`);
      el.setAttribute("aria-label", el.getAttribute("aria-label").replace(/\d+$/, String(n + 1)));
      if (el.tagName === "INPUT") el.value = "";
    });
    clone.querySelectorAll(".error").forEach((el) => el.remove());
    costs.appendChild(clone);
    document.getElementById("cost_rows").value = costs.rows.length;
  });

  function body() {
    const data = new FormData(form);
    const out = { technology: {}, indicators: [] };
    const money = ["investment", "eligible_cost", "loan_amount", "own_contribution", "annual_savings", "annual_extra_operating_cost"];
    for (const k of ["title", "currency", "output_unit", "main_indicator"]) if (data.get(k)) out[k] = data.get(k);
    for (const k of money) if (data.get(k)) out[k] = Number(data.get(k)).toFixed(2);
    for (const k of ["economic_life_years", "implementation_months", "credit_line_id", "enterprise_id"]) if (data.get(k)) out[k] = parseInt(data.get(k), 10);
    out.cp_options = data.getAll("cp_options");
    for (const k of ["description", "supplier", "readiness", "class"]) if (data.get(`technology.${k}`)) out.technology[k] = data.get(`technology.${k}`);
    for (let n = 0; n < table.rows.length; n++) {
      const row = {};
      for (const c of ["stream", "unit", "baseline_quantity", "baseline_output", "projected_quantity", "projected_output"]) row[c] = data.get(`indicators.${n}.${c}`) || "";
      if (row.baseline_quantity && row.baseline_output && row.projected_quantity && row.projected_output) out.indicators.push(row);
    }
    const items = [];
    for (let n = 0; n < costs.rows.length; n++) {
      const amount = data.get(`cost_items.${n}.amount`);
      if (amount) items.push({ category: data.get(`cost_items.${n}.category`), description: data.get(`cost_items.${n}.description`) || "", amount: Number(amount).toFixed(2) });
    }
    // With items the eligible cost is computed; a stale typed figure would only contradict them.
    if (items.length) { out.cost_items = items; delete out.eligible_cost; }
    return out;
  }

  const status = document.getElementById("whatif-status");
  const result = document.getElementById("whatif-result");
  const set = (id, v) => { document.getElementById(id).textContent = v; };
  let timer = null, seq = 0;
  async function recalc() {
    const mine = ++seq;
    const res = await fetch("/api/v1/score", { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(body()) });
    if (mine !== seq) return;  // a newer edit already asked again
    const json = await res.json();
    if (!res.ok) {
      result.hidden = true;
      const reasons = flatten(json.errors || {}, "", []).map(([name, messages]) => reasonOf(name, messages));
      status.textContent = reasons.length ? `Not scored yet. ${reasons.join(". ")}.` : json.message;
      return;
    }
    status.textContent = "Verdict for the figures above (not saved):";
    result.hidden = false;
    set("whatif-decision", json.decision);
    for (const k of ["total", "technical", "economic", "environmental"]) set(`whatif-${k}`, json.scores[k]);
    set("whatif-npv", json.metrics.npv === null ? "n/a" : Number(json.metrics.npv).toLocaleString());
    set("whatif-payback", json.metrics.simple_payback_years ?? "never");
    set("whatif-improvement", json.metrics.main_improvement === null ? "n/a" : `${(json.metrics.main_improvement * 100).toFixed(1)}%`);
    const hints = document.getElementById("whatif-hints");
    hints.replaceChildren(...(json.hints || []).map((h) => { const li = document.createElement("li"); li.textContent = h; return li; }));
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(recalc, 400); });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(recalc, 200); });
  recalc();
})();
