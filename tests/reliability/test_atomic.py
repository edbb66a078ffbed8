"""Atomic runs: OUT is replaced only by a complete run, never without --force, and a run killed
with SIGKILL at any moment leaves the previous OUT (or, once committed, the new one) complete,
and nothing that breaks the next run.

The folder swap is tested exhaustively: a child process is killed at every step of
`atomic_dir` (each file written, each rename, exchange and delete, before and after), with the
atomic exchange and with the two-rename fallback. The whole pipeline is then killed at a few
moments of a real run.
"""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indicators.errors import OutputError
from rating.outputs import OLD_PREFIX, TMP_PREFIX, atomic_dir, recover

CHILD = r"""
import os, shutil, signal, sys
from pathlib import Path
import rating.outputs as o

out, kill_at, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
count = 0

def event():
    global count
    count += 1
    if count == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

def hooked(fn):
    def wrapper(*a, **k):
        event()
        result = fn(*a, **k)
        event()
        return result
    return wrapper

o._exchange = hooked((lambda a, b: False) if mode == "fallback" else o._exchange)
os.rename = hooked(os.rename)
shutil.rmtree = hooked(shutil.rmtree)
with o.atomic_dir(out, force=True) as tmp:
    for i in range(3):
        event()
        (tmp / f"part{i}.txt").write_text("new" * (i + 1))
    (tmp / "sub").mkdir()
    (tmp / "sub" / "x.txt").write_text("new")
    event()
    (tmp / "manifest.json").write_text('{"run": "new"}')
print(count)
"""
OLD = {"manifest.json": b'{"run": "old"}', "part0.txt": b"old", "sub/x.txt": b"old", "only_old.txt": b"x"}
NEW = {"manifest.json": b'{"run": "new"}', "part0.txt": b"new", "part1.txt": b"newnew",
       "part2.txt": b"newnewnew", "sub/x.txt": b"new"}


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".rating-"))


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
def test_kill_at_every_step_of_the_swap(tmp_path, kit, mode):
    if mode == "exchange" and not sys.platform.startswith("linux"):
        pytest.skip("the atomic exchange is Linux only")
    committed = False
    for kill_at in range(1, 60):
        parent = tmp_path / f"k{kill_at}"
        out = parent / "out"
        out.mkdir(parents=True)
        write_tree(out, OLD)
        child = subprocess.run([sys.executable, "-c", CHILD, str(out), str(kill_at), mode],
                               capture_output=True, text=True, timeout=60)
        if child.returncode == 0:
            assert kill_at > 8 and kit.tree(out) == NEW and leftovers(parent) == []
            break
        assert child.returncode == -signal.SIGKILL, child.stderr
        if mode == "exchange":  # OUT is never missing, not even for a moment
            assert out.is_dir()
        else:
            recover(out)  # what the next run does first: a half-done swap is undone
        state = kit.tree(out)
        assert state in (OLD, NEW), f"killed at step {kill_at}: OUT is neither run"
        committed = committed or state == NEW
        if not committed:
            assert state == OLD
        # the next run is not disturbed by what the killed one left, and leaves nothing behind
        with atomic_dir(out, force=True) as tmp:
            write_tree(tmp, {"manifest.json": b"next"})
        assert kit.tree(out) == {"manifest.json": b"next"}
        assert leftovers(parent) == [], f"killed at step {kill_at}"
    else:
        pytest.fail("the child never finished")
    assert committed


def test_stale_folders_of_dead_runs_are_removed_or_restored(tmp_path):
    out = tmp_path / "out"
    gone = dead_pid()
    # a half-swapped state: OUT missing, the previous run parked by a process that is gone
    old = tmp_path / f"{OLD_PREFIX}out-{gone}"
    old.mkdir()
    write_tree(old, OLD)
    half = tmp_path / f"{TMP_PREFIX}out-{gone}"
    half.mkdir()
    write_tree(half, {"part0.txt": b"half"})
    live = tmp_path / f"{TMP_PREFIX}out-{os.getppid()}"  # a run that is still going: left alone
    live.mkdir()
    other = tmp_path / f"{TMP_PREFIX}out-2-{gone}"  # belongs to OUT 'out-2', not to 'out'
    other.mkdir()
    zombie = os.fork()  # killed but not yet reaped by its parent: it cannot write any more
    if zombie == 0:
        os._exit(0)
    try:
        time.sleep(0.2)
        (tmp_path / f"{TMP_PREFIX}out-{zombie}").mkdir()
        with pytest.raises(OutputError, match="--force"):
            with atomic_dir(out):
                pass
    finally:
        os.waitpid(zombie, 0)
    assert (out / "manifest.json").read_bytes() == OLD["manifest.json"]  # restored, then protected
    assert not old.exists() and not half.exists() and live.exists() and other.exists()
    assert not (tmp_path / f"{TMP_PREFIX}out-{zombie}").exists()


