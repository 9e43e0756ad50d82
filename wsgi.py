"""WSGI entry point: ``FLASK_APP=wsgi flask ...`` or ``gunicorn wsgi:app``."""
from creditline import create_app

app = create_app()
