"""The rulebook pages: the rules in plain words for every role, the draft editor for the fund's admins."""
import re


def login(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": "green-credit-demo"}).status_code == 302
    return client


def test_an_sme_reads_the_rules_in_force_in_plain_words(app, demo):
    page = login(app, "owner@textile.example").get("/rulebooks/gctf-vn/2007.1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "More than 50% Vietnamese ownership" in html and "the proposal is not eligible" in html
    assert "eligible with a total of at least 60 points and at least 25 in each dimension" in html
    assert "25% of the loan amount for an improvement over 50%" in html and "at most 200,000 USD" in html
    assert "Technical (30% of the total)" in html
    listing = login(app, "owner@textile.example").get("/rulebooks").get_data(as_text=True)
    assert "New draft version" not in listing
    assert login(app, "owner@textile.example").get("/rulebooks/drafts/new").status_code == 403


def test_the_editor_marks_each_schema_problem_at_its_line(app, demo):
    admin = login(app, "admin@fund.example")
    start = admin.get("/rulebooks/drafts/new?from=gctf-vn@2007.1").get_data(as_text=True)
    assert "id: gctf-vn" in start and "rulebook_editor.js" in start and "codemirror.js" in start
    assert "The rulebook format" in start and "  inclusive: true/false (optional)" in start
    text = open("rules/gctf-vn.yaml").read().replace('version: "2007.1"', 'version: "2027.1"')
    res = admin.post("/rulebooks/drafts/new", data={"rulebook_yaml": text.replace("\neligibility:\n", "\neligibilty:\n")})
    assert res.status_code == 422
    html = res.get_data(as_text=True)
    assert re.search(r'<li data-line="20"><a href="#rulebook_yaml" class="goto-line" data-line="20">line 20</a>: '
                     r"draft: eligibilty \(line 20\): unknown key &#39;eligibilty&#39;", html), html
    saved = admin.post("/rulebooks/drafts/new", data={"rulebook_yaml": text})
    assert saved.status_code == 302 and "/rulebooks/drafts/" in saved.headers["Location"]
    draft = admin.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Every case of this version holds." in draft and 'class="diff-add">+version: &#34;2027.1&#34;' in draft
