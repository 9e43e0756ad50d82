"""Swagger UI's files served by the app itself, so /api/v1/docs works without the internet."""
from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/v1/docs/assets/"

bp = Blueprint("apidocs", __name__)


@bp.route(f"{ASSETS_URL}<path:filename>")
def asset(filename: str) -> Response:
    """Serve one file of the bundled Swagger UI (a missing one answers the JSON 404)."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
