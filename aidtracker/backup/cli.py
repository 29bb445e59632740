"""``aidtracker backup FILE`` and ``aidtracker restore FILE``: the whole installation in one file.

For nightly jobs and for moving to a new server: the database and the uploaded documents go into
one archive, written safely while the app runs; a restore checks all of it before it replaces
anything, and refuses to replace data unless told to.
"""

from pathlib import Path

import click
from flask.cli import with_appcontext

from aidtracker.backup.service import BACKEND_NAMES, BackupError, back_up, restore
from aidtracker.shipments.document_views import filesize


def documents(count: int, size: int) -> str:
    return f"{count:,} document{'s' if count != 1 else ''} ({filesize(size)})"


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write the database and the uploaded documents to FILE, a .tar.gz replaced if it exists.

    Safe while AidTracker runs: the copy shows one moment of the database.
    """
    try:
        backup = back_up(file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = backup.manifest
    click.echo(
        f"Backup written to {click.format_filename(file)} ({filesize(backup.size)}): the "
        f"{BACKEND_NAMES[manifest.backend]} database ({filesize(manifest.database.size)}) and "
        f"{documents(len(manifest.documents), manifest.documents_size)}."
    )
    if backup.vanished:
        click.echo(
            f"{len(backup.vanished):,} file(s) were removed from the upload folder while the "
            f"backup ran and are not in it: {', '.join(backup.vanished)}."
        )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace a database that holds data, and documents of the same name (they are lost).",
)
@with_appcontext
def restore_command(file: Path, force: bool) -> None:
    """Restore the database and the documents from FILE, a backup made by `aidtracker backup`.

    Stop AidTracker first. Without --force, only into a database without data.
    """
    try:
        restored = restore(file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = restored.manifest
    click.echo(
        f"Restored {click.format_filename(file)}, made {manifest.created_at} by AidTracker "
        f"{manifest.aidtracker_version}: the {BACKEND_NAMES[manifest.backend]} database and "
        f"{documents(len(manifest.documents), manifest.documents_size)}, checksums verified."
    )
    if restored.needs_upgrade:
        click.echo("The database is older than this AidTracker: run `aidtracker db upgrade`.")
