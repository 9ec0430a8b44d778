"""Flask extensions, bound to the app in create_app() with init_app()."""
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
csrf = CSRFProtect()


def _user_or_address():
    """Uploads are limited per candidate (many candidates may share one address)."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


# Rate limits: storage and on/off come from RATELIMIT_* config keys (see config.py); the limits
# themselves are read from the config at request time, so they can be changed per app.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
login_limit = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
register_limit = limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
upload_limit = limiter.shared_limit(lambda: current_app.config["UPLOAD_RATE_LIMIT"], scope="uploads",
                                    key_func=_user_or_address, methods=["POST"])
