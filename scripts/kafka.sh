#!/usr/bin/env bash
# A real Apache Kafka broker (KRaft, one node acting as broker and controller)
# for development, tests and CI. Its jars come from Maven Central through
# scripts/kafka/pom.xml; needs Java 17+, Maven and Node (or python3).
#
#   bash scripts/kafka.sh start   [--name NAME] [--fresh] [--owner-pid PID]
#   bash scripts/kafka.sh stop    [--name NAME] [--keep]
#   bash scripts/kafka.sh restart [--name NAME]
#   bash scripts/kafka.sh status  [--name NAME]     # exit 0 running, 3 stopped
#   bash scripts/kafka.sh address [--name NAME]     # host:port, exit 3 if stopped
#   bash scripts/kafka.sh jars                       # only resolve the jars
#   bash scripts/kafka.sh tool    [--name NAME] CLASS [ARGS...]
#       e.g. tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bash scripts/kafka.sh address)" --list
#
# start prints progress to stderr and `KAFKA_BROKERS=127.0.0.1:PORT` as its last
# stdout line once the broker serves metadata and its group and transaction
# coordinators are loaded. It reuses the run dir .kafka/run/NAME (same ports,
# same formatted log dir, so data survives stop --keep / restart); --fresh
# wipes it first. With --owner-pid the broker is stopped when that process
# exits (a crashed test run leaves no JVM behind).
#
# Environment:
#   KAFKA_VERSION        Kafka release from Maven Central (default 4.1.1; 3.9.x works too)
#   KAFKA_DIR            state folder (default <repo>/.kafka): <version>/lib, run/<name>
#   KAFKA_HEAP_OPTS      default -Xmx512m -Xms128m
#   KAFKA_JVM_OPTS       extra JVM options for the broker
#   KAFKA_LOG_LEVEL      root log level of the broker log (default INFO)
#   KAFKA_START_TIMEOUT  seconds to wait for readiness (default 90)
#   KAFKA_STOP_TIMEOUT   seconds between SIGTERM and SIGKILL (default 30)
#   KAFKA_RUN_AS         started by root, the broker runs as this user (default nobody;
#                        root keeps root), which then owns the run dir
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/scripts/kafka/pom.xml"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_DIR="${KAFKA_DIR:-$ROOT/.kafka}"
VERSION_DIR="$KAFKA_DIR/$KAFKA_VERSION"
LIB="$VERSION_DIR/lib"
MARKER="$VERSION_DIR/.resolved"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
RUN_AS="${KAFKA_RUN_AS:-nobody}"
MAJOR="${KAFKA_VERSION%%.*}"

