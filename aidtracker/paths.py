"""Where the templates, static files and migrations are.

They live at the repository root, beside the package. In an editable install (the way `make run`
installs) they are found there; a built wheel carries copies inside the package, which win.
"""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> str:
    """Return the folder `name` (templates, static, migrations) for this installation."""
    inside = _PACKAGE_DIR / name
    if inside.is_dir():
        return str(inside)
    return str(_PACKAGE_DIR.parent / name)
