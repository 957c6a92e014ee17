"""``compile`` (``hnet.core.compiling``): the compiled training step computes what the eager one does.

In float64 the compiled and the eager runs agree to summation order (Inductor fuses and reorders
operations, so not bitwise): the same accuracy matrix and parameters to 1e-9, for HNET (generation,
target network and regulariser compiled, through three tasks: no, one and two previous tasks), for
packed HNET seeds (generation and regulariser under ``vmap``) and for a baseline (the target
network's training forward). Across tasks the compiled graphs are reused with a dynamic task count,
not recompiled per task. ``cudagraphs`` refuses a CPU run; it is exercised on a GPU by
``workflow/scripts/gpu_check.sh``.
"""

from __future__ import annotations

import shutil

import pytest
import torch

from hnet.benchmarks import Scenario
from hnet.core import Context, LoopState, SeedStreams, run_loop, run_seeds
from hnet.core.compiling import check_compile_mode
from hnet.errors import ConfigError
from hnet.registry import method_class
from hnet.run.seeding import seed_everything
from tests.test_packed import SMALL, small_cfg, stream

needs_inductor = pytest.mark.skipif(shutil.which("g++") is None, reason="Inductor on CPU needs a C++ compiler")
TOL = 1e-9
CPU = torch.device("cpu")


N_TASKS = 4  # no, one, two and three previous tasks: the last reuses the third's graphs


def trained(name: str, mode: str, seeds=None):
    """(accuracy matrices, final parameters) of ``name`` on the small stream, compiled as ``mode``."""
    torch._dynamo.reset()
    cfg = small_cfg(name, "cl1", {**SMALL, "n_tasks": N_TASKS})
    bench, scenario = stream(N_TASKS), Scenario("cl1", N_TASKS, 2)
    if seeds is None:
        seed_everything(1)
        method = method_class(name)(Context(bench, scenario, cfg, CPU, compile=mode))
        matrices = [run_loop(bench, scenario, method, cfg, torch.Generator().manual_seed(1)).matrix]
    else:
        method = method_class(name)(Context(bench, scenario, cfg, CPU, SeedStreams(seeds), mode))
        gens = [torch.Generator().manual_seed(s) for s in seeds]
        matrices = [s.matrix for s in run_seeds(bench, scenario, method, cfg, gens, [LoopState() for _ in seeds])]
    params = method.ph.hnet.parameters() if hasattr(method, "ph") else method.params
    return matrices, torch.cat([p.detach().flatten() for p in params])


@pytest.mark.parametrize(
    "name, seeds, most_graphs",
    # HNET: generation, the target network, the regulariser at one previous task, then with the task
    # count dynamic (reused from the third task on); EWC: the target network.
    [("hnet", None, 4), ("hnet", (1, 2), 4), ("ewc", None, 1)],
    ids=["hnet", "hnet_packed", "ewc"],
)
@pytest.mark.usefixtures("float64")
@pytest.mark.compile  # opt-in (-m compile, run by .ci/run): Inductor compiles for about a minute per variant
@needs_inductor
def test_the_compiled_step_trains_what_the_eager_step_trains(name, seeds, most_graphs):
    eager_matrices, eager_params = trained(name, "none", seeds)
    graphs_before = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    matrices, params = trained(name, "compile", seeds)
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"] - graphs_before
    assert 0 < graphs <= most_graphs  # compiled, and not once per task
    torch.testing.assert_close(params, eager_params, rtol=0, atol=TOL)
    assert params.abs().max() > 0.1 and not torch.equal(params, trained(name, "none", (3,) if seeds else None)[1])
    torch.testing.assert_close(torch.tensor(matrices), torch.tensor(eager_matrices), rtol=0, atol=TOL, equal_nan=True)


def test_cudagraphs_needs_a_cuda_device_and_unknown_modes_are_refused():
    with pytest.raises(ConfigError, match="needs a CUDA device"):
        check_compile_mode("cudagraphs", CPU)
    with pytest.raises(ConfigError, match="unknown"):
        check_compile_mode("jit", CPU)
    check_compile_mode("compile", CPU)
