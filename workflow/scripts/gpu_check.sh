#!/usr/bin/env bash
# The CUDA checks in one run, for a machine with a GPU (under 10 minutes on one GPU: the sections'
# time limits add up to 590 s): the bench's step lines on the device, seed packing at S = 1 (the
# unpacked line), 5 and 20 for SplitMNIST and PermutedMNIST-10, the compiled step against the eager one
# (torch.compile and CUDA graphs), and a short cost-model probe; everything into one summary file.
#
#   bash workflow/scripts/gpu_check.sh [OUT_DIR] [DATA_DIR]     (defaults: results/gpu_check, ../shared/data)
#
# GPU_CHECK_DEVICE=cpu runs the same on the CPU (a dry run of the script; much slower).
set -uo pipefail
out=${1:-results/gpu_check}
data=${2:-../shared/data}
device=${GPU_CHECK_DEVICE:-cuda}
mkdir -p "$out"
summary="$out/summary.txt"
{
  echo "# gpu_check on $(hostname) at $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "(no nvidia-smi)"
  python -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'device count', torch.cuda.device_count())"
} > "$summary"

section() {  # section NAME SECONDS COMMAND...: its output into the summary, its exit status and time after it
  local name=$1 limit=$2
  shift 2
  echo -e "\n## $name\n\$ $*" >> "$summary"
  local start=$SECONDS
  timeout "$limit" "$@" >> "$summary" 2>&1
  echo "(exit $?, $((SECONDS - start)) s)" >> "$summary"
}

section "training steps" 150 python -m hnet.bench --device "$device" --repeats 10
section "seed packing (S = 1, 5, 20)" 130 python -m hnet.bench --device "$device" --packing --pack-sizes 5,20 \
  --pack-iterations 20 --pack-cells split_mnist/cl1/hnet,permuted_mnist/cl1/hnet
section "compiled step: torch.compile" 110 python -m hnet.bench --device "$device" --compiled compile --repeats 6
if [ "$device" = cuda ]; then
  section "compiled step: CUDA graphs" 110 python -m hnet.bench --device cuda --compiled cudagraphs --repeats 6
fi
cat > "$out/probe_jobs.json" <<'JSON'
[{"rule": "train", "benchmark": "split_mnist", "label": "split_mnist", "scenario": "cl1", "method": "hnet",
  "point": "", "overrides": {}, "seeds": [1], "gpu_share": 20},
 {"rule": "train", "benchmark": "permuted_mnist", "label": "permuted_mnist", "scenario": "cl1", "method": "hnet",
  "point": "", "overrides": {}, "seeds": [1], "gpu_share": 25},
 {"rule": "train", "benchmark": "permuted_mnist_100", "label": "permuted_mnist_100", "scenario": "cl1",
  "method": "hnet", "point": "", "overrides": {}, "seeds": [1], "gpu_share": 100}]
JSON
section "cost-model probe" 90 python -m hnet.tools.plan --jobs "$out/probe_jobs.json" --data-dir "$data" \
  --device "$device" --probe-tasks 4 --probe-iterations 20 --out "$out/plan.md"
echo "summary: $summary"
