"""The app remembers which functions are plain (equipment_share.EquipmentShare.ensure_sync):
the answer is Flask's own, asked once per function."""

import gc
import inspect


def test_plain_functions_are_returned_as_they_are_and_coroutines_converted(app, monkeypatch):
    asked = []
    check = inspect.iscoroutinefunction
    monkeypatch.setattr("flask.app.iscoroutinefunction", lambda f: asked.append(f) or check(f))
    monkeypatch.setattr(app, "async_to_sync", lambda func: ("converted", func))

    def plain():
        pass

    async def coroutine():
        pass

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    assert app.ensure_sync(coroutine) == ("converted", coroutine)
    assert app.ensure_sync(coroutine) == ("converted", coroutine)
    assert asked == [plain, coroutine, coroutine]


def test_a_function_made_for_one_request_is_not_kept(app):
    def made_for_a_request():
        pass

    app.ensure_sync(made_for_a_request)
    kept = len(app._plain_functions)
    del made_for_a_request
    gc.collect()

    assert len(app._plain_functions) == kept - 1


def test_the_hooks_run_as_before(client):
    with client.get("/static/js/week.js") as response:
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Request-ID"]
