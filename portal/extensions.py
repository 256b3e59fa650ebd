"""Flask extensions, created unbound; `create_app` binds them to an application."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.core.db import Base

# create_savepoint: when tests bind the session to a connection inside a transaction, a commit
# in the code under test releases a savepoint and the test's outer transaction rolls it all back.
# expire_on_commit off: a view that commits and then renders its answer (the vote, every form)
# uses the objects it already holds instead of reloading each one, with its eager relationships,
# after the commit. A request is one unit of work; the next request loads afresh.
db = SQLAlchemy(
    model_class=Base,
    session_options={"join_transaction_mode": "create_savepoint", "expire_on_commit": False},
)
migrate = Migrate(compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
