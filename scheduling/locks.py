"""``job_lock(name)``: run a block at most once at a time across processes, or skip it."""

import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import JobLock


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


def release(name, holder):
    JobLock.objects.filter(name=name, holder=holder).delete()


@contextmanager
def job_lock(name, *, ttl_seconds=3600):
    """Yields ``True`` when this process holds the lock, ``False`` when someone else does."""
    holder = acquire(name, ttl_seconds=ttl_seconds)
    try:
        yield holder is not None
    finally:
        if holder is not None:
            release(name, holder)
