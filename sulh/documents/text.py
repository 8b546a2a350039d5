"""The text a document's signatories sign, and the offline check of a co-signed document.

No Django here: `sulh doc sign` and `sulh doc verify` use this module on a signatory's own machine, and the
server uses the same code, so both read a document exactly alike.

A frozen version's text is a C2SP signed-note text (sulh/ledger/note.py):

    sulh-document v1
    origin sulh.mechanism/af-pak/log
    document DOC-2025-0001
    version 2
    previous 3f1c…(SHA-256 of version 1's text, hex) or -
    kind joint_statement
    title Joint statement of the Istanbul talks
    <blank line>
    the body, one or more lines, each ending in a newline

Its SHA-256 is the version's hash. The co-signed document is that text, a blank line, and one signature
line ("— <key name> <base64>") per signature; `verify()` checks it against the charter's signatory keys.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from sulh.ledger import note

HEADER = "sulh-document v1"
FIELDS = ("origin", "document", "version", "previous", "kind", "title")
KINDS = ("joint_statement", "minutes", "communique", "other")
MAX_BODY = 100_000
MAX_TITLE = 300
# Characters that change how text is displayed without being seen: a signatory must see what they sign.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class TextError(ValueError):
    """A title or body that cannot become a document's text; `field` names it."""

    def __init__(self, message: str, field: str = "body"):
        super().__init__(message)
        self.field = field


def _check_line_chars(text: str, what: str, field: str) -> None:
    for lineno, line in enumerate(text.split("\n"), start=1):
        for c in line:
            if c == "\t":
                raise TextError(f"{what}: line {lineno} holds a tab character; use spaces", field)
            if ord(c) < 0x20 or ord(c) == 0x7F or 0x80 <= ord(c) < 0xA0:
                raise TextError(f"{what}: line {lineno} holds the control character U+{ord(c):04X}", field)
            if c in _BIDI_CONTROLS:
                raise TextError(
                    f"{what}: line {lineno} holds the invisible direction control U+{ord(c):04X}, which can "
                    "make the text shown differ from the text signed; remove it",
                    field,
                )
            if c in "\u2028\u2029":
                raise TextError(f"{what}: line {lineno} holds a Unicode line or paragraph separator; use a new line",
                                field)  # fmt: skip
            if unicodedata.category(c) == "Cs":
                raise TextError(f"{what}: line {lineno} holds a lone surrogate", field)


def normalise_body(body: str) -> str:
    """The body as it will be signed: newlines as \\n, no trailing spaces, no blank lines at either end, one
    final newline. Refuses (TextError) what a signed note cannot carry or a reader cannot see."""
    if not isinstance(body, str):
        raise TextError("the body must be text")
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip(" ") for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise TextError("the body is empty")
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_BODY:
        raise TextError(f"the body is {len(text)} characters long; at most {MAX_BODY}")
    _check_line_chars(text[:-1], "the body", "body")
    for lineno, line in enumerate(lines, start=1):
        if line.startswith(note.SIG_PREFIX):
            raise TextError(
                f"the body: line {lineno} starts with an em dash and a space, which is how signature lines start; "
                "begin the line otherwise (a hyphen, or a word)"
            )
    return text


def normalise_title(title: str) -> str:
    text = " ".join((title or "").split())
    if not text:
        raise TextError("the title is empty", "title")
    if len(text) > MAX_TITLE:
        raise TextError(f"the title is {len(text)} characters long; at most {MAX_TITLE}", "title")
    _check_line_chars(text, "the title", "title")
    return text


def build_text(*, origin: str, code: str, number: int, previous_sha256: str | None, kind: str, title: str,
               body: str) -> str:  # fmt: skip
    """The signed-note text of a version (deterministic: the same inputs give the same bytes)."""
    if kind not in KINDS:
        raise TextError(f"kind must be one of {', '.join(KINDS)}", "kind")
    if previous_sha256 is not None and not _HEX64.fullmatch(previous_sha256):
        raise TextError("the previous version's hash is not a SHA-256 in lower-case hex", "previous")
    lines = [
        HEADER,
        f"origin {origin}",
        f"document {code}",
        f"version {int(number)}",
        f"previous {previous_sha256 or '-'}",
        f"kind {kind}",
        f"title {normalise_title(title)}",
        "",
    ]
    text = "\n".join(lines) + "\n" + normalise_body(body)
    note._check_text(text)  # what the note format itself refuses
    return text


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Header:
    origin: str
    document: str
    version: int
    previous: str | None
    kind: str
    title: str
    body: str


