"""Save and read files kept in the database (never on one machine's disk)."""

from flask import current_app
from sqlalchemy import delete, select, update

from app.extensions import db
from app.files.models import StoredFile


class FileTooLarge(ValueError):
    """The content is larger than STORED_FILE_MAX_MB."""


def save_file(
    owner_type: str,
    owner_id: int,
    role: str,
    filename: str,
    content: bytes,
    content_type: str = "application/octet-stream",
    replace: bool = True,
) -> StoredFile:
    """Store `content` for an owner (replacing an earlier file of the same role); return the row."""
    _check_size(filename, content)
    if replace:
        delete_files(owner_type, owner_id, role)
    row = StoredFile(
        owner_type=owner_type,
        owner_id=owner_id,
        role=role,
        filename=filename[:255],
        content_type=content_type,
        size=len(content),
        content=content,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _check_size(filename: str, content: bytes) -> None:
    if len(content) > current_app.config.get("STORED_FILE_MAX_MB", 50) * 1024 * 1024:
        raise FileTooLarge(filename)


def fill_file(file_id: int, filename: str, content: bytes, content_type: str) -> None:
    """Write `content` into a stored file made earlier (empty) for its owner."""
    _check_size(filename, content)
    db.session.execute(
        update(StoredFile)
        .where(StoredFile.id == file_id)
        .values(filename=filename[:255], content_type=content_type, size=len(content), content=content)
        .execution_options(synchronize_session=False)
    )


def file_content(owner_type: str, owner_id: int, role: str) -> bytes | None:
    """Return the bytes of an owner's file, or None."""
    return db.session.execute(
        select(StoredFile.content)
        .where(StoredFile.owner_type == owner_type, StoredFile.owner_id == owner_id, StoredFile.role == role)
        .order_by(StoredFile.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def delete_files(owner_type: str, owner_id: int, *roles: str) -> None:
    """Delete an owner's files of the given roles (all of them when none is given)."""
    stmt = delete(StoredFile).where(StoredFile.owner_type == owner_type, StoredFile.owner_id == owner_id)
    if roles:
        stmt = stmt.where(StoredFile.role.in_(roles))
    db.session.execute(stmt)
