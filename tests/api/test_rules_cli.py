"""``flask rules check`` fails when a case does not hold; ``flask rules schema`` prints the format."""
from pathlib import Path


def test_rules_check_fails_on_a_broken_case_and_passes_the_shipped_books(app, tmp_path):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["rules", "check"])
    assert ok.exit_code == 0, ok.output
    assert "gctf-vn 2007.1" in ok.output and "cases hold" in ok.output
    draft = tmp_path / "gctf-vn.yaml"
    draft.write_text((Path(app.config["RULES_DIR"]) / "gctf-vn.yaml").read_text()
                     .replace('version: "2007.1"', 'version: "2027.1"').replace("cap: 200000\n  inclusive", "cap: 10000\n  inclusive"))
    bad = runner.invoke(args=["rules", "check", str(draft)])
    assert bad.exit_code == 1
    assert "case 'Colombian textile dyeing: water per tonne down 55% earns the 25% band'" in bad.output
    assert "grant amount is 10000.00, expected 20000.0" in bad.output


def test_rules_schema_prints_every_section(app):
    out = app.test_cli_runner().invoke(args=["rules", "schema"])
    assert out.exit_code == 0
    assert "eligibility: list of mapping (required)" in out.output and "cases: list of mapping (optional)" in out.output
