"""The main work pages fit the screen: no page scrolls sideways at a common laptop width."""
import pytest

from .conftest import sign_in

PAGES = [
    ("owner@textile.example", "/proposals/new"),
    ("owner@textile.example", "/proposals"),
    ("officer@bank.example", "/loans"),
    ("admin@fund.example", "/guarantees"),
    ("admin@fund.example", "/credit-lines"),
    ("admin@fund.example", "/audit"),
    ("verifier@ncpc.example", "/verifications"),
]


@pytest.mark.parametrize("email,path", PAGES)
def test_the_page_fits_a_1280_pixel_screen(page, email, path):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, email)
    page.goto(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
