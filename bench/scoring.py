"""Batch scoring speed: N synthetic proposals through a rulebook, and the same table in zen-engine.

    python bench/scoring.py [N] [--rulebook gctf-vn] [--zen 2000]

Prints two figures, each against the goals (under 1 s, under 1 GB, identical to scoring one at a
time):

(a) scoring prepared columns: the rulebook evaluation plus every finance metric, IRR included,
    over column arrays already built;
(b) the end-to-end batch path from rows, exactly what ``POST /score/batch`` and ``flask score``
    run (:func:`creditline.scoring.batch.score_rows`): every row checked (column-wise fast checks
    generated from the bounds declared in creditline/proposal_inputs.py; the rows they cannot decide through the schema and the engine's
    completeness check), the columns built, the evaluation, one result per row; with the time of
    each stage.

(d) the file end to end, exactly what ``flask score`` runs: the synthetic rows written to a CSV
    first (untimed, in the upload template's wide form), then read (Arrow's CSV reader, into Arrow
    text columns), scored in blocks of ``flask score``'s CHUNK rows (every cell checked column by
    column, :mod:`creditline.scoring.batch_frame`; the evaluation; the flat result table), and the
    results CSV written; each stage's wall and CPU seconds (the machine may be shared: CPU seconds,
    of all threads, are what the code costs) and the peak memory of a fresh process. The API
    answers the same upload with one object per row: that build is timed after it. Then the lines
    of ``--check`` sampled rows and of the rejected ones are compared byte for byte with what the
    per-row path writes for the same row (untimed). It lives in ``bench/score_file.py``.

Then the same gates and point bands run through the ``zen-engine`` package one proposal per call
(fed the metrics our engine computed, since a decision table cannot compute an IRR), and (c) the
what-if path one proposal per call (:func:`creditline.rules.engine.assess`, the scalar kernel: the
rules, every metric and the sensitivity table; then with the trace and hints too), with its ratio
to zen-engine measured in the same run (goal: under 0.2 ms, and faster than zen-engine).
"""
from __future__ import annotations

import argparse
import ast
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from creditline.rules import engine  # noqa: E402
from creditline.rules.evaluation import evaluate  # noqa: E402
from creditline.rules.facts import SETS  # noqa: E402
from creditline.rules.loader import DIMENSIONS, load_rulebook  # noqa: E402
from creditline.scoring.batch import score_rows  # noqa: E402
from creditline.scoring.batch_fast import fast_check  # noqa: E402
from creditline.vocabulary import CP_OPTIONS, STREAM_UNITS, TECHNOLOGY_READINESS  # noqa: E402
from score_file import file_to_results, goal, report_file  # noqa: E402

STREAMS = list(STREAM_UNITS)


def synthetic(n: int, seed: int = 7) -> list[dict]:
    """Plausible SME proposals: sizes, savings and indicator cuts spread around the thresholds."""
    rng = np.random.default_rng(seed)
    inv = np.round(rng.uniform(8_000, 1_500_000, n), 2)
    loan = np.round(inv * rng.uniform(0.4, 1.0, n), 2)
    savings = np.round(inv / rng.uniform(0.8, 12, n), 2)
    extra = np.round(savings * rng.uniform(0, 0.3, n), 2)
    cut = rng.uniform(-0.1, 0.8, n)
    rows = []
    for i in range(n):
        k = int(rng.integers(1, 4))
        streams = list(rng.choice(STREAMS, size=k, replace=False))
        base, out = float(rng.uniform(1e3, 1e6)), float(rng.uniform(100, 50_000))
        indicators = [{"stream": s, "unit": STREAM_UNITS[s], "baseline_quantity": f"{base:.2f}",
                       "baseline_output": f"{out:.2f}", "projected_quantity": f"{base * (1 - cut[i] * (j == 0)):.2f}",
                       "projected_output": f"{out:.2f}"} for j, s in enumerate(streams)]
        rows.append({
            "title": f"P{i}", "cp_options": [CP_OPTIONS[int(rng.integers(0, 8))], "technology_change"][: int(rng.integers(1, 3))],
            "investment": f"{inv[i]:.2f}", "loan_amount": f"{loan[i]:.2f}", "eligible_cost": f"{inv[i] * 0.9:.2f}",
            "own_contribution": f"{inv[i] - loan[i]:.2f}", "economic_life_years": int(rng.integers(3, 20)),
            "annual_savings": f"{savings[i]:.2f}", "annual_extra_operating_cost": f"{extra[i]:.2f}",
            "implementation_months": int(rng.integers(1, 30)),
            "technology": {"readiness": TECHNOLOGY_READINESS[int(rng.integers(0, 4))], "class": ""},
            "main_indicator": streams[0], "indicators": indicators, "documents": [], "other_incentives": [],
            "enterprise": {"employees": int(rng.integers(5, 600)), "annual_turnover": "2000000",
                           "total_assets": str(int(rng.uniform(1e5, 9e6))), "domestic_ownership_share": "0.8",
                           "operating_since": "2015-01-01", "isic_code": "1313", "country": "VN"},
            "as_of": "2026-11-23",
        })
    return rows


