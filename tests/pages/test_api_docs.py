"""The interactive API docs render in a real browser on a machine with no internet."""


def test_swagger_ui_lists_the_api(page):
    page.goto("/api/v1/docs")
    page.locator(".opblock-tag", has_text="proposals").first.wait_for()
    assert page.locator(".opblock").count() > 50
