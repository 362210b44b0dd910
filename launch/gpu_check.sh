#!/usr/bin/env bash
# The first thing to run on a lent GPU (the slots are 15 minutes): installs what the image lacks
# from ./.whl, then times every agent with its paper config (launch/benchmark.py --suite=gpu) at
# 1, 8, 32 and 128 vmapped runs within a 10-minute budget: seed-updates/s, compile time, program
# and device memory, the projected wall time of a 1M-step × 8-seed job per agent.
#
#   bash ../shared/tools/gpu-wheels.sh     # here, once: gymnasium, minari, … wheels into ./.whl
#   then on the device machine, from the repo root (carry: [".whl"], timeout_s: 600):
#   bash launch/gpu_check.sh
#
# The image (Python 3.12, jax 0.11 + CUDA 13, flax, optax, chex, orbax, absl, h5py, numpy, pytest,
# tensorboard, tqdm, scipy) lacks gymnasium, minari, mujoco, ml-collections and tensorboardX; the
# wheels are installed only if `import jaxdiffrl.app` fails without them. The JSON,
# docs/benchmarks/gpu-<device>.json, is rewritten after every row (a run cut short keeps what it
# measured) and copied into $OUT when that is set. Arguments go on to benchmark.py, e.g.
# --budget_s=300, --agents=idql,diffusion_ql, or --tiny (bc and idql on their toy configs, 1 and 2
# runs: the CPU smoke test of tests/test_benchmark_suite.py). PYTHON picks the interpreter
# (default python3); GPU_CHECK_TIMEOUT (default 580 s) stops the benchmark whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
PYTHON=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 MUJOCO_GL=${MUJOCO_GL:-egl}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # jaxdiffrl from this checkout

if ! "$PYTHON" -c "import jaxdiffrl.app" 2>/dev/null; then
  if ! compgen -G ".whl/*.whl" >/dev/null; then
    echo "gpu_check: jaxdiffrl's imports fail and there is no ./.whl (run bash ../shared/tools/gpu-wheels.sh here first):" >&2
    "$PYTHON" -c "import jaxdiffrl.app" >&2
    exit 1
  fi
  echo "gpu_check: installing $(ls .whl/*.whl | wc -l) wheels from ./.whl into /tmp/site"
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH="/tmp/site:$PYTHONPATH"
  "$PYTHON" -c "import jaxdiffrl.app" || exit 1
fi
"$PYTHON" -c "import jax; print('gpu_check: jax', jax.__version__, jax.devices())" || exit 1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true

marker=$(mktemp)
timeout --signal=INT --kill-after=10 "${GPU_CHECK_TIMEOUT:-580}" "$PYTHON" launch/benchmark.py --suite=gpu "$@"
rc=$?
written=$(find docs/benchmarks -maxdepth 1 -name '*.json' -newer "$marker")  # the default --out
for arg in "$@"; do [[ $arg == --out=* && -f ${arg#--out=} ]] && written=${arg#--out=}; done
rm -f "$marker"
for file in $written; do
  echo "gpu_check: wrote $file (exit $rc)"
  [[ -n "${OUT:-}" && -d "${OUT:-}" ]] && cp "$file" "$OUT/"
done
exit $rc