# --- the same rules as a zen-engine JSON decision model -------------------------------------------

def to_zen(node: ast.AST) -> str:
    """Translate one of our (already validated) conditions to the ZEN expression language."""
    if isinstance(node, ast.Expression):
        return to_zen(node.body)
    if isinstance(node, ast.BoolOp):
        word = " and " if isinstance(node.op, ast.And) else " or "
        return "(" + word.join(to_zen(v) for v in node.values) + ")"
    if isinstance(node, ast.UnaryOp):
        return f"not ({to_zen(node.operand)})" if isinstance(node.op, ast.Not) else f"-({to_zen(node.operand)})"
    if isinstance(node, ast.BinOp):
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
        return f"({to_zen(node.left)} {op} {to_zen(node.right)})"
    if isinstance(node, ast.Compare):
        parts, left = [], node.left
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                text = f"{to_zen(left)} in {to_zen(right)}"
                parts.append(f"not ({text})" if isinstance(op, ast.NotIn) else text)
            else:
                sym = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}[type(op)]
                parts.append(f"{to_zen(left)} {sym} {to_zen(right)}")
            left = right
        return "(" + " and ".join(parts) + ")"
    if isinstance(node, ast.Call):
        name, args = node.func.id, node.args
        if name == "has_any":
            return f"some({to_zen(args[0])}, # in {to_zen(args[1])})"
        if name == "has_all":
            return f"all({to_zen(args[1])}, # in {to_zen(args[0])})"
        if name in ("min", "max"):
            return f"{name}([{', '.join(to_zen(a) for a in args)}])"
        if name == "abs":
            return f"abs({to_zen(args[0])})"
        if name == "missing":
            return f"({to_zen(args[0])} == null)"
    if isinstance(node, (ast.List, ast.Tuple)):
        return "[" + ", ".join(to_zen(e) for e in node.elts) + "]"
    if isinstance(node, ast.Constant):
        return f"'{node.value}'" if isinstance(node.value, str) else str(node.value).lower()
    if isinstance(node, ast.Name):
        return {"true": "true", "True": "true", "false": "false", "False": "false"}.get(node.id, node.id)
    raise ValueError(f"cannot translate {ast.dump(node)}")


def zen_model(book) -> str:
    exprs = []

    def add(key: str, value: str) -> None:
        exprs.append({"id": str(len(exprs) + 1), "key": key, "value": value})
    for g in book.gates:
        add(f"gate_{g.id.replace('-', '_')}", to_zen(ast.parse(g.when.text, mode="eval")))
    for dim in DIMENSIONS:
        keys = []
        for r in book.scoring[dim]:
            value = "0"
            for band in reversed(r.bands):
                value = f"({to_zen(ast.parse(band.when.text, mode='eval'))} ? {band.points:g} : {value})"
            key = f"pts_{r.id.replace('-', '_')}"
            add(key, value)
            keys.append(f"$.{key}")
        add(f"score_{dim}", f"min([100, floor({' + '.join(keys) or '0'} + 0.5)])")
    add("total", "floor(" + " + ".join(f"{book.weights[d]} * $.score_{d}" for d in DIMENSIONS) + " + 0.5)")
    hard = [f"$.gate_{g.id.replace('-', '_')}" for g in book.gates if g.on_fail == "ineligible"] or ["true"]
    soft = [f"$.gate_{g.id.replace('-', '_')}" for g in book.gates if g.on_fail == "refer"] or ["true"]
    weak = " or ".join(f"$.score_{d} < {book.decision['min_each']:g}" for d in DIMENSIONS)
    by_score = (f"($.total >= {book.decision['eligible_from']:g} ? (({weak}) ? 'referred' : 'eligible') : "
                f"($.total >= {book.decision['referred_from']:g} ? 'referred' : 'ineligible'))")
    add("decision", f"not ({' and '.join(hard)}) ? 'ineligible' : "
                    f"((not ({' and '.join(soft)}) and {by_score} != 'ineligible') ? 'referred' : {by_score})")
    nodes = [{"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
             {"id": "rules", "type": "expressionNode", "name": "rules", "position": {"x": 200, "y": 0},
              "content": {"expressions": exprs}},
             {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 400, "y": 0}}]
    edges = [{"id": "a", "sourceId": "in", "targetId": "rules", "type": "edge"},
             {"id": "b", "sourceId": "rules", "targetId": "out", "type": "edge"}]
    return json.dumps({"nodes": nodes, "edges": edges})


