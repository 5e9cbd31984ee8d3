"""The task list of the signed-in user."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .extensions import db
from .forms import TaskForm
from .models import Task

bp = Blueprint("tasks", __name__)


@bp.route("/")
@login_required
def index():
    query = db.select(Task).filter_by(owner_id=current_user.id).order_by(Task.id)
    page = db.paginate(query, per_page=current_app.config["TASKS_PER_PAGE"])
    return render_template("tasks/index.html", page=page)


def get_task(task_id):
    """The task, if it is the current user's: 404 if there is none, 403 if it is not theirs."""
    task = db.get_or_404(Task, task_id, description=f"There is no task {task_id}.")
    if task.owner_id != current_user.id:
        abort(403)
    return task


@bp.route("/tasks/new", methods=("GET", "POST"))
@login_required
def create():
    form = TaskForm()
    if form.validate_on_submit():
        db.session.add(Task(title=form.title.data, owner=current_user))
        db.session.commit()
        flash("Task added.", "success")
        return redirect(url_for("tasks.index"))
    return render_template("tasks/form.html", form=form)


@bp.post("/tasks/<int:task_id>/toggle")
@login_required
def toggle(task_id):
    task = get_task(task_id)
    task.done = not task.done
    db.session.commit()
    return redirect(url_for("tasks.index", page=request.args.get("page", 1, type=int)))


@bp.post("/tasks/<int:task_id>/delete")
@login_required
def delete(task_id):
    task = get_task(task_id)
    db.session.delete(task)
    db.session.commit()
    flash(f"Task “{task.title}” deleted.", "info")
    return redirect(url_for("tasks.index"))
