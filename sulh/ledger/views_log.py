"""/log/: the C2SP tlog-tiles layout over HTTP, read straight from the database.

Readable by every signed-in organisation (session or bearer token): entries hold hashes and metadata,
never content, and each party must be able to fetch the whole log to check it on its own machine."""

from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound

from sulh.core.auth import TokenAuth

from . import merkle, services, tiles


def _allowed(request) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and (not user.requires_second_factor or user.is_verified()):
        return True
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return TokenAuth().authenticate(request, header[7:].strip()) is not None
    return False


def checkpoint(request):
    if not _allowed(request):
        return HttpResponseForbidden("sign in or send a bearer token\n", content_type="text/plain")
    cp = services.latest_checkpoint()
    if cp is None:
        return HttpResponseNotFound("no checkpoint yet\n", content_type="text/plain")
    response = HttpResponse(services.cosigned_note(cp), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


def tile(request, path: str):
    if not _allowed(request):
        return HttpResponseForbidden("sign in or send a bearer token\n", content_type="text/plain")
    try:
        kind, _, _, width = merkle.parse_tile_path("tile/" + path)
        data = tiles.read_tile("tile/" + path, services.tree_size())
    except (ValueError, LookupError) as exc:
        return HttpResponseNotFound(f"{exc}\n", content_type="text/plain")
    response = HttpResponse(data, content_type="application/octet-stream")
    # Full tiles never change; partial ones are superseded, never altered.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
