"""``job_lock(name)``: run a block at most once at a time across processes, or skip it.

The lease is short (``ttl_seconds``, 90 s by default) and renewed by a heartbeat thread while
the block runs. A worker killed mid-task stops renewing, so its lease lapses within that time
and the redelivered task (acks late; Redis hands it out again after the visibility timeout)
takes over within minutes — instead of finding a lease that a dead worker holds for half an
hour. ``task_id``: a redelivered copy of a task that already finished skips (no second effect).
"""

import logging
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.utils import timezone

from .choices import JobRunStatus
from .models import JobLock, JobRun

logger = logging.getLogger(__name__)

DEFAULT_TTL = settings.JOB_LEASE_SECONDS


def acquire(name, *, ttl_seconds):
    holder = uuid.uuid4().hex
    now = timezone.now()
    expires = now + timedelta(seconds=ttl_seconds)
    try:
        with transaction.atomic():
            JobLock.objects.create(name=name, holder=holder, expires_at=expires)
        return holder
    except IntegrityError:
        # Take over only a lease whose holder died (compare-and-set on the expiry).
        taken = JobLock.objects.filter(name=name, expires_at__lt=now).update(holder=holder, expires_at=expires)
        return holder if taken else None


def renew(name, holder, *, ttl_seconds) -> bool:
    """Push the lease's expiry forward; ``False`` when it is no longer ours."""
    expires = timezone.now() + timedelta(seconds=ttl_seconds)
    return bool(JobLock.objects.filter(name=name, holder=holder).update(expires_at=expires))


def release(name, holder):
    JobLock.objects.filter(name=name, holder=holder).delete()


def already_succeeded(task_id) -> bool:
    """A task with this id already finished successfully (this is a redelivered copy)."""
    return bool(task_id) and JobRun.objects.filter(task_id=task_id, status=JobRunStatus.SUCCESS).exists()


class _Heartbeat(threading.Thread):
    def __init__(self, name, holder, ttl_seconds):
        super().__init__(name=f"lease-{name}", daemon=True)
        self.lease, self.holder, self.ttl = name, holder, ttl_seconds
        self.stopped = threading.Event()

    def run(self):
        try:
            while self._pause(self.ttl / 3):
                try:
                    if not renew(self.lease, self.holder, ttl_seconds=self.ttl):
                        logger.warning("lease %s was taken over", self.lease)
                        return
                except DatabaseError as exc:
                    logger.warning("lease %s not renewed: %s", self.lease, exc.__class__.__name__)
        finally:
            connections.close_all()  # this thread's connection only

    def _pause(self, seconds) -> bool:
        """Sleep ``seconds`` in short steps; ``False`` as soon as the job is done.

        Short sleeps rather than ``Event.wait(timeout)``: the same behaviour, and it keeps working
        under libfaketime, which CI uses to run the suite on another date.
        """
        deadline = time.monotonic() + seconds
        while not self.stopped.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(0.05, left))
        return False


@contextmanager
def job_lock(name, *, ttl_seconds=DEFAULT_TTL, task_id=None):
    """Yields ``True`` when this process holds the lock, ``False`` when someone else does (or the
    task ``task_id`` already ran to completion)."""
    if already_succeeded(task_id):
        yield False
        return
    holder = acquire(name, ttl_seconds=ttl_seconds)
    heartbeat = None
    if holder is not None:
        heartbeat = _Heartbeat(name, holder, ttl_seconds)
        heartbeat.start()
    try:
        yield holder is not None
    finally:
        if heartbeat is not None:
            heartbeat.stopped.set()
            heartbeat.join(timeout=5)
            release(name, holder)
