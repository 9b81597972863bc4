#!/usr/bin/env bash
# The GPU measurements of GAINImputer at GTEx scale, in one go:
#
#   bash benchmarks/run_on_gpu.sh OUT_DIR [DEVICE [STAGE ...]]
#
# run from the repository root on a machine with a CUDA GPU (DEVICE, default
# cuda). Each stage has a time limit of its own, so that a stage that hangs
# or runs long leaves the others their time; each writes under OUT_DIR/<stage>
# and logs to OUT_DIR/<stage>.log. Name STAGEs to run only those, in the
# order named (the most wanted first, in case the machine is taken back); an
# unknown name fails. The limits add up to 21 minutes. BENCHMARK_ARGS is added to every benchmark command
# (BENCHMARK_ARGS=--tiny with DEVICE cpu tries the script out in a minute).
#
# 1. tests: the tests that need CUDA (device selection, the trainer on the
#    GPU, a GPU-fitted model on the CPU, mixed precision against float32);
# 2. throughput-float32: the throughput suite on the GPU, with the step on the
#    host's CPU (2 threads) as the reference of the speed-up, in the same run;
# 3. gtex-fit-float32: a default fit at GTEx size on the GPU, to early stopping;
# 4. throughput-mixed: the throughput suite with bfloat16 products;
# 5. gtex-fit-mixed: the default fit with mixed_precision=True, for its R^2
#    against stage 3's.
set -u
out=${1:?usage: bash benchmarks/run_on_gpu.sh OUT_DIR [DEVICE [STAGE ...]]}
device=${2:-cuda}
shift $(($# < 2 ? $# : 2))
stages=("$@")
if ((${#stages[@]} == 0)); then
    stages=(environment tests throughput-float32 gtex-fit-float32 throughput-mixed gtex-fit-mixed)
fi
mkdir -p "$out"
export PYTHONUNBUFFERED=1
python=${PYTHON:-python3}
batches=64,256,1024,4096
read -r -a extra <<<"${BENCHMARK_ARGS:-}"
failed=()

stage() {
    local name=$1 limit=$2
    shift 2
    echo "=== $name (limit ${limit} s) $(date -u +%T)"
    timeout "$limit" "$@" >"$out/$name.log" 2>&1
    local status=$?
    echo "=== $name: exit status $status $(date -u +%T)"
    ((status == 0)) || failed+=("$name")
    tail -n 4 "$out/$name.log"
}

run_stage() {
    case $1 in
    environment)
        stage environment 60 "$python" -c "
import torch, sklearn, numpy, pandas
print('torch', torch.__version__, 'CUDA', torch.version.cuda, torch.cuda.is_available())
print('device', torch.cuda.get_device_name('$device') if torch.cuda.is_available() else None)
print('scikit-learn', sklearn.__version__, 'numpy', numpy.__version__, 'pandas', pandas.__version__)
"
        ;;
    tests)
        stage tests 150 "$python" -m pytest -q -p no:cacheprovider -rs \
            tests/test_device.py tests/test_training.py tests/test_gain.py \
            -k "cuda or gpu or device or test_training"
        ;;
    throughput-float32)
        stage throughput-float32 240 "$python" -m benchmarks --suite throughput \
            "${extra[@]}" --device "$device" --batch-sizes "$batches" \
            --out "$out/throughput-float32"
        ;;
    gtex-fit-float32)
        stage gtex-fit-float32 300 "$python" -m benchmarks --suite gtex-fit \
            "${extra[@]}" --gain-param "device='$device'" --gain-param verbose=1 \
            --out "$out/gtex-fit-float32"
        ;;
    throughput-mixed)
        stage throughput-mixed 200 "$python" -m benchmarks --suite throughput \
            "${extra[@]}" --device "$device" --batch-sizes "$batches" \
            --gain-param mixed_precision=True --out "$out/throughput-mixed"
        ;;
    gtex-fit-mixed)
        stage gtex-fit-mixed 300 "$python" -m benchmarks --suite gtex-fit \
            "${extra[@]}" --gain-param "device='$device'" --gain-param verbose=1 \
            --gain-param mixed_precision=True --out "$out/gtex-fit-mixed"
        ;;
    *)
        echo "=== $1: no such stage"
        failed+=("$1")
        ;;
    esac
}

for name in "${stages[@]}"; do
    run_stage "$name"
done
if ((${#failed[@]})); then
    echo "Stages that failed or ran out of time: ${failed[*]}"
    exit 1
fi
