"""Progress bars on stderr for every long step (rich), silent when stderr is not a terminal."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class ProgressSink(Protocol):
    def start(self, task: str, total: float | None) -> None: ...
    def advance(self, amount: float) -> None: ...
    def done(self) -> None: ...


class RichProgress:
    """One task at a time; `advance` takes bytes or items."""

    def __init__(self, progress: Progress):
        self._progress = progress
        self._task = None

    def start(self, task: str, total: float | None) -> None:
        self.done()
        self._task = self._progress.add_task(task, total=total)

    def advance(self, amount: float) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def done(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[-1]
            if task.total is not None:
                self._progress.update(self._task, completed=task.total)
            self._progress.stop_task(self._task)
            self._task = None


class NullProgress:
    def start(self, task: str, total: float | None) -> None:
        pass

    def advance(self, amount: float) -> None:
        pass

    def done(self) -> None:
        pass


@contextmanager
def progress_bar() -> Iterator[ProgressSink]:
    console = Console(file=sys.stderr)
    if not console.is_terminal:
        yield NullProgress()
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        sink = RichProgress(progress)
        yield sink
        sink.done()
