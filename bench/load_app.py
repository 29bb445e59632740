"""The application load_bench.py serves: AidTracker as configured by the environment, plus a floor.

The floor is the cheapest answer the same server can give: a public Flask route that returns
"ok", behind the same hooks every AidTracker request goes through (session, permissions). A
page's throughput is judged as a share of the floor's, which makes the targets independent of
the machine. It is kept here, out of the package, so that no installation serves it.

    gunicorn --pythonpath bench load_app:app
"""

from aidtracker import create_app
from aidtracker.auth.access import public

FLOOR_PATH = "/bench/floor"

app = create_app()


@public
def floor():
    """Nothing but the framework's own work: no query, no template."""
    return "ok"


app.add_url_rule(FLOOR_PATH, endpoint="bench_floor", view_func=floor)