def zen_inputs(ev, idx) -> list[dict]:
    out = []
    for i in idx:
        row = {}
        for k, v in ev.facts.items():
            x = v[i]
            if k in SETS:
                row[k] = [name for b, name in enumerate(SETS[k]) if int(x) >> b & 1]
            elif isinstance(x, str):
                row[k] = x
            else:
                x = float(x)
                row[k] = x if np.isfinite(x) else None
        out.append(row)
    return out


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("--rulebook", default="gctf-vn")
    ap.add_argument("--zen", type=int, default=2000, help="proposals to run through zen-engine")
    ap.add_argument("--check", type=int, default=300, help="proposals to re-score one at a time")
    ap.add_argument("--file", help=argparse.SUPPRESS)  # (d) run in a fresh process on this CSV
    args = ap.parse_args()
    if args.file:
        print(json.dumps(file_to_results(args.file, args.rulebook, args.check)))
        return
    book = load_rulebook(ROOT / "rules" / f"{args.rulebook}.yaml")
    rows = synthetic(args.n)
    print(f"rulebook {book.id} {book.version}: {args.n:,} proposals (memory after generating the rows: "
          f"{peak_mb():.0f} MB)")

    base_mb = peak_mb()

    # (b) end-to-end from rows, the path the API and the CLI run (measured first, so the peak memory
    # is this path's own, on top of the generated rows).
    t0 = time.perf_counter()
    stages: dict[str, float] = {}
    out = score_rows(book, rows, timings=stages)
    tb = time.perf_counter() - t0
    mem_b = peak_mb()
    print(f"(b) end-to-end batch from rows (scoring.batch.score_rows): {tb:.3f} s "
          f"({tb / args.n * 1e6:.1f} µs per proposal; {out['scored']:,} scored, {out['rejected']:,} rejected)")
    print("    stages: " + ", ".join(f"{name} {secs:.3f} s" for name, secs in stages.items())
          + " (validation = the column-wise fast checks plus the schema and engine checks of the rows they"
            " leave to the schema)")
    cols = fast_check(book, rows).cols

    # (a) prepared columns: the rules and every metric.
    t0 = time.perf_counter()
    ev = evaluate(book, cols)
    ta = time.perf_counter() - t0
    decisions = {d: int((ev.decision == d).sum()) for d in ("eligible", "referred", "ineligible")}
    print(f"(a) scoring prepared columns (rules + NPV, IRR, paybacks, BCR, DSCR, grant, with-grant metrics): "
          f"{ta:.3f} s ({ta / ev.n * 1e6:.2f} µs per proposal)")
    print(f"    decisions: {decisions}")

    # Identical to one at a time: the single path (a batch of one through the same function).
    rng = np.random.default_rng(1)
    sample = rng.choice(args.n, size=min(args.check, args.n), replace=False)
    by_row = {r["row"]: r for r in out["results"]}
    t3 = time.perf_counter()
    same = checked_n = 0
    for i in sample:
        if i + 1 not in by_row:
            continue
        single = score_rows(book, [rows[i]])["results"][0]
        # The what-if's scalar kernel too: the same result as the batch's row.
        alone = engine.assess(book, rows[i], explain=False, with_sensitivity=False)
        checked_n += 1
        want = engine.to_json(by_row[i + 1])
        same += (engine.to_json({**single, "row": i + 1}) == want
                 and engine.to_json({"row": i + 1, "id": None, "title": rows[i]["title"], **alone}) == want)
    t4 = time.perf_counter()
    print(f"    one-at-a-time check (a batch of one, and the scalar kernel): {same}/{checked_n} identical to the batch "
          f"({(t4 - t3) / max(checked_n, 1) * 1e3:.2f} ms per single proposal)")
    print(f"peak memory (RSS, whole process): {base_mb:.0f} MB with the generated rows, {mem_b:.0f} MB at the "
          f"end of (b), so (b) itself needs about {mem_b - base_mb:.0f} MB")
    print("goals:")
    print(f"  (a) under 1 s for {args.n:,}: {goal(ta < 1)} ({ta:.3f} s)")
    print(f"  (b) under 1 s for {args.n:,}: {goal(tb < 1)} ({tb:.3f} s)")
    print(f"  (b) under 3 s for {args.n:,} (batch upload target): {goal(tb < 3)} ({tb:.3f} s)")
    print(f"  (b) under 1 GB: {goal(mem_b - base_mb < 1024)} ({mem_b - base_mb:.0f} MB on top of the rows; "
          f"{goal(mem_b < 1024)} for the whole process, {mem_b:.0f} MB)")
    print(f"  identical to single: {goal(same == checked_n and checked_n > 0)} ({same}/{checked_n})")
    report_file(rows, args.n, args.rulebook, args.check)

    try:
        import zen
    except ImportError:
        print("zen-engine not installed: pip install -e '.[bench]' for the comparison")
        return
    decision = zen.ZenEngine().create_decision(zen_model(book))
    idx = rng.choice(ev.n, size=min(args.zen, ev.n), replace=False)
    inputs = zen_inputs(ev, idx)
    t5 = time.perf_counter()
    answers = [decision.evaluate(x)["result"] for x in inputs]
    t6 = time.perf_counter()
    agree = sum(a["decision"] == ev.decision[i] and a["total"] == ev.scores["total"][i] for a, i in zip(answers, idx))
    zen_per = (t6 - t5) / len(idx)
    ours_per = ta / ev.n
    print(f"zen-engine {getattr(zen, '__version__', '')}: {len(idx):,} proposals one per call in {t6 - t5:.3f} s "
          f"({zen_per * 1e6:.1f} µs per proposal; rules only, metrics given)")
    print(f"  same decision and total as ours: {agree}/{len(idx)}")
    print(f"  ratio zen / our scoring of prepared columns (a), per proposal: {zen_per / ours_per:.0f}x "
          f"(projected zen time for {args.n:,}: {zen_per * args.n:.1f} s)")
    one_at_a_time(book, [rows[i] for i in idx], decision, inputs)


