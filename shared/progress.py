"""Progress a person can follow: one numbered line when a step starts and its elapsed time when it ends, and bars
over long loops that show on a terminal and stay out of CI logs.

    steps = Steps(["data and features", "float training", ...])
    with steps.step("float training"):
        ...
    # [2/9] float training …
    # [2/9] float training: 38 s
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

Item = TypeVar("Item")


def format_seconds(seconds: float) -> str:
    """`7.2 s`, `38 s`, `3 min 05 s`: short and readable at every scale."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


class Steps:
    """The numbered steps of one command; `step(title)` must name one of them (the plan is printed as it goes)."""

    def __init__(self, titles: Iterable[str], stream: TextIO | None = None) -> None:
        self.titles = list(titles)
        self.stream = stream
        self.elapsed: dict[str, float] = {}

    def _print(self, text: str) -> None:
        print(text, file=self.stream or sys.stdout, flush=True)

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        number = f"[{self.titles.index(title) + 1}/{len(self.titles)}]"
        self._print(f"{number} {title} …")
        start = time.monotonic()
        yield
        self.elapsed[title] = time.monotonic() - start
        self._print(f"{number} {title}: {format_seconds(self.elapsed[title])}")

    def skip(self, title: str, why: str) -> None:
        """A step of the plan that does not run this time."""
        self._print(f"[{self.titles.index(title) + 1}/{len(self.titles)}] {title}: skipped ({why})")


def bar(items: Iterable[Item], description: str, total: int | None = None) -> Iterable[Item]:
    """A tqdm bar over `items` on a terminal (stderr); the bare iterable when stderr is a pipe or a CI log."""
    if not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, desc=description, total=total, leave=False, unit="sample")
