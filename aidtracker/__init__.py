"""AidTracker: humanitarian aid shipments between partner cities, from entry to receipt."""

import os

from flask import Flask, redirect, url_for

from aidtracker import cli, models  # noqa: F401  (models: complete metadata for Alembic)
from aidtracker.api.account_views import blueprint as api_tokens_blueprint
from aidtracker.api.views import blueprint as api_blueprint
from aidtracker.audit.service import init_audit
from aidtracker.audit.views import blueprint as audit_blueprint
from aidtracker.auth.access import init_access
from aidtracker.auth.permissions import Permission, requires
from aidtracker.auth.sessions import init_sessions
from aidtracker.auth.throttling import init_throttling
from aidtracker.auth.views import blueprint as auth_blueprint
from aidtracker.catalogue.views import blueprint as catalogue_blueprint
from aidtracker.config import settings_from_environment
from aidtracker.dashboard.views import blueprint as dashboard_blueprint
from aidtracker.errors import blueprint as errors_blueprint
from aidtracker.extensions import babel, csrf, db, login_manager, migrate
from aidtracker.funds.views import blueprint as funds_blueprint
from aidtracker.headers import init_security_headers, trust_reverse_proxies
from aidtracker.health import blueprint as health_blueprint
from aidtracker.i18n import init_i18n, select_locale, select_timezone
from aidtracker.imports.line_views import blueprint as line_imports_blueprint
from aidtracker.imports.reference_views import blueprint as reference_imports_blueprint
from aidtracker.input_guard import init_input_guard
from aidtracker.money.views import blueprint as rates_blueprint
from aidtracker.notifications.views import blueprint as notifications_blueprint
from aidtracker.packing.views import blueprint as packing_blueprint
from aidtracker.parties.views import blueprints as parties_blueprints
from aidtracker.paths import resource_dir
from aidtracker.reports.views import blueprint as reports_blueprint
from aidtracker.shipments.document_views import blueprint as documents_blueprint
from aidtracker.shipments.status_views import blueprint as shipment_status_blueprint
from aidtracker.shipments.views import blueprint as shipments_blueprint
from aidtracker.tracking.views import blueprint as tracking_blueprint
from aidtracker.transactions import init_transactions
from aidtracker.users.views import blueprint as users_blueprint


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error pages and commands.

    `test_config` overrides settings read from the environment (tests give each app its own
    database); `instance_path` moves the folder that keeps the SQLite file, secret key and uploads.
    """
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("AIDTRACKER_INSTANCE_PATH") or None,
        template_folder=resource_dir("templates"),
        static_folder=resource_dir("static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(settings_from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    trust_reverse_proxies(app)

    db.init_app(app)
    init_transactions(app)
    migrate.init_app(
        app, db, directory=resource_dir("migrations"), compare_type=True, render_as_batch=True
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    init_sessions(app)
    init_throttling(app)
    init_access(app)
    init_i18n(app)
    init_audit(app)
    init_security_headers(app)
    init_input_guard(app)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    app.register_blueprint(errors_blueprint)
    app.register_blueprint(health_blueprint)
    app.register_blueprint(auth_blueprint)
    app.register_blueprint(shipments_blueprint)
    app.register_blueprint(shipment_status_blueprint)
    app.register_blueprint(rates_blueprint)
    app.register_blueprint(documents_blueprint)
    app.register_blueprint(users_blueprint)
    app.register_blueprint(catalogue_blueprint)
    app.register_blueprint(reports_blueprint)
    for blueprint in parties_blueprints:
        app.register_blueprint(blueprint)
    app.register_blueprint(dashboard_blueprint)
    app.register_blueprint(line_imports_blueprint)
    app.register_blueprint(reference_imports_blueprint)
    app.register_blueprint(api_blueprint)
    app.register_blueprint(api_tokens_blueprint)
    app.register_blueprint(notifications_blueprint)
    app.register_blueprint(tracking_blueprint)
    app.register_blueprint(audit_blueprint)
    app.register_blueprint(packing_blueprint)
    app.register_blueprint(funds_blueprint)
    app.add_url_rule("/", endpoint="index", view_func=_home)

    cli.register_commands(app)
    return app


@requires(Permission.OWN_ACCOUNT)
def _home():
    """The first page after login: the dashboard of the user's role."""
    return redirect(url_for("dashboard.show_dashboard"))
