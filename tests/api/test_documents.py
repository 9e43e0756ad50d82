"""Proposal documents: opened in scope and intact, typed by content, limited in size, changed only
in draft, and checked by the bank."""
import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.proposals.models import ProposalDocument

from ..conftest import OTHER_SME
from ..factories import proposal_body

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64 + b"This program cannot be run in DOS mode"


def ooxml(main: str) -> bytes:
    """A minimal Office Open XML package whose [Content_Types].xml names ``main`` as its main part."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   f'package/2006/content-types"><Override PartName="/main.xml" ContentType="{main}"/></Types>')
        z.writestr("main.xml", "<x/>")
    return buf.getvalue()


XLSX = ooxml("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
DOCX = ooxml("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
PLAIN_ZIP = ooxml("application/x-something-else")


def upload(client, headers, pid, data, name, kind="quotation", mimetype="application/octet-stream"):
    return client.post(f"/api/v1/proposals/{pid}/documents", headers=headers,
                       data={"kind": kind, "file": (io.BytesIO(data), name, mimetype)},
                       content_type="multipart/form-data")


@pytest.fixture
def eligible(client, token_for):
    """The demo's eligible dyeing proposal: sent to the partner bank, read by the NCPC."""
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    return next(p["id"] for p in items if p["title"].startswith("Low liquor"))


@pytest.fixture
def draft(client, token_for):
    sme = token_for("sme")
    ent = client.get("/api/v1/enterprises", headers=sme).get_json()["items"][0]["id"]
    line = client.get("/api/v1/credit-lines", headers=sme).get_json()["items"][0]["id"]
    res = client.post("/api/v1/proposals", headers=sme, json=proposal_body(line, ent))
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def doc_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProposalDocument))


def test_everyone_the_proposal_is_shared_with_downloads_it_as_an_attachment(client, token_for, eligible):
    # The browser claims text/html: the type served is the one read from the bytes.
    res = upload(client, token_for("sme"), eligible, PDF, "Báo giá máy nhuộm.pdf", mimetype="text/html")
    assert res.status_code == 201, res.get_json()
    doc = res.get_json()
    assert doc["content_type"] == "application/pdf"
    for who in ("sme", "bank_officer", "credit_committee", "verifier", "senior_verifier", "fund_admin", "auditor"):
        got = client.get(f"/api/v1/proposals/{eligible}/documents/{doc['id']}/file", headers=token_for(who))
        assert got.status_code == 200, who
        assert got.data == PDF
        assert got.mimetype == "application/pdf"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        disposition = got.headers["Content-Disposition"]
        assert disposition.startswith("attachment; ")
        assert f"filename*=UTF-8''{quote('Báo giá máy nhuộm.pdf', safe='')}" in disposition
        assert 'filename="Bao gia may nhuom.pdf"' in disposition


def test_nobody_else_learns_the_document_exists(client, token_for, outsiders, eligible, draft):
    doc = upload(client, token_for("sme"), eligible, PDF, "quote.pdf").get_json()
    path = f"/api/v1/proposals/{eligible}/documents/{doc['id']}/file"
    for headers in [token_for(OTHER_SME), *outsiders["headers"].values()]:
        assert client.get(path, headers=headers).status_code == 404
    # A document id of another proposal is not reachable through this one.
    assert client.get(f"/api/v1/proposals/{draft}/documents/{doc['id']}/file",
                      headers=token_for("sme")).status_code == 404


def test_a_document_whose_bytes_changed_on_disk_is_refused_not_served(app, client, token_for, eligible):
    doc = upload(client, token_for("sme"), eligible, PDF, "quote.pdf").get_json()
    stored = Path(app.config["UPLOAD_DIR"]) / doc["sha256"][:2] / doc["sha256"]
    stored.write_bytes(PDF.replace(b"Catalog", b"Katalog"))
    res = client.get(f"/api/v1/proposals/{eligible}/documents/{doc['id']}/file", headers=token_for("bank_officer"))
    assert res.status_code == 409
    assert res.get_json()["current_state"] == "altered"
    assert b"Katalog" not in res.data
    stored.write_bytes(PDF)  # the store is shared by the session's tests