def parse_text(text: str) -> Header:
    """Read a version's text back (TextError if it is not one)."""
    if not text.startswith(HEADER + "\n"):
        raise TextError(f"not a Sulh document: the first line is not {HEADER!r}", "text")
    head, sep, body = text[len(HEADER) + 1 :].partition("\n\n")
    if not sep:
        raise TextError("not a Sulh document: no blank line after the header", "text")
    values: dict[str, str] = {}
    lines = head.split("\n")
    if len(lines) != len(FIELDS):
        raise TextError(f"not a Sulh document: the header has {len(lines)} lines, not {len(FIELDS)}", "text")
    for name, line in zip(FIELDS, lines, strict=True):
        key, _, value = line.partition(" ")
        if key != name or not value:
            raise TextError(f"not a Sulh document: header line {line[:40]!r} should give {name!r}", "text")
        values[name] = value
    try:
        version = int(values["version"])
    except ValueError:
        raise TextError("not a Sulh document: the version is not a number", "text") from None
    previous = None if values["previous"] == "-" else values["previous"]
    return Header(
        values["origin"], values["document"], version, previous, values["kind"], values["title"], body
    )


# --- offline verification ------------------------------------------------------------------------------------


@dataclass
class OrgResult:
    org: str
    office: str
    status: str  # "ok", "missing", "invalid"
    detail: str = ""


@dataclass
class Report:
    sha256: str = ""
    header: Header | None = None
    orgs: list[OrgResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what makes the document not verify, besides orgs
    ignored: list[str] = field(default_factory=list)  # signature lines by keys the charter does not name

    @property
    def agreed(self) -> bool:
        return not self.problems and bool(self.orgs) and all(o.status == "ok" for o in self.orgs)


@dataclass(frozen=True)
class CharterKey:
    org: str
    office: str
    verifier: note.Verifier


def charter_keys(charter) -> tuple[list[str], list[CharterKey]]:
    """(required organisation codes, signatory keys) of a charter (a loaded sulh.charter Charter)."""
    docs = charter.commitments.documents if charter.commitments is not None else None
    required = list(docs.required) if docs is not None and docs.required else (
        [p.code for p in charter.parties] + [m.code for m in charter.mediators]
    )  # fmt: skip
    keys = []
    for s in docs.signatories if docs is not None else []:
        if s.key:
            keys.append(CharterKey(s.org, s.office, note.parse_verifier_key(s.key)))
    return required, keys


def find_key(keys: list[CharterKey], sig: note.Signature) -> CharterKey | None:
    for k in keys:
        if k.verifier.name == sig.name and k.verifier.key_id == sig.key_id:
            return k
    return None


def offices(charter) -> dict[str, str]:
    docs = charter.commitments.documents if charter.commitments is not None else None
    out: dict[str, str] = {}
    for s in docs.signatories if docs is not None else []:
        out.setdefault(s.org, s.office)
    return out


def verify(data: bytes | str, charter) -> Report:
    """Check a co-signed document against `charter`: each signature line by a charter key must verify over
    the text, and every required organisation must have signed. Never raises for a bad document: what is
    wrong is in the report (`report.agreed` is the verdict)."""
    report = Report()
    required, keys = charter_keys(charter)
    names = offices(charter)
    try:
        text, sigs = note.split_note(data)
    except note.NoteError as exc:
        report.problems.append(f"not a signed document: {exc}")
        report.orgs = [OrgResult(org, names.get(org, ""), "missing") for org in required]
        return report
    report.sha256 = sha256(text)
    try:
        report.header = parse_text(text)
    except TextError as exc:
        report.problems.append(str(exc))
    if report.header is not None and report.header.origin != charter.origin:
        report.problems.append(
            f"the document was made under the charter {report.header.origin!r}, this charter is {charter.origin!r}"
        )
    good: dict[str, list[str]] = {}
    bad: dict[str, list[str]] = {}
    for sig in sigs:
        k = find_key(keys, sig)
        if k is None:
            report.ignored.append(f"{sig.name}+{sig.key_id:08x}")
            continue
        if k.verifier.verify(text, sig.signature):
            good.setdefault(k.org, []).append(sig.name)
        else:
            bad.setdefault(k.org, []).append(sig.name)
            report.problems.append(
                f"the signature of {k.org} (key {sig.name}+{sig.key_id:08x}) does not verify: the text or the "
                "signature line was changed after signing"
            )
    for org in required:
        if org in bad:
            report.orgs.append(OrgResult(org, names.get(org, ""), "invalid", "signature does not verify"))
        elif org in good:
            report.orgs.append(OrgResult(org, names.get(org, ""), "ok", f"key {good[org][0]}"))
        else:
            has_key = any(k.org == org for k in keys)
            why = "no signature" if has_key else "no signatory key in the charter"
            report.orgs.append(OrgResult(org, names.get(org, ""), "missing", why))
    return report