def one_at_a_time(book, rows: list[dict], decision, inputs: list[dict]) -> None:
    """(c) The what-if path, one proposal per call, against zen-engine per call on the same proposals.

    The machine may be shared: the three are timed in turns over chunks of 50 proposals, three
    passes, so a burst of load from elsewhere falls on all of them alike and the ratio holds.
    """
    spent = {"core": 0.0, "full": 0.0, "zen": 0.0}
    cpu = dict(spent)
    clock = time.perf_counter
    for _ in range(3):
        for k in range(0, len(rows), 50):
            chunk, zin = rows[k:k + 50], inputs[k:k + 50]
            t0, c0 = clock(), time.process_time()
            for r in chunk:
                engine.assess(book, r, explain=False)
            t1, c1 = clock(), time.process_time()
            for r in chunk:
                engine.assess(book, r)
            t2, c2 = clock(), time.process_time()
            for x in zin:
                decision.evaluate(x)
            t3, c3 = clock(), time.process_time()
            for key, wall, used in (("core", t1 - t0, c1 - c0), ("full", t2 - t1, c2 - c1), ("zen", t3 - t2, c3 - c2)):
                spent[key] += wall
                cpu[key] += used
    core, full, zen_per = (spent[k] / (3 * len(rows)) for k in ("core", "full", "zen"))
    core_cpu, full_cpu, zen_cpu = (cpu[k] / (3 * len(rows)) for k in ("core", "full", "zen"))
    print(f"(c) one proposal per call, {len(rows):,} proposals x 3, in turns with zen-engine:")
    print(f"    engine.assess (scalar kernel), rules + metrics + sensitivity: {core * 1e3:.3f} ms per proposal; "
          f"with trace and hints: {full * 1e3:.3f} ms; zen-engine (rules only): {zen_per * 1e3:.3f} ms")
    # CPU seconds are what the code costs when other work shares the machine (wall time counts the waits).
    print(f"    CPU per proposal: ours {core_cpu * 1e3:.3f} ms, with trace and hints {full_cpu * 1e3:.3f} ms, "
          f"zen-engine {zen_cpu * 1e3:.3f} ms")
    print(f"    ratio zen-engine / ours: {zen_per / core:.2f}x wall, {zen_cpu / core_cpu:.2f}x CPU "
          f"(with trace and hints {zen_per / full:.2f}x wall)")
    print(f"  (c) under 0.2 ms: {goal(core_cpu < 2e-4)} ({core_cpu * 1e3:.3f} ms CPU, {core * 1e3:.3f} ms wall); "
          f"faster than zen-engine: {goal(core_cpu < zen_cpu)} (CPU)")


if __name__ == "__main__":
    main()
