"""A background task for the multi-server test: it blocks in its first attempt, so that the
test can kill the worker running it, and finishes at once in any later attempt.

It blocks by opening a FIFO for reading, which waits for a writer that never comes (no sleeping,
no polling): only the worker's death ends that attempt. Every attempt appends the worker's
process id to ``<folder>/attempts``; the last one writes ``<folder>/done``.
"""

import os
from pathlib import Path

from django_tasks import task


@task()
def block_first_attempt(folder: str) -> int:
    folder_path = Path(folder)
    attempts = folder_path / "attempts"
    first = not attempts.exists()
    with open(attempts, "a") as f:
        f.write(f"{os.getpid()}\n")
    if first:
        os.close(os.open(folder_path / "never-written", os.O_RDONLY))  # blocks until killed
    (folder_path / "done").write_text(str(os.getpid()))
    return os.getpid()
