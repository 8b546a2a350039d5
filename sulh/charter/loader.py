"""Load and validate a charter file; report every problem as FILE:LINE:COL: field.path: message."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .schema import Charter

__all__ = ["Charter", "CharterError", "get_charter", "load_charter", "load_charter_text"]


class CharterError(Exception):
    """A charter that cannot be used. ``messages`` holds one 'FILE:LINE:COL: path: message' per problem."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


_PATH_PREFIX = re.compile(r"^([A-Za-z_]\w*(?:\.\w+)*): (.*)$", re.S)


def _mark(doc, path: tuple) -> tuple[int, int, tuple]:
    """(line, col) 1-based of the deepest node along ``path`` that has a mark, and the path it reached."""
    node = doc
    line, col = 1, 1
    reached: tuple = ()
    if isinstance(doc, CommentedMap | CommentedSeq):
        line, col = doc.lc.line + 1, doc.lc.col + 1
    for key in path:
        if isinstance(node, CommentedMap):
            if key not in node:
                break
            try:
                kl, kc = node.lc.key(key)
                line, col = kl + 1, kc + 1
            except (KeyError, TypeError):
                pass
            try:
                vl, vc = node.lc.value(key)
                # Point at a scalar value itself, at the key for collections.
                if not isinstance(node[key], CommentedMap | CommentedSeq):
                    line, col = vl + 1, vc + 1
            except (KeyError, TypeError):
                pass
            node = node[key]
        elif isinstance(node, CommentedSeq):
            if not isinstance(key, int) or not 0 <= key < len(node):
                break
            try:
                il, ic = node.lc.item(key)
                line, col = il + 1, ic + 1
            except (KeyError, TypeError, IndexError):
                pass
            node = node[key]
        else:
            break
        reached = (*reached, key)
    return line, col, reached


def _resolves(doc, path: tuple) -> bool:
    return _mark(doc, path)[2] == path


def _split_path(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


def _format(file: str, doc, loc: tuple, msg: str) -> str:
    # Drop pydantic's discriminator/union tags (e.g. 'Polygon') that are not keys in the document.
    clean = []
    node_path: tuple = ()
    for part in loc:
        candidate = (*node_path, part)
        if (
            isinstance(part, str)
            and not _resolves(doc, candidate)
            and _resolves(doc, node_path)
            and part[:1].isupper()
        ):
            continue
        clean.append(part)
        node_path = candidate
    loc = tuple(clean)
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    m = _PATH_PREFIX.match(msg)
    if m:
        rel = _split_path(m.group(1))
        if _resolves(doc, (*loc, *rel)) or not _resolves(doc, rel):
            loc, msg = (*loc, *rel), m.group(2)
        else:
            loc, msg = rel, m.group(2)
    line, col, _ = _mark(doc, loc)
    path = ".".join(str(p) for p in loc) or "(charter)"
    return f"{file}:{line}:{col}: {path}: {msg}"


def _to_plain(node):
    if isinstance(node, CommentedMap | dict):
        return {str(k) if not isinstance(k, str) else k: _to_plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq | list):
        return [_to_plain(v) for v in node]
    return node


# Large coordinate arrays are plain JSON inside YAML flow style. The pure-Python YAML parser is slow on
# them (seconds for a few thousand points), so they are lifted out with the fast JSON parser first and
# put back after; a placeholder keeps the line numbers, so every error still points at the right line.
_COORDS = re.compile(r"(coordinates:[ \t]*)(\[[\[\]0-9\s,.+eE-]*\])")


def _lift_coordinates(text: str) -> tuple[str, dict[str, list]]:
    lifted: dict[str, list] = {}

    def repl(m: re.Match) -> str:
        try:
            value = json.loads(m.group(2))
        except ValueError:
            return m.group(0)
        key = f"__sulh_coordinates_{len(lifted)}__"
        lifted[key] = value
        return f'{m.group(1)}"{key}"' + "\n" * m.group(2).count("\n")

    return _COORDS.sub(repl, text), lifted


def _restore(node, lifted: dict[str, list]) -> None:
    if isinstance(node, CommentedMap):
        for k, v in node.items():
            if isinstance(v, str) and v in lifted:
                node[k] = lifted[v]
            else:
                _restore(v, lifted)
    elif isinstance(node, CommentedSeq):
        for v in node:
            _restore(v, lifted)


def load_charter_text(text: str, file: str = "<charter>") -> Charter:
    yaml = YAML(typ="rt")
    text, lifted = _lift_coordinates(text)
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise CharterError([f"{file}:{line}:{col}: YAML syntax error: {problem}"]) from None
    except YAMLError as exc:
        raise CharterError([f"{file}:1:1: YAML error: {exc}"]) from None
    if not isinstance(doc, CommentedMap):
        raise CharterError(
            [f"{file}:1:1: (charter): the file must be a YAML mapping, not {type(doc).__name__}"]
        )
    _restore(doc, lifted)
    try:
        return Charter.model_validate(_to_plain(doc))
    except ValidationError as exc:
        messages = []
        for err in exc.errors(include_url=False):
            for line in str(err["msg"]).removeprefix("Value error, ").split("\n"):
                messages.append(_format(file, doc, tuple(err["loc"]), line))
        raise CharterError(messages) from None


def load_charter(path) -> Charter:
    """Load and validate the charter at ``path``; raise ``CharterError`` listing every problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CharterError([f"{p}:0:0: cannot read charter: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise CharterError([f"{p}:1:1: charter is not UTF-8: {exc}"]) from None
    return load_charter_text(text, str(p))


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> Charter:
    return load_charter(path)


def get_charter() -> Charter:
    """The configured charter (``settings.SULH_CHARTER``), loaded once per path; ``get_charter.cache_clear()``
    reloads. Kept per path so that tests switching to a charter with keys and back do not reload each time."""
    from django.conf import settings

    return _load_cached(str(settings.SULH_CHARTER))


get_charter.cache_clear = _load_cached.cache_clear  # type: ignore[attr-defined]
