"""Idempotent POSTs for the API (the header of the IETF draft "The Idempotency-Key HTTP Header Field")."""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.http.request import RawPostDataException
from ninja.responses import NinjaJSONEncoder

from .errors import Conflict, ValidationFailed
from .models import IdempotencyKey

HEADER = "Idempotency-Key"


def idempotent(view):
    """Wrap a ninja operation returning Status(code, payload). With the header present, the first answer is
    stored in the same transaction as the change; a repeat with the same key and body replays it; the same
    key with a different body is refused with 409."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > 200:
            raise ValidationFailed(f"{HEADER} is longer than 200 characters", field=HEADER)
        fingerprint = IdempotencyKey.fingerprint(request.method, request.path, _body_for_fingerprint(request))
        previous = IdempotencyKey.objects.filter(user=request.auth_user, key=key).first()
        if previous is not None:
            return _replay(previous, fingerprint)
        try:
            with transaction.atomic():
                result = view(request, *args, **kwargs)
                body = json.loads(json.dumps(_dump(result.value), cls=NinjaJSONEncoder))
                IdempotencyKey.objects.create(
                    user=request.auth_user, key=key, request_hash=fingerprint, status=result.status_code, body=body
                )
        except IntegrityError:
            # a concurrent request with the same key won the race: answer with what it stored
            previous = IdempotencyKey.objects.get(user=request.auth_user, key=key)
            return _replay(previous, fingerprint)
        return result

    return wrapper


def _body_for_fingerprint(request: HttpRequest) -> bytes:
    """The raw body; for a multipart upload, which Django has read as a stream and keeps no copy of by now
    (request.body would raise), its parsed parts: every field, and each file's name, size and SHA-256."""
    try:
        return request.body
    except RawPostDataException:
        pass
    files = []
    for name, uploads in sorted(request.FILES.lists()):
        for f in uploads:
            digest = hashlib.sha256()
            for chunk in f.chunks():
                digest.update(chunk)
            f.seek(0)
            files.append([name, f.name, f.size, digest.hexdigest()])
    parts = {"fields": sorted(request.POST.lists()), "files": files}
    return b"multipart " + json.dumps(parts, sort_keys=True).encode()


def _dump(payload):
    return payload.model_dump() if hasattr(payload, "model_dump") else payload


def _replay(previous: IdempotencyKey, fingerprint: str):
    if previous.request_hash != fingerprint:
        raise Conflict(f"this {HEADER} was already used for a different request", field=HEADER)
    response = JsonResponse(previous.body, status=previous.status, safe=False)
    response["Idempotent-Replayed"] = "true"
    return response
