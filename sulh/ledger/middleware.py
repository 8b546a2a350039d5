"""Every request collects the receipts of what it wrote and answers them in a `Sulh-Receipt` header
(one `leaf-index; entry-hash=…; kind=…; record=…` item per entry, comma-separated), so that every client —
the API, the console, a script — can keep proof of what it was told was stored."""

from .services import acting_as, collecting_receipts


class _RequestActor:
    """Resolves who acts when an entry is written, not when the request starts: token authentication
    happens later, inside the API."""

    def __init__(self, request):
        self.request = request

    def resolve(self):
        user = getattr(self.request, "auth_user", None) or getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


class LedgerReceiptMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with collecting_receipts() as receipts, acting_as(_RequestActor(request)):
            response = self.get_response(request)
        receipts = _committed(receipts)
        if receipts:
            response["Sulh-Receipt"] = ", ".join(r.header() for r in receipts)
        return response


def _committed(receipts: list) -> list:
    """The receipts whose entries are in the log now. An append is collected as it is made, but a refusal
    raised later in the same transaction (or an idempotent request that lost its race and replays) rolls
    it back: its leaf index will be another entry's, and a receipt for it would accuse the log wrongly."""
    if not receipts:
        return receipts
    from .models import LogEntry

    stored = dict(
        LogEntry.objects.filter(index__in=[r.leaf_index for r in receipts]).values_list("index", "entry_hash")
    )
    return [r for r in receipts if stored.get(r.leaf_index) == r.entry_hash]
