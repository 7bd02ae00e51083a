#!/usr/bin/env bash
# Fake eugr/spark-vllm-docker launch-cluster.sh for the simulated Sparks (solo mode). Mirrors the contract in
# reference/vllm.md §1.3: options before the action; DOCKER_ARGS expanded UNQUOTED (word splitting and globbing, as the
# real one does); `stop` always exits 0 and the --rm container disappears asynchronously; the "already running" trap
# skips the launch but still execs into the running container; `-d exec` dispatches and returns at once.
# Every call is recorded in $SIM_STATE/launcher.calls (argv and VLLM_SPARK_EXTRA_DOCKER_ARGS, one JSON line each) so
# tests can check what really arrived.
set -u
node -e 'const fs=require("fs");fs.appendFileSync(process.env.SIM_STATE+"/launcher.calls",JSON.stringify({argv:process.argv.slice(1),extra:process.env.VLLM_SPARK_EXTRA_DOCKER_ARGS??null,at:new Date().toISOString()})+"\n")' -- "$@"
NAME=vllm_node; IMAGE=vllm-node; SOLO=0; DAEMON=0; ENVS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --solo) SOLO=1; shift ;;
    -d) DAEMON=1; shift ;;
    -t) IMAGE="$2"; shift 2 ;;
    --name) NAME="$2"; shift 2 ;;
    -e) ENVS+=("-e" "$2"); shift 2 ;;
    start|stop|status|exec) break ;;
    *) echo "Unknown argument: $1" >&2; echo "Usage: launch-cluster.sh [options] <start|stop|status|exec> [command...]" >&2; exit 1 ;;
  esac
done
ACTION="${1:-}"; shift || true
if [ -z "$ACTION" ]; then echo "Error: No action specified" >&2; exit 1; fi
if [ "$SOLO" != 1 ]; then echo "Error: this simulated launcher only supports --solo" >&2; exit 1; fi
DOCKER_ARGS="-e NCCL_IGNORE_CPU_AFFINITY=1 -v ${HF_HOME:-$HOME/.cache/huggingface}:/root/.cache/huggingface ${VLLM_SPARK_EXTRA_DOCKER_ARGS:-}"
case "$ACTION" in
  stop)
    docker stop "$NAME" >/dev/null 2>&1
    exit 0 ;;
  status)
    if docker ps --format '{{.Names}}' | grep -q "$NAME"; then echo "[HEAD] local: Container '$NAME' is RUNNING."; else echo "[HEAD] local: Container '$NAME' is NOT running."; fi
    exit 0 ;;
  exec)
    if docker inspect --type container --format '{{.State.Running}}' "$NAME" 2>/dev/null | grep -q true; then
      echo "Cluster containers are already running. Skipping launch."
    else
      # shellcheck disable=SC2086  # unquoted on purpose: this is what the real launcher does
      docker run --gpus all -d --rm --network host --name "$NAME" --privileged --ipc=host "${ENVS[@]}" $DOCKER_ARGS "$IMAGE" sleep infinity >/dev/null || exit 1
      sleep 0.2
      # Tests can slow the start of the container down (seconds in $SIM_STATE/launcher-delay), like a cold image.
      [ -f "$SIM_STATE/launcher-delay" ] && sleep "$(cat "$SIM_STATE/launcher-delay")"
    fi
    CMD=$(printf '%q ' "$@")
    if [ "$DAEMON" = 1 ]; then
      docker exec -d "$NAME" bash -c "$CMD >> /proc/1/fd/1 2>&1"
      echo "Command dispatched to $NAME (detached)."
      exit 0
    fi
    echo "fake launcher: foreground exec is not simulated" >&2; exit 1 ;;
  start)
    docker run --gpus all -d --rm --network host --name "$NAME" "$IMAGE" sleep infinity >/dev/null; exit 0 ;;
esac
