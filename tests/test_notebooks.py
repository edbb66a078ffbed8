"""The analyst notebooks: stored without outputs or machine paths, and run top to bottom on a fresh
kernel of this interpreter (each generates its own small world in a temporary folder)."""
from __future__ import annotations

import json
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [p.name for p in NOTEBOOKS]
EXPECTED = {"01_indicators.ipynb", "02_compare.ipynb", "03_backtest.ipynb", "04_whatifs.ipynb"}
CELL_TIMEOUT = 300
#: Absolute paths of a machine: POSIX home, temporary and system folders, Windows drives.
MACHINE_PATH = re.compile(r"(/home/|/Users/|/root/|/tmp/|/var/folders/|/private/|[A-Za-z]:\\\\)")


def test_the_four_notebooks_are_there():
    assert EXPECTED <= set(NAMES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_stored_clean(path):
    """No outputs, no execution counts, no metadata beyond the kernel, no machine paths."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    for cell in nb.cells:
        assert not cell.metadata, f"cell {cell.get('id')} has metadata"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {cell.get('id')} has outputs"
    assert not MACHINE_PATH.search(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_uses_the_public_entry_points(path):
    """Each notebook generates its world in a temporary folder and rates it with rating.run."""
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "tempfile.TemporaryDirectory()" in code and "generate(DATA" in code and "rating.run(" in code
    assert "tmp.cleanup()" in code


def _kernel_manager(kernels: Path) -> KernelManager:
    """A kernel of the interpreter running the tests (not whatever `python3` kernel is installed)."""
    spec = kernels / "rating-test"
    if not spec.exists():
        write_kernel_spec(spec)
        assert json.loads((spec / "kernel.json").read_text())["argv"][0] == sys.executable
    ksm = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    return KernelManager(kernel_name="rating-test", kernel_spec_manager=ksm)


def _execute(path: Path, cwd: Path, kernels: Path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, km=_kernel_manager(kernels), timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except Exception as err:  # reported by the test of this notebook
        return nb, err
    return nb, None


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Every notebook executed once; two kernels at a time (they are separate processes)."""
    cwd = tmp_path_factory.mktemp("notebooks-cwd")
    kernels = tmp_path_factory.mktemp("kernels")
    _kernel_manager(kernels)  # write the spec once, before the threads
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {p.name: pool.submit(_execute, p, cwd, kernels) for p in NOTEBOOKS}
        return {name: f.result() for name, f in futures.items()}


def _output_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/"):
                    parts.append(value if isinstance(value, str) else "".join(value))
            parts.extend(out.get("traceback", []))
    return "\n".join(parts)


@pytest.mark.integration  # a Jupyter kernel per notebook, each rating a world
@pytest.mark.parametrize("name", NAMES)
def test_runs_top_to_bottom(executed, name):
    nb, error = executed[name]
    if error is not None:
        raise error
    codes = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in codes)
    assert not [o for c in codes for o in c.outputs if o.output_type == "error"]
    text = _output_text(nb)
    for path in {tempfile.gettempdir(), str(ROOT), str(Path.home())} - {"/", ""}:
        assert path not in text, f"an output of {name} shows a path of this machine"
