#!/usr/bin/env bash
# Fake eugr/spark-vllm-docker launch-cluster.sh for the simulated Sparks (solo and no-Ray multi-node). Mirrors the
# contract in reference/vllm.md §1.3: options before the action; DOCKER_ARGS expanded UNQUOTED (word splitting and
# globbing, as the real one does); `stop` always exits 0 and the --rm container disappears asynchronously; the
# "already running" trap skips the launch but still execs into the running container; `-d exec` dispatches and returns
# at once. Multi-node (`-n head,worker…`): the head must be the local IP; the node list is trimmed to the command's
# tensor-parallel size; each worker's container is started over ssh, and its command gets `--nnodes N --node-rank i
# --master-addr HEAD --master-port P --headless` appended; `stop` stops the container on every node.
# Every call is recorded in $SIM_STATE/launcher.calls (argv and VLLM_SPARK_EXTRA_DOCKER_ARGS, one JSON line each) so
# tests can check what really arrived.
set -u
node -e 'const fs=require("fs");fs.appendFileSync(process.env.SIM_STATE+"/launcher.calls",JSON.stringify({argv:process.argv.slice(1),extra:process.env.VLLM_SPARK_EXTRA_DOCKER_ARGS??null,localIp:process.env.LOCAL_IP??null,at:new Date().toISOString()})+"\n")' -- "$@"
NAME=vllm_node; IMAGE=vllm-node; SOLO=0; DAEMON=0; ENVS=(); NODES=""; MASTER_PORT=29501; NORAY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --solo) SOLO=1; shift ;;
    -d) DAEMON=1; shift ;;
    -t) IMAGE="$2"; shift 2 ;;
    --name) NAME="$2"; shift 2 ;;
    -e) ENVS+=("-e" "$2"); shift 2 ;;
    -n|--nodes) NODES="$2"; shift 2 ;;
    --master-port) MASTER_PORT="$2"; shift 2 ;;
    --no-ray) NORAY=1; shift ;;
    --ray) echo "fake launcher: Ray mode is not simulated" >&2; exit 1 ;;
    start|stop|status|exec) break ;;
    *) echo "Unknown argument: $1" >&2; echo "Usage: launch-cluster.sh [options] <start|stop|status|exec> [command...]" >&2; exit 1 ;;
  esac
done
ACTION="${1:-}"; shift || true
if [ -z "$ACTION" ]; then echo "Error: No action specified" >&2; exit 1; fi
if [ "$SOLO" = 1 ] && [ "$NORAY" = 1 ]; then echo "Error: --no-ray cannot be combined with --solo" >&2; exit 1; fi

WORKERS=()
HEAD=""
if [ "$SOLO" != 1 ]; then
  # No .env in the simulation: without -n the real launcher would start autodiscovery (interactive); refuse instead.
  if [ -z "$NODES" ]; then echo "Error: no cluster nodes: pass -n <head-ip>,<worker-ip> or --solo (autodiscovery is not simulated)" >&2; exit 1; fi
  HEAD="${LOCAL_IP:-${SIM_LINK_IP:-}}"
  IFS=',' read -r -a ALL <<< "$NODES"
  found=0
  for ip in "${ALL[@]}"; do if [ "$ip" = "$HEAD" ]; then found=1; else WORKERS+=("$ip"); fi; done
  if [ "$found" != 1 ]; then echo "Error: Local IP $HEAD is not in the list of nodes ($NODES)" >&2; exit 1; fi
fi

DOCKER_ARGS="-e NCCL_IGNORE_CPU_AFFINITY=1 -v ${HF_HOME:-$HOME/.cache/huggingface}:/root/.cache/huggingface ${VLLM_SPARK_EXTRA_DOCKER_ARGS:-}"
case "$ACTION" in
  stop)
    docker stop "$NAME" >/dev/null 2>&1
    for w in "${WORKERS[@]}"; do ssh "$w" "docker stop $(printf '%q' "$NAME")" >/dev/null 2>&1; done
    exit 0 ;;
  status)
    if docker ps --format '{{.Names}}' | grep -q "$NAME"; then echo "[HEAD] local: Container '$NAME' is RUNNING."; else echo "[HEAD] local: Container '$NAME' is NOT running."; fi
    exit 0 ;;
  exec)
    # The node count is trimmed to the tensor-parallel size (1 GPU per Spark); too few nodes is an error.
    TP=1; prev=""
    for a in "$@"; do
      if [ "$prev" = "--tensor-parallel-size" ] || [ "$prev" = "-tp" ]; then TP="$a"; fi
      case "$a" in --tensor-parallel-size=*) TP="${a#*=}" ;; esac
      prev="$a"
    done
    if [ "$SOLO" != 1 ]; then
      need=$((TP - 1))
      if [ "${#WORKERS[@]}" -lt "$need" ]; then echo "Error: tensor parallel $TP needs $TP nodes, ${#ALL[@]} configured" >&2; exit 1; fi
      WORKERS=("${WORKERS[@]:0:$need}")
    fi
    RUN=(docker run --gpus all -d --rm --network host --name "$NAME" --privileged --ipc=host "${ENVS[@]}")
    if docker inspect --type container --format '{{.State.Running}}' "$NAME" 2>/dev/null | grep -q true; then
      echo "Cluster containers are already running. Skipping launch."
    else
      # shellcheck disable=SC2086  # unquoted on purpose: this is what the real launcher does
      "${RUN[@]}" $DOCKER_ARGS "$IMAGE" sleep infinity >/dev/null || exit 1
      # Each worker's docker run goes through ssh as one string the remote shell parses again (DOCKER_ARGS unquoted).
      for w in "${WORKERS[@]}"; do
        ssh "$w" "$(printf '%q ' "${RUN[@]}") $DOCKER_ARGS $(printf '%q' "$IMAGE") sleep infinity" >/dev/null || { echo "Error: could not start the container on worker $w" >&2; exit 1; }
      done
      sleep 0.2
      # Tests can slow the start of the container down (seconds in $SIM_STATE/launcher-delay), like a cold image.
      [ -f "$SIM_STATE/launcher-delay" ] && sleep "$(cat "$SIM_STATE/launcher-delay")"
    fi
    CMD=$(printf '%q ' "$@"); CMD="${CMD% }"
    if [ "$DAEMON" = 1 ]; then
      rank=1
      for w in "${WORKERS[@]}"; do
        WCMD="$CMD --nnodes $TP --node-rank $rank --master-addr $HEAD --master-port $MASTER_PORT --headless"
        ssh "$w" "$(printf '%q ' docker exec -d "$NAME" bash -c "$WCMD >> /proc/1/fd/1 2>&1")" || { echo "Error: could not dispatch rank $rank on $w" >&2; exit 1; }
        rank=$((rank + 1))
      done
      if [ "$SOLO" != 1 ]; then CMD="$CMD --nnodes $TP --node-rank 0 --master-addr $HEAD --master-port $MASTER_PORT"; fi
      docker exec -d "$NAME" bash -c "$CMD >> /proc/1/fd/1 2>&1"
      echo "Command dispatched to $NAME (detached)${WORKERS[*]:+ on the head and ${#WORKERS[@]} worker(s)}."
      exit 0
    fi
    echo "fake launcher: foreground exec is not simulated" >&2; exit 1 ;;
  start)
    docker run --gpus all -d --rm --network host --name "$NAME" "$IMAGE" sleep infinity >/dev/null; exit 0 ;;
esac
