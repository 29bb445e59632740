"""Liveness for load balancers and monitoring: is the database answering?"""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from aidtracker.auth.access import public
from aidtracker.extensions import db

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
