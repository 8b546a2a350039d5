"""Domain errors: raised by services, turned into HTTP 4xx by the API and form errors by the console."""


class DomainError(Exception):
    """A request that the mechanism refuses. `field` names the input at fault when there is one."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict:
        out = {"detail": self.message}
        if self.field:
            out["field"] = self.field
        return out


class ValidationFailed(DomainError):
    status = 422


class PermissionDenied(DomainError):
    status = 403


class NotFound(DomainError):
    """Also used for records that exist but are not the caller's to see: existence is not leaked."""

    status = 404


class Conflict(DomainError):
    status = 409


def org_code(obj) -> str:
    """The organisation code of a row, or of an already-serialised dict: output schemas resolve with this
    so that they validate ORM objects and their own dumps alike (idempotent replays re-validate dumps)."""
    org = obj["organisation"] if isinstance(obj, dict) else obj.organisation
    return org if isinstance(org, str) else org.code
