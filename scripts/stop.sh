#!/usr/bin/env bash
# Stops everything the scripts started, by PID: the cluster, then Prometheus,
# etcd, MinIO and Jaeger. MariaDB and Redis belong to the machine and keep running.
set -euo pipefail
dir=$(dirname "$0")
bash "$dir/cluster.sh" stop
bash "$dir/infra.sh" stop
