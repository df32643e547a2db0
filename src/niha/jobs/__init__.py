"""Background jobs on procrastinate: the task registry, schedules and worker wiring.

Declare a job with :func:`job` in ``niha/<domain>/jobs.py`` (found automatically);
start it after the current transaction commits with :func:`defer_after_commit`.
"""

from niha.jobs.app import JobRuntime, defer_after_commit
from niha.jobs.registry import JobContext, JobSpec, job

__all__ = ["JobContext", "JobRuntime", "JobSpec", "defer_after_commit", "job"]