log() { echo "kafka.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
now() { date +%s; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH ($2)"
}

# ---------------------------------------------------------------- jars ------

check_java() {
  need java "Java 17+ is needed, e.g. apt-get install -y openjdk-17-jre-headless"
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  v="${v%%.*}"
  if [[ -n "$v" && "$v" -lt 17 && "$MAJOR" -ge 4 ]]; then
    die "Kafka $KAFKA_VERSION needs Java 17+, found Java $v"
  fi
}

pom_hash() { sha256sum "$POM" | cut -c1-64; }
jar_list() { (cd "$1" && find . -type f -printf '%P %s\n' | sort); }

# Copies the broker's runtime jars into $LIB once; a marker (the pom's hash)
# written after a complete copy makes later runs skip Maven altogether.
resolve_jars() {
  [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(pom_hash)" && -d "$LIB" ]] && return 0
  need mvn "Maven is needed to fetch the Kafka jars, e.g. apt-get install -y maven"
  mkdir -p "$VERSION_DIR"
  # One resolver at a time per version (parallel starts share the result).
  exec 8>"$VERSION_DIR/.lock"
  flock -w 900 8 || die "timed out waiting for another kafka.sh resolving $KAFKA_VERSION"
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(pom_hash)" && -d "$LIB" ]]; then
    exec 8>&-
    return 0
  fi
  local tmp="$VERSION_DIR/lib.tmp.$$" mvnlog="$VERSION_DIR/maven.log" t0 attempt ok=""
  t0="$(now)"
  log "resolving Apache Kafka $KAFKA_VERSION jars from Maven Central (first run on an empty ~/.m2 takes a few minutes; log: $mvnlog)"
  for attempt in 1 2 3; do
    rm -rf "$tmp"
    if mvn -B -f "$POM" -Dkafka.version="$KAFKA_VERSION" -Dkafka.major="$MAJOR" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 |
      tee "$mvnlog" |
      awk '/^\[ERROR\]/ { print "kafka.sh: maven: " $0 > "/dev/stderr"; fflush("/dev/stderr") }
           /Downloaded from/ { n++; if (n % 25 == 0) { printf "kafka.sh: maven: %d files downloaded...\n", n > "/dev/stderr"; fflush("/dev/stderr") } }
           END { if (n) printf "kafka.sh: maven: %d files downloaded\n", n > "/dev/stderr" }'; then
      ok=1
      break
    fi
    log "maven attempt $attempt failed (see $mvnlog)"
    sleep $((attempt * 5))
  done
  [[ -n "$ok" ]] || die "could not resolve Kafka $KAFKA_VERSION from Maven Central"
  compgen -G "$tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || die "maven finished but $tmp has no kafka_2.13-$KAFKA_VERSION.jar"
  if [[ -d "$LIB" && "$(jar_list "$tmp")" == "$(jar_list "$LIB")" ]]; then
    rm -rf "$tmp" # same jars: leave the lib of running brokers alone
  else
    rm -rf "$LIB"
    mv "$tmp" "$LIB"
  fi
  pom_hash >"$MARKER"
  exec 8>&-
  log "resolved $(find "$LIB" -name '*.jar' | wc -l) jars ($(du -sh "$LIB" | cut -f1)) into $LIB in $(($(now) - t0))s"
}

# ---------------------------------------------------------------- helpers ---

# Small helpers run on node, or python3 where node is missing (KAFKA_SH_HELPER=python3 forces it).
node_or_python() {
  if [[ -n "${KAFKA_SH_HELPER:-}" ]]; then
    echo "$KAFKA_SH_HELPER"
  elif command -v node >/dev/null 2>&1; then
    echo node
  elif command -v python3 >/dev/null 2>&1; then
    echo python3
  else
    die "node or python3 is needed (free ports, readiness check)"
  fi
}

# Two distinct free TCP ports on 127.0.0.1 (both held open while choosing).
free_ports() {
  if [[ "$(node_or_python)" == node ]]; then
    node -e '
      const net = require("net");
      const servers = [];
      for (let i = 0; i < 2; i++) {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
          servers.push(s);
          if (servers.length === 2) {
            console.log(servers.map((x) => x.address().port).join(" "));
            servers.forEach((x) => x.close());
          }
        });
      }'
  else
    python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
for s in ss: s.close()'
  fi
}

# A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what
# `kafka-storage random-uuid` prints), never starting with '-'.
cluster_id() {
  local id
  while :; do
    id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && echo "$id" && return 0
  done
}

# Exit 0 when the broker at host:port serves clients: a Metadata request lists
# a live broker (registered with the controller and unfenced), and the group
# and transaction coordinators answer (which creates and loads the internal
# __consumer_offsets and __transaction_state topics, so the first consumer
# group of a test does not meet "coordinator not available / loading").
# Request versions used exist in every Kafka from 2.1 to 4.x.
ready_check() {
  local addr="$1"
  if [[ "$(node_or_python)" == node ]]; then
    node -e '
      const net = require("net");
      const [host, port] = process.argv[1].split(":");
      const sock = net.connect({ host, port: Number(port) });
      setTimeout(() => process.exit(2), 5000).unref();
      sock.on("error", () => process.exit(1));
      let buf = Buffer.alloc(0);
      let waiting = null;
      let correlation = 0;
      sock.on("data", (d) => {
        buf = Buffer.concat([buf, d]);
        if (!waiting || buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
        const n = buf.readInt32BE(0);
        const body = buf.subarray(8, 4 + n); // after size and correlation id
        buf = buf.subarray(4 + n);
        const done = waiting;
        waiting = null;
        done(body);
      });
      const str = (s) => {
        const b = Buffer.from(s);
        const len = Buffer.alloc(2);
        len.writeInt16BE(b.length);
        return Buffer.concat([len, b]);
      };
      const send = (apiKey, version, body) =>
        new Promise((resolve) => {
          waiting = resolve;
          const header = Buffer.alloc(8);
          header.writeInt16BE(apiKey, 0);
          header.writeInt16BE(version, 2);
          header.writeInt32BE(++correlation, 4);
          const msg = Buffer.concat([header, str("kafka.sh"), body]);
          const size = Buffer.alloc(4);
          size.writeInt32BE(msg.length);
          sock.write(Buffer.concat([size, msg]));
        });
      const key = str("kafka.sh-ready");
      sock.on("connect", async () => {
        // Metadata v4, no topics, no auto-creation: [throttle, brokers count, ...]
        let r = await send(3, 4, Buffer.from([0, 0, 0, 0, 0]));
        if (r.readInt32BE(4) < 1) process.exit(3);
        // FindCoordinator v1 for a group (0) and a transactional id (1): [throttle, error, ...]
        for (const type of [0, 1]) {
          r = await send(10, 1, Buffer.concat([key, Buffer.from([type])]));
          if (r.readInt16BE(4) !== 0) process.exit(4);
        }
        // OffsetFetch v2, all topics of the (empty) group: [topics count = 0, error]
        r = await send(9, 2, Buffer.concat([key, Buffer.from([0xff, 0xff, 0xff, 0xff])]));
        process.exit(r.readInt32BE(0) === 0 && r.readInt16BE(4) === 0 ? 0 : 5);
      });' "$addr"
  else
    python3 -c '
import socket, struct, sys
host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)), timeout=5)
corr = 0
def string(v):
    b = v.encode()
    return struct.pack(">h", len(b)) + b
