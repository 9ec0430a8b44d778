import pytest

from webapp import create_app
from webapp.config import DEFAULT_SECRET


def test_testing_config(app):
    assert app.testing
    assert not create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "MEDIA_DIR": "/tmp/m"}).testing


def test_production_refuses_default_secret(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": DEFAULT_SECRET,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "MEDIA_DIR": str(tmp_path)})
    # README's placeholder read as it stands (systemd's EnvironmentFile=), and keys too short to be random
    for placeholder in ("<python -c 'import secrets; print(secrets.token_hex(32))'>", "a-real-secret", "changeme",
                        " " + "k" * 40):
        with pytest.raises(RuntimeError, match="SECRET_KEY looks like a placeholder"):
            create_app({"ENV_NAME": "production", "SECRET_KEY": placeholder,
                        "SQLALCHEMY_DATABASE_URI": "sqlite://", "MEDIA_DIR": str(tmp_path)})
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "a-real-secret-of-some-length",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "MEDIA_DIR": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "a-real-secret-of-some-length"


def test_index_explains_the_numbers(client):
    page = client.get("/").get_data(as_text=True)
    assert "not a hiring verdict" in page
    assert "Sign up" in page


def test_web_app_does_not_import_tensorflow():
    import subprocess
    import sys
    code = ("import sys; from webapp import create_app; "
            "app = create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'MEDIA_DIR': '/tmp/m'}); "
            "c = app.test_client(); c.get('/'); c.get('/login'); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
