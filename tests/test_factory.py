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
    key = "9c2f0e7a4b1d6e8f3a5c7b9d0e2f4a6c"
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": key,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "MEDIA_DIR": str(tmp_path)})
    assert app.config["SECRET_KEY"] == key


@pytest.mark.parametrize("key, why", [
    ("change-me-in-production", "looks like a placeholder (it contains 'change')"),
    ("dev-secret-change-me-please", "looks like a placeholder (it contains 'change')"),
    ("My-Secret-Key-For-The-Site-2026", "looks like a placeholder (it contains 'secret')"),
    ("an-example-key-for-the-docs", "looks like a placeholder (it contains 'example')"),
    ("password-password-1", "looks like a placeholder (it contains 'password')"),
    ("CHANGEME-0123456789", "looks like a placeholder (it contains 'change')"),
    ("aaaaaaaaaaaaaaaa", "is not random (it repeats a shorter part)"),
    ("abcdabcdabcdabcdabcdabcd", "is not random (it repeats a shorter part)"),
    ("e2e-https-" + "x" * 40, "is not random (it has too few different characters)"),  # mostly one character
    ("0000000000000000000000000000000000000001", "is not random (it has too few different characters)"),
])
def test_production_refuses_keys_that_are_clearly_not_random(tmp_path, key, why):
    """The security review: placeholders and keys of one character started the production site. The message says
    why, and how to make a random key, without showing the key."""
    with pytest.raises(RuntimeError) as refused:
        create_app({"ENV_NAME": "production", "SECRET_KEY": key,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "MEDIA_DIR": str(tmp_path)})
    message = str(refused.value)
    assert message.startswith(f"SECRET_KEY {why}: set a random one ") and key not in message
    assert "python3 -c 'import secrets; print(secrets.token_hex(32))'" in message  # README's command


def test_production_accepts_random_keys_of_every_usual_kind():
    """The rule refuses no key a generator makes: README's command (token_hex(32)), the shortest accepted hex key,
    URL-safe keys, and a passphrase of random words."""
    import secrets

    from webapp.config import check_production

    keys = [make(n) for _ in range(2000) for make, n in ((secrets.token_hex, 32), (secrets.token_hex, 8),
                                                        (secrets.token_urlsafe, 12), (secrets.token_urlsafe, 48))]
    for key in keys + ["correct horse battery staple", "e2e-https-3f9a1c7e5b2d8046a9e1f3c5b7d9024681ace0bd"]:
        check_production({"ENV_NAME": "production", "SECRET_KEY": key})


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