def send(api_key, version, body):
    global corr
    corr += 1
    msg = struct.pack(">hhi", api_key, version, corr) + string("kafka.sh") + body
    s.sendall(struct.pack(">i", len(msg)) + msg)
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit(1)
        buf += chunk
    return buf[8:4 + struct.unpack(">i", buf[:4])[0]]
key = string("kafka.sh-ready")
r = send(3, 4, struct.pack(">ib", 0, 0))
if struct.unpack(">i", r[4:8])[0] < 1: sys.exit(3)
for key_type in (0, 1):
    r = send(10, 1, key + struct.pack(">b", key_type))
    if struct.unpack(">h", r[4:6])[0] != 0: sys.exit(4)
r = send(9, 2, key + struct.pack(">i", -1))
topics, error = struct.unpack(">ih", r[0:6])
sys.exit(0 if topics == 0 and error == 0 else 5)' "$addr" 2>/dev/null
  fi
}

# ---------------------------------------------------------------- run dir ---

NAME="default"
KEEP=""
FRESH=""
OWNER_PID="${KAFKA_OWNER_PID:-}"

set_run_paths() {
  [[ "$NAME" =~ ^[A-Za-z0-9._-]+$ ]] || die "bad --name '$NAME' (letters, digits, . _ -)"
  RUN="$KAFKA_DIR/run/$NAME"
  PID_FILE="$RUN/broker.pid"
  ADDR_FILE="$RUN/broker.address"
  PORTS_FILE="$RUN/ports"
  LOG_DIR="$RUN/logs"
  BROKER_LOG="$RUN/broker.log"
}

# The broker's pid when it is alive (and really a Kafka JVM: pids get reused).
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    grep -qa 'kafka\.Kafka' "/proc/$pid/cmdline" || return 1
  fi
  echo "$pid"
}

LOG_FROM=1 # first line of broker.log written by this start

log_tail() {
  [[ -f "$BROKER_LOG" ]] || return 0
  local errors
  errors="$(tail -n "+$LOG_FROM" "$BROKER_LOG" | grep -E '^\[[^]]*\] (ERROR|FATAL) |^Caused by: ' | head -n 12 || true)"
  if [[ -n "$errors" ]]; then
    log "errors in $BROKER_LOG:"
    echo "$errors" >&2
  fi
  log "last lines of $BROKER_LOG:"
  tail -n "+$LOG_FROM" "$BROKER_LOG" | tail -n 40 >&2
}

port_free() {
  if [[ "$(node_or_python)" == node ]]; then
    node -e '
      const s = require("net").createServer();
      s.on("error", () => process.exit(1));
      s.listen(Number(process.argv[1]), "127.0.0.1", () => s.close(() => process.exit(0)));' "$1"
  else
    python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try: s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError: sys.exit(1)' "$1"
  fi
}

write_configs() {
  local port="$1" cport="$2"
  cat >"$RUN/server.properties" <<EOF
# Written by scripts/kafka.sh (Kafka $KAFKA_VERSION): one KRaft node, broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$LOG_DIR

num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# After a crash (kill -9) the new incarnation can register only once the old
# one's session has expired: 5 s here instead of 9 s.
broker.session.timeout.ms=5000
broker.heartbeat.interval.ms=1000

# Small machine: few threads.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.retention.check.interval.ms=300000
EOF
  local level="${KAFKA_LOG_LEVEL:-INFO}"
  # Kafka 4.x: log4j 2. Everything goes to stdout, which start sends to broker.log.
  cat >"$RUN/log4j2.properties" <<EOF
status = warn
shutdownHook = disable
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = $level
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = WARN
EOF
  # Kafka 3.x: log4j 1 API (reload4j).
  cat >"$RUN/log4j.properties" <<EOF
log4j.rootLogger=$level, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
}

