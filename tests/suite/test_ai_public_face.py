"""Products reach the model layer only through its public face, so its inner modules (registry,
safety, pipelines, backends, ...) can change without touching a product."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = ("customer_service", "gov_hotline", "video_analytics", "video_ringtone")
PUBLIC = {"gateway", "streams", "types", "errors", "search", "labelling"}


def _ai_modules_imported(source: Path) -> set[str]:
    """The `suite.ai.<module>` names a file imports, however it spells the import."""
    found = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "suite.ai":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("suite.ai."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.split(".")[2]
                for alias in node.names
                if alias.name.startswith("suite.ai.")
            }
    return found


def test_products_import_only_the_public_face_of_the_model_layer():
    outside = {
        f"{path.relative_to(ROOT)}: suite.ai.{module}"
        for product in PRODUCTS
        for path in (ROOT / product).rglob("*.py")
        for module in _ai_modules_imported(path) - PUBLIC
    }
    assert not outside, sorted(outside)


def test_the_check_sees_every_spelling_of_an_inner_import(tmp_path):
    source = tmp_path / "example.py"
    source.write_text(
        "from suite.ai import gateway, registry\n"
        "from suite.ai.citations import NO_ANSWER\n"
        "import suite.ai.safety\n"
        "def late():\n    from suite.ai.motion import MotionDetector\n",
        encoding="utf-8",
    )
    assert _ai_modules_imported(source) - PUBLIC == {"registry", "citations", "safety", "motion"}
