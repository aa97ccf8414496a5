"""What a long build tells the user as it goes."""

from __future__ import annotations


class Progress:
    """Silent by default (output that is not a terminal); the CLI shows a line per stage."""

    def stage(self, message: str) -> None:
        pass

    def step(self, done: int, total: int, what: str) -> None:
        pass
