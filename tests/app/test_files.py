"""Nothing is lost: outputs are written atomically, report.md last, and an interruption names
the files that are complete."""
from __future__ import annotations

import errno
import os

import pytest

from ss_mech.serialize import atomic_write, completed_files, recording_writes


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_writes_text_and_bytes_and_records_them(tmp_path):
    with recording_writes() as done:
        atomic_write(tmp_path / "a.txt", "⟨K⟩ = ½\n")
        atomic_write(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "⟨K⟩ = ½\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert completed_files(done, tmp_path) == "a.txt, b.bin" and completed_files([]) == "none"
    assert _leftovers(tmp_path) == []


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write(target, "new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o640


@pytest.mark.parametrize("failing", ["fsync", "replace"])
@pytest.mark.parametrize("kind", ["full disk", "ctrl-c"])
def test_a_failed_write_keeps_the_old_content_and_leaves_no_temporary_file(tmp_path, monkeypatch, failing, kind):
    exc = OSError(errno.ENOSPC, "No space left on device") if kind == "full disk" else KeyboardInterrupt()
    target = tmp_path / "results.json"
    target.write_text("old, complete")

    def fail(*args):
        raise exc

    monkeypatch.setattr(os, failing, fail)
    with recording_writes() as done, pytest.raises(type(exc)) as info:
        atomic_write(target, "new" * 1000)
    monkeypatch.undo()
    assert target.read_text() == "old, complete" and _leftovers(tmp_path) == [] and done == []
    if isinstance(exc, OSError):
        assert info.value.filename == str(target)  # the message names the file, not the temporary one


def test_an_interrupted_report_leaves_only_complete_files_and_names_them(tmp_path, capsys, monkeypatch, small_result):
    import springsticks.compare.report as report

    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "report.md").write_text("an earlier run's report")  # would link to files being replaced
    original = report.atomic_write

    def interrupted(path, data, **kw):
        if path.name == "report.md":
            raise KeyboardInterrupt
        return original(path, data, **kw)

    monkeypatch.setattr(report, "atomic_write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.write_report(small_result, folder)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["deterministic.png", "results.json", "spec.json"]
    assert (folder / "deterministic.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    line = capsys.readouterr().err.strip()
    assert line == f"report {folder}: interrupted; complete: results.json, spec.json, deterministic.png (no report.md)"


def test_a_report_interrupted_in_a_figure_has_no_figure_and_no_report(tmp_path, capsys, monkeypatch, small_result):
    import springsticks.compare.report as report

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "_deterministic_figure", ctrl_c)
    messages = []
    with pytest.raises(KeyboardInterrupt):
        report.write_report(small_result, tmp_path, log=messages.append)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json", "spec.json"]
    assert messages == [f"report {tmp_path}: interrupted; complete: results.json, spec.json (no report.md)"]
    monkeypatch.undo()
    report.write_report(small_result, tmp_path)  # and a rerun completes it
    assert (tmp_path / "report.md").exists() and (tmp_path / "deterministic.png").exists()


def test_a_complete_report_links_only_files_that_exist(tmp_path, small_result):
    from springsticks.compare.report import write_report

    path = write_report(small_result, tmp_path)
    assert path == tmp_path / "report.md" and "(deterministic.png)" in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deterministic.png", "report.md", "results.json",
                                                          "spec.json"]


def test_an_interrupted_reproduction_names_its_complete_files(tmp_path, capsys):
    from springsticks.plotting import pyplot, save_figure
    from springsticks.reproduce._common import reproduction

    @reproduction("probe")
    def run(*, out, quick, progress, seed):
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1])
        save_figure(fig, out, "first.png", dpi=40)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(out=tmp_path, quick=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.png"]
    assert capsys.readouterr().err.strip() == f"reproduce probe: interrupted; complete in {tmp_path}: first.png"
