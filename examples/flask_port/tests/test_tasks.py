import pytest

from taskboard.extensions import db
from taskboard.models import Task, User


def titles(app, username="alice"):
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username=username))
        return [(task.title, task.done) for task in user.tasks]


def test_index_lists_the_users_own_tasks(client, auth):
    auth.login()
    page = client.get("/").text
    assert '<li class="task" id="task-1">' in page
    assert '<span class="title">Buy milk</span>' in page
    assert '<li class="task done" id="task-2">' in page
    assert "Fix the bike" not in page


def test_index_of_a_user_without_tasks(client, app, auth):
    with app.app_context():
        db.session.execute(db.delete(Task))
        db.session.commit()
    auth.login()
    assert '<li class="empty">No tasks yet.</li>' in client.get("/").text


def test_requests_share_the_tests_session(client, app, auth):
    """A row the test added, not yet committed, is seen by the requests it makes."""
    alice = db.session.scalar(db.select(User).filter_by(username="alice"))
    db.session.add(Task(title="Call the plumber", owner=alice))
    auth.login()
    assert '<span class="title">Call the plumber</span>' in client.get("/").text
    db.session.rollback()
    assert "Call the plumber" not in client.get("/").text


@pytest.mark.parametrize("path", ["/", "/tasks/new"])
def test_login_required(client, path):
    response = client.get(path)
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("action", ["toggle", "delete"])
def test_login_required_for_changes(client, app, action):
    response = client.post(f"/tasks/1/{action}")
    assert response.headers["Location"] == f"/auth/login?next=%2Ftasks%2F1%2F{action}"
    assert titles(app) == [("Buy milk", False), ("Write report", True)]


def test_create(client, app, auth):
    auth.login()
    assert client.get("/tasks/new").status_code == 200
    response = client.post("/tasks/new", data={"title": "Call the plumber"})
    assert response.headers["Location"] == "/"
    assert titles(app) == [("Buy milk", False), ("Write report", True), ("Call the plumber", False)]
    assert '<div class="flash success">Task added.</div>' in client.get("/").text


def test_create_validate_input(client, app, auth):
    auth.login()
    response = client.post("/tasks/new", data={"title": ""})
    assert response.status_code == 200
    assert '<p class="error">This field is required.</p>' in response.text
    assert len(titles(app)) == 2


def test_toggle(client, app, auth):
    auth.login()
    response = client.post("/tasks/1/toggle")
    assert response.headers["Location"] == "/?page=1"
    assert titles(app)[0] == ("Buy milk", True)
    client.post("/tasks/1/toggle")
    assert titles(app)[0] == ("Buy milk", False)


def test_delete(client, app, auth):
    auth.login()
    response = client.post("/tasks/2/delete", follow_redirects=True)
    assert '<div class="flash info">Task “Write report” deleted.</div>' in response.text
    assert titles(app) == [("Buy milk", False)]
    with app.app_context():
        assert db.session.get(Task, 2) is None


@pytest.mark.parametrize("action", ["toggle", "delete"])
def test_another_users_task_is_forbidden(client, app, auth, action):
    auth.login()
    response = client.post(f"/tasks/3/{action}")
    assert response.status_code == 403
    assert "<h1>403 Forbidden</h1>" in response.text
    assert titles(app, "bob") == [("Fix the bike", False)]


def test_a_missing_task_is_404(client, auth):
    auth.login()
    response = client.post("/tasks/99/toggle")
    assert response.status_code == 404
    assert '<p class="description">There is no task 99.</p>' in response.text


def test_pagination(client, app, auth):
    with app.app_context():
        alice = db.session.get(User, 1)
        db.session.add_all(Task(title=f"Task {n}", owner=alice) for n in range(3, 9))
        db.session.commit()
    auth.login()
    first = client.get("/").text
    assert first.count('<li class="task') == 5
    assert "Page 1 of 2" in first
    assert '<a href="/?page=2">Next</a>' in first
    second = client.get("/?page=2").text
    assert second.count('<li class="task') == 3
    assert '<span class="title">Task 8</span>' in second
    assert client.get("/?page=3").status_code == 404
