# What a training job asks the scheduler for, by benchmark. gpu_share: percent of one GPU (small MLP
# runs share a GPU, PermutedMNIST-100 and CIFAR take a whole one); gpu_mem_mb: GPU memory, an estimate
# (CUDA context ~500 MB + the benchmark's tensors on the device + model and optimiser state;
# PermutedMNIST permutes on the fly, so its tasks share one copy of the images); mem_mb: host memory;
# runtime: a SLURM time limit in minutes (a job that hits it is resubmitted and resumes from its
# checkpoint). A benchmark entry may set `runtime_minutes` to change the limit.
JOB_CLASS = {
    "regression": {"gpu_share": 10, "gpu_mem_mb": 600, "mem_mb": 1500, "runtime": 30},
    "split_mnist": {"gpu_share": 20, "gpu_mem_mb": 1000, "mem_mb": 3000, "runtime": 240},
    "permuted_mnist": {"gpu_share": 25, "gpu_mem_mb": 1500, "mem_mb": 4000, "runtime": 720},
    "permuted_mnist_100": {"gpu_share": 100, "gpu_mem_mb": 2500, "mem_mb": 8000, "runtime": 2880},
    "split_cifar": {"gpu_share": 100, "gpu_mem_mb": 3000, "mem_mb": 6000, "runtime": 2880},
    "split_cifar_zenke": {"gpu_share": 50, "gpu_mem_mb": 3000, "mem_mb": 6000, "runtime": 720},
}
DEFAULT_JOB_CLASS = {"gpu_share": 100, "gpu_mem_mb": 4000, "mem_mb": 4000, "runtime": 720}
GPU_RESOURCES = ("gpu_share", "gpu_mem_mb")


def provide_gpu_resources():
    """On a GPU machine the workflow itself provides the pool that gpu_share and gpu_mem_mb draw
    from (config `gpus`, `gpu_memory_mb`), unless --resources or a profile already set it: a
    profile for a cluster sets them beyond reach, since there each job gets its own GPU."""
    if not config["gpu"]:
        return
    pool = {"gpu_share": 100 * config["gpus"]}
    if config["gpu_memory_mb"]:
        pool["gpu_mem_mb"] = config["gpus"] * config["gpu_memory_mb"]
    for name, value in pool.items():
        if name not in workflow.global_resources:
            workflow.register_resource(name, value)
    given = {k: getattr(v, "value", v) for k, v in workflow.global_resources.items() if k in GPU_RESOURCES}
    print("GPU pool: " + " ".join(f"{k}={v}" for k, v in sorted(given.items(), key=lambda kv: GPU_RESOURCES.index(kv[0]))),
          file=sys.stderr)


provide_gpu_resources()


def job_resource(key, seeds=1):
    """A training job's resource `key` from its request's benchmark; ``seeds`` packed in one job
    scale what they share."""

    def get(wildcards):
        bench = request_of(wildcards).benchmark
        if key in GPU_RESOURCES and not config["gpu"]:
            return 0
        if key == "runtime" and "runtime_minutes" in config["benchmarks"].get(bench, {}):
            return config["benchmarks"][bench]["runtime_minutes"] * seeds
        value = JOB_CLASS.get(bench, DEFAULT_JOB_CLASS)[key]
        # Packed seeds: one share per seed up to a whole GPU; the data is shared, each further seed
        # adds its weights, optimiser state and activations (estimated at 200 MB on either side).
        return {"gpu_share": min(100, value * seeds), "runtime": value * seeds}.get(key, value + 200 * (seeds - 1))

    return get


# What the training rules of train.smk are given: params (what the run is) and resources.
TRAIN_PARAMS = {
    "request": lambda wc: request_of(wc).job(),
    "fingerprint": lambda wc: request_of(wc).cell_fingerprint,
    "device": config["device"],
    "data_dir": config["data_dir"],
    "dataset_dirs": config["dataset_dirs"],
}


def train_resources(seeds=1):
    return {"gpu": 1 if config["gpu"] else 0, **{k: job_resource(k, seeds) for k in ("gpu_share", "gpu_mem_mb", "mem_mb",
                                                                                    "runtime")}}
