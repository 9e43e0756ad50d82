"""A fresh clone has no instance/ folder: the app makes the SQLite file's folder itself."""
from creditline import create_app


def test_the_sqlite_folder_is_created(tmp_path):
    db_file = tmp_path / "not" / "yet" / "there" / "creditline.db"
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}"})
    from creditline.extensions import db
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert db_file.exists()


def test_a_memory_database_needs_no_folder():
    create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
