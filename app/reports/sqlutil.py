"""Dialect-aware SQL expressions for reports: local-time buckets, durations, date offsets."""

from sqlalchemy import Integer, any_, bindparam, case, cast, func, literal
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db


def dialect() -> str:
    return db.session.get_bind().dialect.name


def rows_of(stmt) -> list[dict]:
    """The statement's rows as dicts by column label (read as plain tuples: a group's figures are
    thousands of rows)."""
    result = db.session.execute(stmt)
    keys = list(result.keys())
    return [dict(zip(keys, r, strict=True)) for r in result.tuples()]


def among(column, ids):
    """`column IN ids` for a list of integer ids, as one array parameter on PostgreSQL (= ANY):
    a group's 1,200 consultants are then one parameter, not 1,200 that SQLAlchemy expands into the
    statement and psycopg rewrites on every execution (45 ms of Python for three such lists)."""
    ids = list(ids)
    if dialect() == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def sum_if(condition):
    """How many rows meet the condition (0 for none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def local_bucket(column, grain: str, offset_minutes: int):
    """Return an SQL text label of the local day/week(Monday)/month/quarter of a UTC timestamp."""
    if dialect() == "postgresql":
        shifted = column + func.make_interval(0, 0, 0, 0, 0, offset_minutes)
        if grain == "week":
            return func.to_char(func.date_trunc("week", shifted), "YYYY-MM-DD")
        if grain == "month":
            return func.to_char(shifted, "YYYY-MM")
        if grain == "quarter":
            return func.to_char(shifted, 'YYYY-"Q"Q')
        return func.to_char(shifted, "YYYY-MM-DD")
    shift = f"{offset_minutes:+d} minutes"
    if grain == "week":
        return func.date(column, shift, "weekday 0", "-6 days")
    if grain == "month":
        return func.strftime("%Y-%m", column, shift)
    if grain == "quarter":
        month = cast(func.strftime("%m", column, shift), Integer)
        return func.strftime("%Y", column, shift) + literal("-Q") + cast((month + 2) / 3, Integer)
    return func.date(column, shift)


def date_bucket(column, grain: str):
    """Return the bucket label of a DATE column (no time zone shift)."""
    if dialect() == "postgresql":
        if grain == "week":
            return func.to_char(func.date_trunc("week", column), "YYYY-MM-DD")
        if grain == "month":
            return func.to_char(column, "YYYY-MM")
        if grain == "quarter":
            return func.to_char(column, 'YYYY-"Q"Q')
        return func.to_char(column, "YYYY-MM-DD")
    if grain == "week":
        return func.date(column, "weekday 0", "-6 days")
    if grain == "month":
        return func.strftime("%Y-%m", column)
    if grain == "quarter":
        month = cast(func.strftime("%m", column), Integer)
        return func.strftime("%Y", column) + literal("-Q") + cast((month + 2) / 3, Integer)
    return func.date(column)


def hours_between(start, end):
    """Return the hours from `start` to `end` (two timestamp columns) as a number."""
    if dialect() == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def local_date_plus(column, offset_minutes: int, days: int = 0):
    """Return the local calendar date of a UTC timestamp plus `days`, comparable with DATE columns."""
    if dialect() == "postgresql":
        shifted = column + func.make_interval(0, 0, 0, days, 0, offset_minutes)
        return cast(shifted, db.Date)
    return func.date(column, f"{offset_minutes:+d} minutes", f"{days:+d} days")
