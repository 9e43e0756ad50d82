"""The strict rulebook schema: a mistake in a rulebook is refused with its path and line, never loaded."""
import copy

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from marshmallow import fields

from creditline.rules.loader import RulebookError, parse_rulebook
from creditline.rules.schema import RulebookSchema, describe
from creditline.rules.source_lines import format_path

from .rule_data import BOOKS, RULES

VN = (RULES / "gctf-vn.yaml").read_text()


def dump(doc) -> str:
    """The document as YAML text, through libyaml (the pure-Python dumper was most of a mutant's time)."""
    return yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)


def problems_of(text: str) -> list[str]:
    with pytest.raises(RulebookError) as err:
        parse_rulebook(text, "rules/gctf-vn.yaml")
    return err.value.problems


def test_a_misspelt_eligibility_section_is_refused_not_loaded_without_gates():
    problems = problems_of(VN.replace("\neligibility:\n", "\neligibilty:\n"))
    assert "rules/gctf-vn.yaml: eligibilty (line 20): unknown key 'eligibilty'; did you mean 'eligibility'?" in problems
    assert any(p.startswith("rules/gctf-vn.yaml: eligibility (line") and "'eligibility' is required" in p
               for p in problems)


def test_a_misspelt_grant_band_key_is_refused_with_its_line():
    text = VN.replace("  inclusive: false", "  inclusve: true")
    line = text.splitlines().index("  inclusve: true   # choice: \"over 30%\" read strictly; exactly 30.0% earns nothing") + 1
    assert problems_of(text) == [f"rules/gctf-vn.yaml: grant_bands.inclusve (line {line}): unknown key 'inclusve'; "
                                 f"did you mean 'inclusive'?"]


def test_an_expression_over_an_unknown_fact_names_the_gate_and_line():
    [problem] = problems_of(VN.replace("when: employees <= 300", "when: staff_count <= 300"))
    assert problem == ("rules/gctf-vn.yaml: eligibility[0].when (line 23, rule 'sme-size'): unknown fact 'staff_count' "
                       "(`flask rules facts` lists them)")


@pytest.mark.parametrize("old,new,line_of,expected", [
    ("    - {over: 0.50, rate: 0.25}", "    - {over: 0.30, rate: 0.25}", "  bands:\n    - {over: 0.30, rate: 0.15}",
     "grant_bands.bands (line {}): bands overlap"),
    ("    - {over: 0.50, rate: 0.25}", "    - {over: 0.50, rate: 0.10}", "  bands:\n    - {over: 0.30, rate: 0.15}",
     "grant_bands.bands (line {}): a higher band pays"),
    ("  referred_from: 40", "  referred_from: 70", "  referred_from: 70",
     "decision.referred_from (line {}): 'referred_from' must not be above"),
    ("    weight: 0.3\n", "    weight: '0.3'\n", "    weight: '0.3'", "scoring.technical.weight (line {}): must be a number"),
    ("  scale: steps", "  scale: stairs", "  scale: stairs", "grant_bands.scale (line {}): must be one of steps, graded, "
                                                            "not 'stairs'"),
    ("  default_after_days: 90", "  default_after_days: 90.5", "  default_after_days: 90.5",
     "arrears.default_after_days (line {}): must be a whole number"),
])
def test_wrong_values_are_refused_with_path_and_line(old, new, line_of, expected):
    assert old in VN
    text = VN.replace(old, new, 1)
    line = text[:text.index(line_of)].count("\n") + 1
    problems = problems_of(text)
    assert any(expected.format(line) in p for p in problems), problems


def test_a_missing_section_is_named():
    doc = yaml.safe_load(VN)
    del doc["decision"]
    assert any("decision (line 1): 'decision' is required" in p for p in problems_of(yaml.safe_dump(doc)))


@pytest.mark.parametrize("name", BOOKS)
def test_every_shipped_rulebook_passes_the_schema(name):
    book = parse_rulebook((RULES / f"{name}.yaml").read_text(), name)
    assert book.gates and book.cases
    assert book.grant_bands["scale"] in ("steps", "graded") and "inclusive" in book.grant_bands


def test_the_schema_describes_every_key():
    text = "\n".join(describe())
    assert "eligibility: list of mapping (required)" in text
    assert "    inclusive: true/false (optional)" not in text and "  inclusive: true/false (optional)" in text
    assert "  on_fail: one of ineligible, refer (optional)" in text


# --- mutants: every key dropped, renamed or retyped is refused, naming where -------------------------------

def _paths(doc, path=()):
    """Every key path of the document, except inside a case's input (free-form, checked when the case runs)."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            here = path + (key,)
            yield here
            if not (len(path) >= 2 and path[0] == "cases" and key == "input"):
                yield from _paths(value, here)
    elif isinstance(doc, list):
        for i, value in enumerate(doc[:2]):
            yield from _paths(value, path + (i,))


_SCHEMA = RulebookSchema()


def _field(path):
    """The schema field a document path lands on (None inside free-form parts)."""
    schema, f = _SCHEMA, None
    for step in path:
        if isinstance(step, int):
            continue
        if schema is None:
            return None
        f = next((f for n, f in schema.fields.items() if (f.data_key or n) == step), None)
        inner = f.inner if isinstance(f, fields.List) else f
        schema = inner.schema if isinstance(inner, fields.Nested) else None
    return f


DOCS = {name: yaml.safe_load((RULES / f"{name}.yaml").read_text()) for name in BOOKS}
PATHS = [(name, p) for name, doc in DOCS.items() for p in _paths(doc)]
REQUIRED = [(name, p) for name, p in PATHS if (f := _field(p)) is not None and f.required]


def _at(doc, path):
    for step in path[:-1]:
        doc = doc[step]
    return doc


def _wrong_type(value):
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return "a lot"
    if isinstance(value, str):
        return [1, 2]
    return 5


@settings(max_examples=80, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op=st.sampled_from(["rename", "retype"]), where=st.sampled_from(PATHS))
def test_a_renamed_or_retyped_key_is_refused_with_its_path(op, where):
    name, path = where
    doc = copy.deepcopy(DOCS[name])
    parent = _at(doc, path)
    if op == "rename":
        parent[f"{path[-1]}_x"] = parent.pop(path[-1])
        named = format_path(path[:-1] + (f"{path[-1]}_x",))
    else:
        parent[path[-1]] = _wrong_type(parent[path[-1]])
        named = format_path(path)
    problems = problems_of(dump(doc))
    # A whole-part check (the weights, the verification settings) may name the part that holds the key.
    ancestors = {format_path(path[:n]) for n in range(1, len(path))}
    assert any(f": {named} (line" in p for p in problems) or (
        op == "retype" and any(f": {a} (line" in p for a in ancestors for p in problems)), (op, name, path, problems)


@settings(max_examples=40, derandomize=True, deadline=None)
@given(where=st.sampled_from(REQUIRED))
def test_a_dropped_required_key_is_refused_with_its_path(where):
    name, path = where
    doc = copy.deepcopy(DOCS[name])
    del _at(doc, path)[path[-1]]
    problems = problems_of(dump(doc))
    assert any(f": {format_path(path)} (line" in p and f"'{path[-1]}' is required" in p for p in problems), problems