@pytest.mark.parametrize("data, name, expected", [
    (PDF, "quote.pdf", "application/pdf"), (PNG, "nameplate.png", "image/png"), (JPEG, "site.jpg", "image/jpeg"),
    (XLSX, "statements.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (DOCX, "registration.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("year,revenue\n2025,120000\n".encode(), "cash-flow.csv", "text/csv")])
def test_allowed_types_are_recognised_by_their_content(client, token_for, eligible, data, name, expected):
    res = upload(client, token_for("sme"), eligible, data, name)
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["content_type"] == expected


@pytest.mark.parametrize("data, name", [
    (EXE, "setup.exe"), (EXE, "quotation.pdf"), (PLAIN_ZIP, "statements.xlsx"),
    (b"<html><script>alert(1)</script></html>", "quote.html"), (b"a,b\n\x00\x01\x02", "data.csv")])
def test_anything_else_is_refused_naming_the_file(app, client, token_for, eligible, data, name):
    before = doc_count(app)
    res = upload(client, token_for("sme"), eligible, data, name)
    assert res.status_code == 422
    assert name in res.get_json()["errors"]["file"][0]
    assert doc_count(app) == before


def test_a_document_over_the_size_limit_is_413(app, client, token_for, eligible, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_DOCUMENT_BYTES", 1024)
    before = doc_count(app)
    res = upload(client, token_for("sme"), eligible, PDF + b"0" * 1024, "big-quote.pdf")
    assert res.status_code == 413
    assert "big-quote.pdf" in res.get_json()["errors"]["file"][0]
    assert doc_count(app) == before
    assert upload(client, token_for("sme"), eligible, PDF, "small.pdf").status_code == 201


def test_a_draft_document_is_replaced_or_deleted_and_not_after_submission(app, client, token_for, draft):
    sme = token_for("sme")
    doc = upload(client, sme, draft, PDF, "old-quote.pdf").get_json()
    new = PDF.replace(b"Catalog", b"Catalog /Lang (vi)")
    res = client.put(f"/api/v1/proposals/{draft}/documents/{doc['id']}", headers=sme,
                     data={"file": (io.BytesIO(new), "new-quote.pdf")}, content_type="multipart/form-data")
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["filename"] == "new-quote.pdf" and res.get_json()["sha256"] != doc["sha256"]
    assert client.get(f"/api/v1/proposals/{draft}/documents/{doc['id']}/file", headers=sme).data == new
    replaced = events(app, "proposal.document_replaced")[-1]
    assert replaced.before["sha256"] == doc["sha256"] and replaced.after["file"] == "new-quote.pdf"
    bad = client.put(f"/api/v1/proposals/{draft}/documents/{doc['id']}", headers=sme,
                     data={"file": (io.BytesIO(EXE), "setup.exe")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "setup.exe" in bad.get_json()["errors"]["file"][0]
    # Only the SME changes its documents.
    assert client.delete(f"/api/v1/proposals/{draft}/documents/{doc['id']}",
                         headers=token_for("fund_admin")).status_code == 403

    assert client.delete(f"/api/v1/proposals/{draft}/documents/{doc['id']}", headers=sme).status_code == 204
    assert client.get(f"/api/v1/proposals/{draft}/documents", headers=sme).get_json() == []
    assert events(app, "proposal.document_deleted")[-1].before["file"] == "new-quote.pdf"

    kept = upload(client, sme, draft, PDF, "quote.pdf").get_json()
    assert client.post(f"/api/v1/proposals/{draft}/submit", headers=sme, json={}).status_code == 200
    status = client.get(f"/api/v1/proposals/{draft}", headers=sme).get_json()["status"]
    for res in (client.delete(f"/api/v1/proposals/{draft}/documents/{kept['id']}", headers=sme),
                client.put(f"/api/v1/proposals/{draft}/documents/{kept['id']}", headers=sme,
                           data={"file": (io.BytesIO(new), "other.pdf")}, content_type="multipart/form-data")):
        assert res.status_code == 409
        assert res.get_json()["current_state"] == status
        assert "allowed" in res.get_json()
    assert client.get(f"/api/v1/proposals/{draft}/documents/{kept['id']}/file", headers=sme).data == PDF


def test_the_bank_ticks_the_checklist_and_the_sme_sees_it(app, client, token_for, eligible):
    sme, bank = token_for("sme"), token_for("bank_officer")
    rows = client.get(f"/api/v1/proposals/{eligible}/document-checklist", headers=sme).get_json()
    assert [r["kind"] for r in rows][:1] == ["quotation"] and {r["status"] for r in rows} == {"pending"}
    url = f"/api/v1/proposals/{eligible}/document-checklist"

    nothing = client.put(f"{url}/quotation", headers=bank, json={"status": "checked"})
    assert nothing.status_code == 422 and "no quotation" in nothing.get_json()["errors"]["status"][0]
    upload(client, sme, eligible, PDF, "quote.pdf")
    ok = client.put(f"{url}/quotation", headers=bank, json={"status": "checked", "note": "Thies quote, signed"})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["status"] == "checked"

    no_note = client.put(f"{url}/financial_statements", headers=bank, json={"status": "not_acceptable"})
    assert no_note.status_code == 422 and "note" in no_note.get_json()["errors"]
    assert client.put(f"{url}/financial_statements", headers=bank,
                      json={"status": "not_acceptable", "note": "Only one year; send 2024 too"}).status_code == 200
    assert client.put(f"{url}/environmental_permit", headers=bank,
                      json={"status": "checked"}).status_code == 422  # not required by gctf-vn
    assert client.put(f"{url}/quotation", headers=sme, json={"status": "checked"}).status_code == 403
    assert client.put(f"{url}/quotation", headers=token_for("verifier"), json={"status": "checked"}).status_code == 403

    seen = {r["kind"]: r for r in client.get(url, headers=sme).get_json()}
    assert seen["quotation"]["status"] == "checked"
    assert seen["financial_statements"] == {**seen["financial_statements"], "status": "not_acceptable",
                                            "note": "Only one year; send 2024 too"}
    checked = events(app, "proposal.document_checked")
    assert [(e.after["kind"], e.after["status"]) for e in checked] == [("quotation", "checked"),
                                                                       ("financial_statements", "not_acceptable")]
    # A new quotation has not been looked at yet: the bank's tick no longer covers it.
    upload(client, sme, eligible, PDF.replace(b"Catalog", b"Catalog "), "quote-v2.pdf")
    seen = {r["kind"]: r for r in client.get(url, headers=sme).get_json()}
    assert seen["quotation"]["status"] == "pending" and len(seen["quotation"]["documents"]) == 2


def test_the_checklist_is_shown_on_the_proposal_page(client, token_for, session_for, eligible):
    upload(client, token_for("sme"), eligible, PDF, "quote.pdf")
    client.put(f"/api/v1/proposals/{eligible}/document-checklist/quotation", headers=token_for("bank_officer"),
               json={"status": "not_acceptable", "note": "Unsigned quotation"})
    for who in ("sme", "bank_officer"):
        page = session_for(who).get(f"/proposals/{eligible}").get_data(as_text=True)
        assert "Unsigned quotation" in page and "Not acceptable" in page, who


def test_the_proposal_page_links_the_download_and_changes_a_draft(client, token_for, session_for, draft):
    doc = upload(client, token_for("sme"), draft, PDF, "quote.pdf").get_json()
    sme = session_for("sme")
    page = sme.get(f"/proposals/{draft}").get_data(as_text=True)
    link = f"/proposals/{draft}/documents/{doc['id']}/file"
    assert link in page and "Replace" in page and "Delete" in page
    got = sme.get(link)
    assert got.status_code == 200 and got.data == PDF and got.headers["Content-Disposition"].startswith("attachment")
    res = sme.post(f"/proposals/{draft}/documents/{doc['id']}/replace",
                   data={"file": (io.BytesIO(EXE), "setup.exe")}, content_type="multipart/form-data",
                   follow_redirects=True)
    assert "Not replaced" in res.get_data(as_text=True) and "setup.exe" in res.get_data(as_text=True)
    res = sme.post(f"/proposals/{draft}/documents/{doc['id']}/delete", follow_redirects=True)
    assert "Document deleted." in res.get_data(as_text=True)
    assert sme.get(link).status_code == 404
