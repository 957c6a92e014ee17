"""Joint training (offline upper bound): one network trained on all tasks' data at once.

As in van de Ven & Tolias 2019 it gets the total number of iterations of the sequential runs
(iterations x tasks). Its accuracy matrix has a single row.
"""

from hnet.core import TargetNetMethod


class Joint(TargetNetMethod):
    name = "joint"

    def phases(self, n_tasks):
        return [list(range(n_tasks))]