def test_never_overwrites_without_force_nor_anything_but_a_run(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        write_tree(tmp, OLD)
    with pytest.raises(OutputError, match="pass --force"):
        with atomic_dir(out) as tmp:
            write_tree(tmp, NEW)
    assert (out / "manifest.json").read_bytes() == OLD["manifest.json"]
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(OutputError, match="does not hold a rating run"):
        with atomic_dir(foreign, force=True):
            pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        with atomic_dir(tmp_path / "file", force=True):
            pass
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError):
        with atomic_dir(tmp_path / "dangling", force=True):
            pass
    assert (foreign / "cat.jpg").exists() and leftovers(tmp_path) == []


def test_a_run_finishing_first_wins_unless_force(tmp_path):
    """Two runs into one OUT: the second to finish finds the first one's result and stops."""
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="pass --force"):
        with atomic_dir(out) as tmp:
            write_tree(tmp, NEW)
            out.mkdir()  # meanwhile another run finished
            write_tree(out, OLD)
    assert (out / "manifest.json").read_bytes() == OLD["manifest.json"] and leftovers(tmp_path) == []


def test_failures_leave_out_untouched_and_map_to_output_errors(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        write_tree(tmp, OLD)
    with pytest.raises(ValueError):
        with atomic_dir(out, force=True) as tmp:
            write_tree(tmp, NEW)
            raise ValueError("a failing stage")
    with pytest.raises(OutputError, match="No space left"):
        with atomic_dir(out, force=True) as tmp:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert (out / "manifest.json").read_bytes() == OLD["manifest.json"] and leftovers(tmp_path) == []
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputError):
            with atomic_dir(locked / "out"):
                pass


#: Files of a run that hold the time of the run (timings, zip and database headers).
TIMED = {"manifest.json", "rating.xlsx", "results.duckdb"}
#: A process that pays the imports once and forks one process per run: `wait ARGS` answers the
#: exit code, `start ARGS` the process id of a run left going (to be killed).
RUNNER = r"""
import json, os, sys
import rating.cli, rating.pipeline, reports.render  # no thread pool is started by importing
for line in sys.stdin:
    how, args = json.loads(line)
    if how == "reap":  # a killed run: wait for it, as a shell would
        print(os.waitpid(int(args), 0)[1], flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os._exit(rating.cli.main(args))
    print(os.waitpid(pid, 0)[1] if how == "wait" else pid, flush=True)
"""


class Runner:
    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-c", RUNNER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def ask(self, how: str, args) -> int:
        import json

        self.process.stdin.write(json.dumps([how, args]) + "\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks one process per run")
def test_killing_a_real_run_keeps_the_previous_result(tmp_path, small_city_world, kit):
    world, out = small_city_world, tmp_path / "out"
    runner = Runner()
    try:
        took = []
        for args in (kit.run_args(world, out), kit.run_args(world, out, "--force")):
            t0 = time.monotonic()
            assert runner.ask("wait", args) == 0
            took.append(time.monotonic() - t0)
        took = min(took)  # a run's length on a quiet moment: a busy one only delays the kills
        before = kit.tree(out)
        killed = 0
        for share in (0.1, 0.35, 0.6, 0.85):  # reading, rating, workbook, reports
            pid = runner.ask("start", kit.run_args(world, out, "--force"))
            time.sleep(share * took)
            os.kill(pid, signal.SIGKILL)
            status = runner.ask("reap", pid)
            assert status in (signal.SIGKILL, 0), f"killed at {share:.0%}: status {status}"  # killed, or it had ended
            killed += status == signal.SIGKILL
            now = kit.tree(out)
            if now != before:  # a busy machine may let the killed run commit: then OUT is that run, complete
                assert now.keys() == before.keys(), f"killed at {share:.0%} of a run: OUT is incomplete"
                assert {k: v for k, v in now.items() if k not in TIMED} == {
                    k: v for k, v in before.items() if k not in TIMED}, f"killed at {share:.0%}: OUT is neither run"
        assert killed >= 2, "the runs ended before they could be killed: nothing was tested"
        assert runner.ask("wait", kit.run_args(world, out, "--force")) == 0
    finally:
        runner.close()
    assert (out / "scores.csv").read_bytes() == before["scores.csv"]
    assert leftovers(tmp_path) == []
