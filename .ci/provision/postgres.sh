#!/usr/bin/env bash
# PostgreSQL for the storage integration tests: start the local cluster if it is not answering.
set -euo pipefail
if command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "postgres: answering on 127.0.0.1:5432"
  exit 0
fi
if command -v pg_ctlcluster >/dev/null; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && { echo "postgres: started"; exit 0; }
  sleep 1
done
echo "postgres: not reachable on 127.0.0.1:5432" >&2
exit 1
