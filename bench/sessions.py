"""Time what the server-side session check adds to a signed-in page request.

Run: ``python bench/sessions.py [N]`` (N = 300 requests of each kind). A SQLite file in a temporary
folder, the demo data, one signed-in test client: it times GET /api/v1/auth/me and GET /enterprises
with the session row checked (as served) and with the check replaced by "yes", and prints the mean
of each in milliseconds.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from creditline import create_app  # noqa: E402
from creditline.auth import sessions  # noqa: E402
from creditline.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from creditline.extensions import db  # noqa: E402


def mean_ms(client, path: str, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        assert client.get(path).status_code == 200
    return (time.perf_counter() - start) * 1000 / n


def main(n: int = 300) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench",
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"})
        with app.app_context():
            db.create_all()
            seed_demo()
        client = app.test_client()
        client.post("/login", data={"email": "owner@textile.example", "password": DEMO_PASSWORD})
        checked = {path: mean_ms(client, path, n) for path in ("/api/v1/auth/me", "/enterprises")}
        real_check = sessions.check_session
        sessions.check_session = lambda plain, user_id: True  # type: ignore[assignment]
        try:
            unchecked = {path: mean_ms(client, path, n) for path in checked}
        finally:
            sessions.check_session = real_check
        for path in checked:
            print(f"GET {path:18} session checked {checked[path]:6.2f} ms, "
                  f"unchecked {unchecked[path]:6.2f} ms, difference {checked[path] - unchecked[path]:+.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
