#!/usr/bin/env bash
# The two-node OpenSearch test cluster: build it with Maven, start it, wait for green, stop it.
#
#   tests/opensearch/cluster.sh start   # prints the URLs to pass as VNSEARCH_OPENSEARCH_URL
#   tests/opensearch/cluster.sh stop
#
# State (data, logs, cluster.json with the HTTP URLs and the control port) lives in
# $VNSEARCH_CLUSTER_DIR, by default ${TMPDIR:-/tmp}/vnsearch-opensearch.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
state="${VNSEARCH_CLUSTER_DIR:-${TMPDIR:-/tmp}/vnsearch-opensearch}"
heap="${VNSEARCH_CLUSTER_HEAP:-1g}"

control() {  # one line to the launcher's control port, its answer on stdout
    python3 - "$state/cluster.json" "$1" <<'PY'
import json, socket, sys
info = json.load(open(sys.argv[1]))
with socket.create_connection(("127.0.0.1", info["control"]), timeout=120) as s:
    s.sendall((sys.argv[2] + "\n").encode())
    print(s.makefile().readline().strip())
PY
}

urls() {
    python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["nodes"]))' "$state/cluster.json"
}

wait_green() {  # the cluster's health is green, within $1 seconds
    local url deadline=$((SECONDS + $1))
    url="$(urls | cut -d, -f1)"
    until curl -sf "$url/_cluster/health?wait_for_status=green&wait_for_nodes=2&timeout=5s" >/dev/null; do
        if ((SECONDS > deadline)); then
            echo "cluster not green after $1 s; log: $state/cluster.log" >&2
            return 1
        fi
        sleep 1
    done
}

case "${1:-}" in
start)
    command -v java >/dev/null || { echo "java not found: the test cluster needs Java 17" >&2; exit 1; }
    command -v mvn >/dev/null || { echo "mvn not found: the test cluster is built with Maven" >&2; exit 1; }
    if [[ -f "$state/cluster.pid" ]] && kill -0 "$(cat "$state/cluster.pid")" 2>/dev/null; then
        echo "already running: $(urls)"
        exit 0
    fi
    rm -rf "$state"
    mkdir -p "$state"
    # Normal mode, not offline: a fresh machine fetches OpenSearch 2.19.6 from Maven Central.
    mvn -B -q -f "$here/pom.xml" package -DskipTests >&2
    # Two Netty instances in one JVM: neither may set Netty's processor count globally.
    java "-Xms$heap" "-Xmx$heap" -Dopensearch.set.netty.runtime.available.processors=false \
        -Dlog4j2.disable.jmx=true -Dorg.apache.logging.log4j.level=WARN \
        -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" \
        TestCluster "$state" >"$state/cluster.log" 2>&1 &
    echo $! >"$state/cluster.pid"
    for _ in $(seq 180); do
        [[ -f "$state/cluster.json" ]] && break
        kill -0 "$(cat "$state/cluster.pid")" 2>/dev/null || { tail -40 "$state/cluster.log" >&2; exit 1; }
        sleep 1
    done
    [[ -f "$state/cluster.json" ]] || { echo "the nodes did not start; log: $state/cluster.log" >&2; exit 1; }
    wait_green 120
    # Every test index: 2 primary shards, each with 1 replica on the other node.
    curl -sf -XPUT "$(urls | cut -d, -f1)/_index_template/vnsearch-test" -H 'Content-Type: application/json' \
        -d '{"index_patterns": ["*"], "priority": 0, "template": {"settings": {"number_of_shards": 2, "number_of_replicas": 1, "index.unassigned.node_left.delayed_timeout": "0s"}}}' >/dev/null
    urls
    ;;
stop)
    [[ -f "$state/cluster.json" ]] || exit 0
    pid="$(cat "$state/cluster.pid" 2>/dev/null || true)"
    control shutdown >/dev/null 2>&1 || true
    if [[ -n "$pid" ]]; then
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        kill "$pid" 2>/dev/null || true
    fi
    rm -f "$state/cluster.json" "$state/cluster.pid"
    ;;
urls)
    urls
    ;;
*)
    echo "usage: $0 start|stop|urls" >&2
    exit 2
    ;;
esac
