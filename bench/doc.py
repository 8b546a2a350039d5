"""docs/benchmarks.md holds one section per benchmark, each between `<!-- bench:NAME -->` and
`<!-- /bench:NAME -->` markers, so that each benchmark rewrites only its own section."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\n"
    "Each section below is written by one benchmark of `bench/` (`make bench` runs them all; see each section for\n"
    "its own command). A section names the machine and the date it was measured on; sections can be of\n"
    "different dates when one benchmark was rerun alone.\n"
)


def replace_section(name: str, markdown: str, path: Path = DOC) -> None:
    """Put `markdown` in section `name` of the document, in place, or append the section if it is new."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
