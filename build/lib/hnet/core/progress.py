"""Progress: a tqdm bar in a terminal, periodic log lines otherwise (Snakemake logs, CI)."""

from __future__ import annotations

import logging
import sys
import time

from tqdm import tqdm

log = logging.getLogger("hnet")


class Progress:
    def __init__(self, total: int, desc: str, every: float = 0.1, stream=None):
        self.total, self.desc = total, desc
        self.stream = stream or sys.stderr
        self.bar = tqdm(total=total, desc=desc, leave=False, file=self.stream) if self.stream.isatty() else None
        self.every = max(1, int(total * every))
        self.start = time.perf_counter()
        self.n = 0

    def update(self, loss: float | None = None) -> None:
        self.n += 1
        if self.bar is not None:
            self.bar.update(1)
            if loss is not None and self.n % 50 == 0:
                self.bar.set_postfix(loss=f"{loss:.4f}")
        elif self.n % self.every == 0 or self.n == self.total:
            rate = self.n / max(time.perf_counter() - self.start, 1e-9)
            msg = f"{self.desc}: {self.n}/{self.total} it ({rate:.1f} it/s)"
            if loss is not None:
                msg += f" loss {loss:.4f}"
            log.info(msg)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