# Tools (StorageTool, TopicCommand, ...) log warnings only, to stderr.
tool_log_configs() {
  local dir="$VERSION_DIR"
  if [[ ! -f "$dir/tools-log4j2.properties" ]]; then
    cat >"$dir/tools-log4j2.properties" <<'EOF'
status = error
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = ERR
EOF
    cat >"$dir/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, err
log4j.appender.err=org.apache.log4j.ConsoleAppender
log4j.appender.err.Target=System.err
log4j.appender.err.layout=org.apache.log4j.PatternLayout
log4j.appender.err.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  fi
}

run_tool() {
  tool_log_configs
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$VERSION_DIR/tools-log4j2.properties" \
    -Dlog4j.configuration="file:$VERSION_DIR/tools-log4j.properties" \
    -cp "$LIB/*" "$@"
}

# When the owner process (e.g. jest) is gone, stops the broker and removes its
# run dir: a test run that crashed or was interrupted leaves nothing behind.
start_watchdog() {
  local owner="$1" broker="$2"
  [[ -n "$owner" ]] || return 0
  echo "$owner" >"$RUN/owner.pid"
  (
    trap '' HUP INT
    while kill -0 "$broker" 2>/dev/null; do
      if ! kill -0 "$owner" 2>/dev/null; then
        do_stop "$broker"
        if [[ "$(cat "$PID_FILE" 2>/dev/null)" == "$broker" ]]; then
          rm -rf "$RUN" "$KAFKA_DIR/run/$NAME.lock"
        fi
        exit 0
      fi
      sleep 1
    done
  ) </dev/null >/dev/null 2>&1 8>&- 9>&- &
  disown || true
}

# ---------------------------------------------------------------- commands --

cmd_start() {
  check_java
  resolve_jars
  set_run_paths
  mkdir -p "$KAFKA_DIR/run"
  exec 9>"$KAFKA_DIR/run/$NAME.lock"
  flock -w 300 9 || die "another kafka.sh is busy with '$NAME'"

  local pid addr t0
  t0="$(now)"
  if [[ -n "$FRESH" ]]; then
    if pid="$(running_pid)"; then
      do_stop "$pid"
    fi
    rm -rf "$RUN"
  fi

  if pid="$(running_pid)"; then
    addr="$(cat "$ADDR_FILE")"
    log "'$NAME' already running (pid $pid) on $addr"
  else
    mkdir -p "$RUN"
    local port cport
    if [[ -f "$PORTS_FILE" ]]; then
      read -r port cport <"$PORTS_FILE"
      log "reusing ports $port (broker) and $cport (controller) of run dir $RUN"
      local p
      for p in "$port" "$cport"; do
        port_free "$p" || die "port $p of run dir $RUN is taken by another process (start --fresh picks new ports, dropping the data)"
      done
    else
      read -r port cport < <(free_ports)
      [[ -n "$port" && -n "$cport" ]] || die "could not find free ports"
      echo "$port $cport" >"$PORTS_FILE"
    fi
    addr="127.0.0.1:$port"
    echo "$addr" >"$ADDR_FILE"
    echo "$KAFKA_VERSION" >"$RUN/version"
    write_configs "$port" "$cport"

    if [[ ! -f "$LOG_DIR/meta.properties" ]]; then
      local cid
      cid="$(cluster_id)"
      echo "$cid" >"$RUN/cluster.id"
      log "formatting $LOG_DIR (cluster id $cid)"
      if ! run_tool kafka.tools.StorageTool format --ignore-formatted -t "$cid" \
        -c "$RUN/server.properties" >"$RUN/format.log" 2>&1; then
        cat "$RUN/format.log" >&2
        die "formatting the storage failed"
      fi
    else
      log "reusing formatted log dir $LOG_DIR"
    fi

    LOG_FROM=$(($( (cat "$BROKER_LOG" 2>/dev/null || true) | wc -l) + 1))
    {
      echo
      echo "===== kafka.sh start $(date -u +%FT%TZ): Kafka $KAFKA_VERSION on $addr ====="
    } >>"$BROKER_LOG"
    local setsid_cmd=() run_as=()
    command -v setsid >/dev/null 2>&1 && setsid_cmd=(setsid)
    # Started by root, the broker gives root up: it needs no privilege, and a bug in it should have none.
    if [[ $EUID -eq 0 && "$RUN_AS" != root ]] && command -v setpriv >/dev/null 2>&1; then
      chown -R "$RUN_AS:" "$RUN"
      run_as=(setpriv --reuid="$(id -u "$RUN_AS")" --regid="$(id -g "$RUN_AS")" --clear-groups)
    fi
    # shellcheck disable=SC2086
    "${setsid_cmd[@]}" "${run_as[@]}" java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
      -Djava.awt.headless=true -Dkafka.logs.dir="$RUN" \
      -Dlog4j2.configurationFile="$RUN/log4j2.properties" \
      -Dlog4j.configuration="file:$RUN/log4j.properties" \
      ${KAFKA_JVM_OPTS:-} \
      -cp "$LIB/*" kafka.Kafka "$RUN/server.properties" \
      </dev/null >>"$BROKER_LOG" 2>&1 8>&- 9>&- &
    pid=$!
    echo "$pid" >"$PID_FILE"
    log "started Kafka $KAFKA_VERSION '$NAME' (pid $pid) on $addr; log: $BROKER_LOG"
    [[ -z "$OWNER_PID" && -f "$RUN/owner.pid" ]] && OWNER_PID="$(cat "$RUN/owner.pid")"
    if [[ -n "$OWNER_PID" ]] && kill -0 "$OWNER_PID" 2>/dev/null; then
      start_watchdog "$OWNER_PID" "$pid"
    fi
  fi

  local deadline=$(($(now) + START_TIMEOUT))
  until ready_check "$addr" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail
      die "the broker exited before it was ready"
    fi
    if (($(now) >= deadline)); then
      log_tail
      do_stop "$pid"
      die "the broker was not ready after ${START_TIMEOUT}s; stopped it (run dir $RUN kept)"
    fi
    sleep 0.5
  done
  exec 9>&-
  log "ready on $addr after $(($(now) - t0))s"
  echo "KAFKA_BROKERS=$addr"
}

do_stop() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "pid $pid still alive after ${STOP_TIMEOUT}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

cmd_stop() {
  set_run_paths
  if [[ ! -d "$RUN" ]]; then
    log "'$NAME' is not running"
    return 0
  fi
  mkdir -p "$KAFKA_DIR/run"
  exec 9>"$KAFKA_DIR/run/$NAME.lock"
  flock -w 300 9 || die "another kafka.sh is busy with '$NAME'"
  local pid t0
  t0="$(now)"
  if pid="$(running_pid)"; then
    do_stop "$pid"
    log "stopped '$NAME' (pid $pid) in $(($(now) - t0))s"
  else
    log "'$NAME' is not running"
  fi
  rm -f "$PID_FILE"
  if [[ -z "$KEEP" ]]; then
    rm -rf "$RUN"
    rm -f "$KAFKA_DIR/run/$NAME.lock"
  fi
  exec 9>&-
}

cmd_status() {
  set_run_paths
  local pid
  if pid="$(running_pid)"; then
    echo "running $(cat "$ADDR_FILE") (pid $pid, Kafka $(cat "$RUN/version" 2>/dev/null || echo '?'), log $BROKER_LOG)"
    return 0
  fi
  if [[ -f "$ADDR_FILE" ]]; then
    echo "stopped (last address $(cat "$ADDR_FILE"), run dir $RUN kept)"
  else
    echo "stopped"
  fi
  return 3
}

cmd_address() {
  set_run_paths
  running_pid >/dev/null || return 3
  cat "$ADDR_FILE"
}

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

main() {
  local cmd="${1:-}"
  [[ -n "$cmd" ]] || usage
  shift
  local rest=()
  while (($#)); do
    case "$1" in
    --name)
      NAME="${2:?--name needs a value}"
      shift 2
      ;;
    --name=*)
      NAME="${1#--name=}"
      shift
      ;;
    --keep)
      KEEP=1
      shift
      ;;
    --fresh)
      FRESH=1
      shift
      ;;
    --owner-pid)
      OWNER_PID="${2:?--owner-pid needs a value}"
      shift 2
      ;;
    *)
      if [[ "$cmd" == tool ]]; then
        rest=("$@")
        break
      fi
      die "unknown option '$1' for $cmd"
      ;;
    esac
  done
  case "$cmd" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart)
    KEEP=1
    cmd_stop
    KEEP=""
    FRESH=""
    cmd_start
    ;;
  status) cmd_status ;;
  address) cmd_address ;;
  jars)
    check_java
    resolve_jars
    echo "$LIB"
    ;;
  tool)
    ((${#rest[@]})) || die "tool needs a class name"
    check_java
    resolve_jars
    run_tool "${rest[@]}"
    ;;
  -h | --help | help) usage ;;
  *) usage ;;
  esac
}

main "$@"
