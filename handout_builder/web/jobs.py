"""Web stage: builds started from the app (the content owner's rebuild, marketing's brochures), run one at a
time on the workshop thread; their log lines are kept for the page that shows their progress
(static/progress.js asks for the lines it has not seen yet).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, jsonify, render_template, request, url_for

from ..problems import BuildFailed

log = logging.getLogger("handout_builder.web")
KEPT = 20  # finished jobs remembered, newest last


@dataclass
class Job:
    id: str
    area: str  # whose pages show it: content or marketing
    title: str
    owner: str
    state: str = "waiting"  # waiting, running, done, failed
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    summary: str = ""
    outputs: list[dict] = field(default_factory=list)  # manifest entries written or kept
    started: float = field(default_factory=time.time)

    def view(self, since: int = 0) -> dict:
        return dict(id=self.id, state=self.state, title=self.title, lines=self.lines[since:],
                    count=len(self.lines), problems=self.problems, summary=self.summary,
                    outputs=self.outputs, finished=self.state in ("done", "failed"))


class Jobs:
    def __init__(self, run_in_workshop: Callable):
        self.run_in_workshop = run_in_workshop
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, area: str, title: str, owner: str, build: Callable, **options) -> Job:
        """Queue `build(log=..., **options)` (build.incremental.build) and return its job at once."""
        job = Job(secrets.token_urlsafe(12), area, title, owner)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT:
                self._jobs.popitem(last=False)
        self.run_in_workshop(self._run, job, build, options)
        return job

    def get(self, job_id: str, area: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.area == area else None

    def latest(self, area: str) -> Job | None:
        found = [job for job in self._jobs.values() if job.area == area]
        return found[-1] if found else None

    def _run(self, job: Job, build: Callable, options: dict) -> None:
        job.state = "running"
        try:
            entries = build(log=job.lines.append, **options)
        except BuildFailed as failure:
            job.problems = [str(problem) for problem in failure.problems]
            job.summary = failure.summary()
            job.state = "failed"
            return
        except Exception:  # noqa: BLE001 - a bug: logged with its traceback, shown as a failure
            log.exception("bug in the build started by %s", job.owner)
            job.summary = "The build hit a bug and stopped; nothing was changed. Tell your admin."
            job.state = "failed"
            return
        job.outputs = [dict(path=e.path, kind=e.kind, lang=e.lang, paper=e.paper, variant=e.variant, title=e.title,
                            pages=e.pages, bytes=e.bytes) for e in entries]
        job.state = "done"


def job_page(jobs: Jobs, area: str, job_id: str, blueprint: str, downloads: bool):
    """The page of one build, whose progress static/progress.js follows (content's and marketing's)."""
    found = jobs.get(job_id, area)
    if found is None:
        abort(404)
    return render_template("app/job.html", job=found, status_url=url_for(f"{blueprint}.status", job_id=job_id),
                           back=url_for(f"{blueprint}.index"), downloads=downloads)


def job_status(jobs: Jobs, area: str, job_id: str, outputs: Callable[[list[dict]], list[dict]] = lambda o: o):
    """The build's log lines after `?since=N`, its state, problems and (through `outputs`) what it wrote."""
    found = jobs.get(job_id, area)
    if found is None:
        abort(404)
    view = found.view(request.args.get("since", 0, type=int))
    view["outputs"] = outputs(view["outputs"])
    return jsonify(view)
