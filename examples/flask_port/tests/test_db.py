from taskboard.extensions import db
from taskboard.models import Task, User


def test_init_db_command(runner, app):
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 2
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert result.output == "Initialized the database.\n"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0
        assert sorted(db.inspect(db.engine).get_table_names()) == ["task", "user"]


def test_passwords_are_hashed(app):
    with app.app_context():
        alice = db.session.scalar(db.select(User).filter_by(username="alice"))
        assert alice.password_hash.startswith("scrypt:")
        assert alice.check_password("alice-password")
        assert not alice.check_password("wrong")
        assert [task.title for task in alice.tasks] == ["Buy milk", "Write report"]
        assert db.session.get(Task, 3).owner.username == "bob"
