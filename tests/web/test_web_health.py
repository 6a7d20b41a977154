"""GET /healthz: 200 with JSON when the database answers, 503 when it does not."""

from tests.helpers_platform import other_app


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_503_when_the_database_is_unreachable(_tmpdir):
    with other_app(
        _tmpdir,
        SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent-dir/leadloop/x.db",
        SQLALCHEMY_ENGINE_OPTIONS={},
    ) as application:
        response = application.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "error", "database": "unreachable"}
