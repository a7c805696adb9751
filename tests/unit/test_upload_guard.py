"""The UI upload guard's counting: a sliding window per client, and the folder's size."""

from __future__ import annotations

from assistant.ui.upload_guard import UploadBudget, folder_bytes


def test_the_window_slides_per_client():
    now = [0.0]
    budget = UploadBudget(per_client=2, window_seconds=60, clock=lambda: now[0])
    assert budget.take("a") is None
    now[0] = 30.0
    assert budget.take("a") is None
    wait = budget.take("a")
    assert wait == 30.0  # until the first upload leaves the window
    assert budget.take("b") is None  # another client has its own budget
    now[0] = 59.0
    assert budget.take("a") is not None
    now[0] = 60.0  # the first upload has left the window
    assert budget.take("a") is None
    assert budget.take("a") is not None


def test_folder_bytes_counts_nested_files(tmp_path):
    (tmp_path / "x" / "y").mkdir(parents=True)
    (tmp_path / "x" / "a").write_bytes(b"1" * 10)
    (tmp_path / "x" / "y" / "b").write_bytes(b"2" * 5)
    assert folder_bytes(tmp_path) == 15
    assert folder_bytes(tmp_path / "missing") == 0
