#!/usr/bin/env bash
# CI: the SLURM tests of sweep and calibrate on a real single-node SLURM cluster made on this machine.
# Runs as `bash .ci/slurm-test.sh [PYTHON]` from the repository root, as root, after .ci/run
# (PYTHON defaults to .venv/bin/python, the environment .ci/run makes; the batch jobs run the
# same interpreter). Sets SLURM up with .ci/slurm-setup.sh (installs slurm-wlm and munge if
# needed), installs dask-jobqueue and pyabc into that environment, then runs
# tests/experiments/sweeps/test_slurm_cluster.py and
# tests/experiments/calibration/test_calibrate_cluster.py. Takes about 30-50 s once the packages
# are installed (the apt-get install adds about a minute on a clean machine).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
PY=${1:-.venv/bin/python}
[ -x "$PY" ] || { echo "slurm-test: no Python at $PY (run .ci/run first, or pass one)" >&2; exit 1; }
bash .ci/slurm-setup.sh
"$PY" -m pip install --quiet -e ".[cluster,calibration]"
set +e
"$PY" -m pytest -q -p no:cacheprovider -rs tests/experiments/sweeps/test_slurm_cluster.py \
    tests/experiments/calibration/test_calibrate_cluster.py
status=$?
set -e
echo "slurm-test: finished in $(( $(date +%s) - start )) s with status $status"
exit $status
