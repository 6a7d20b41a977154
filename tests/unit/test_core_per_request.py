"""Values read once per request (app/core/per_request.py)."""

from app.core.per_request import forget, once_per_request


def test_a_value_is_read_once_per_request_and_key_and_again_after_forget(app):
    reads = []

    def read(n):
        reads.append(n)
        return n * 10

    with app.test_request_context("/"):
        assert once_per_request("t", 1, lambda: read(1)) == 10
        assert once_per_request("t", 1, lambda: read(1)) == 10
        assert once_per_request("t", 2, lambda: read(2)) == 20
        forget("t")
        assert once_per_request("t", 1, lambda: read(1)) == 10
    assert reads == [1, 2, 1]
    with app.test_request_context("/"):  # another request starts from nothing
        once_per_request("t", 1, lambda: read(1))
    with app.app_context():  # outside a request (a task): read every time
        once_per_request("t", 1, lambda: read(1))
        once_per_request("t", 1, lambda: read(1))
    assert reads == [1, 2, 1, 1, 1, 1]
