"""Commit variants for requests that answer right after writing."""

from app.extensions import db


def commit_keeping_loaded() -> None:
    """Commit without expiring the objects already loaded in this request.

    For responses rendered right after the commit from rows this transaction read or wrote itself
    (the door's check-in result): the signed-in user, the event and the guest are not read again.
    Only use it where nothing else could have changed those rows in between that matters here.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
