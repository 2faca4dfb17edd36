"""Write the HTML API reference of the library layers into dist/docs/ with pdoc.

The reference covers what a pipeline tool or another DCC imports without Blender:
``litellm_screenwriter.client``, ``.worker`` and ``.screenplay`` (when present), each by its
``__all__``. It is generated from the docstrings (tests/library checks every public name has
one), so it cannot drift from the code.

    build_docs.py [OUTPUT_DIR]     default: dist/docs
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pdoc
import pdoc.render

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("client", "worker", "screenplay")


def import_checkout_as_package() -> None:
    """Import the checkout under its package name, whatever the folder is called."""
    if "litellm_screenwriter" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "litellm_screenwriter", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["litellm_screenwriter"] = module
    spec.loader.exec_module(module)


def layers() -> list[str]:
    """The public library modules in this checkout; their submodules are implementation."""
    present = [n for n in LAYERS if (ROOT / n).is_dir() or (ROOT / f"{n}.py").is_file()]
    return [f"litellm_screenwriter.{n}" for n in present] + [
        f"!litellm_screenwriter.{n}." for n in present
    ]


def main(argv: list[str]) -> int:
    output = Path(argv[0]) if argv else ROOT / "dist" / "docs"
    import_checkout_as_package()
    pdoc.render.configure(docformat="markdown", footer_text="LiteLLM Screenwriter")
    pdoc.pdoc(*layers(), output_directory=output)
    pages = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    print(f"build_docs: {len(pages)} pages in {output}: {', '.join(pages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
