"""The labelled dialect sentences shipped with the package (customer_service/data/)."""

from pathlib import Path

LABELLED = Path(__file__).resolve().parent / "data" / "dialect_labelled.tsv"


def labelled_sentences() -> list[tuple[str, str]]:
    """(dialect, sentence) pairs; lines starting with # are comments."""
    rows = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        dialect, sentence = line.split("\t", 1)
        rows.append((dialect.strip(), sentence.strip()))
    return rows
