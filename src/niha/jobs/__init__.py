"""Background jobs on procrastinate: the task registry, schedules and worker wiring."""

from niha.jobs.registry import JobContext, JobSpec, job

__all__ = ["JobContext", "JobSpec", "job"]
