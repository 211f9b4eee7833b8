#!/usr/bin/env bash
# Installs (once, cached under the home folder) and runs on loopback the real engines that the
# distributed shape and the adapter contract suites use: Kafka (KRaft), FerretDB (MongoDB wire
# protocol on SQLite), Redis and SeaweedFS (S3 API). No Docker needed.
#
#   bash deploy/local/engines.sh up     [engine...]   install if needed, start, wait until it answers
#   bash deploy/local/engines.sh down   [engine...]   stop (TERM, wait, KILL) and delete its state
#   bash deploy/local/engines.sh env                  print `export NAME=value` lines (for eval)
#   bash deploy/local/engines.sh status [engine...]   what runs, on which port, does it answer
#   bash deploy/local/engines.sh tools                install the DICOM tools `npm test` uses
#                                                     (dcmtk, python3-pydicom) when missing
#
#   engines: apt kafka ferretdb redis s3   (no engine given = all of them)
#   `apt` installs the Debian packages the tests use (dcmtk, orthanc, ...) when missing.
#
# Typical use:  bash deploy/local/engines.sh up && eval "$(bash deploy/local/engines.sh env)"
#
# Environment:
#   PACS_ENGINES_STATE    data dirs, pid files, logs (default /tmp/pacs-engines)
#   PACS_ENGINES_HOME     download/build cache       (default ~/.cache/pacs-engines)
#   PACS_ENGINES_TIMEOUT  seconds to wait for an engine to answer (default 120)
#   PACS_KAFKA_VERSION    Kafka artifact version from Maven Central (default 4.1.1)
set -euo pipefail

STATE="${PACS_ENGINES_STATE:-/tmp/pacs-engines}"
CACHE="${PACS_ENGINES_HOME:-$HOME/.cache/pacs-engines}"
BIN="$CACHE/bin"
LOGS="$STATE/logs"
TIMEOUT="${PACS_ENGINES_TIMEOUT:-120}"

KAFKA_VERSION="${PACS_KAFKA_VERSION:-4.1.1}"
LOG4J_VERSION="2.24.3"
FERRETDB_VERSION="v1.24.2"
SEAWEEDFS_VERSION="v0.0.0-20261109003541-7506e5f91cd6"
APT_PACKAGES=(dcmtk orthanc orthanc-dicomweb python3-pydicom python3-numpy python3-pil redis-server)
# What `npm test` needs (its pretest step): DICOM peers and pydicom's test files, no server.
# numpy and Pillow give the pixel references of the imaging specs (pydicom only recommends them).
TEST_TOOL_PACKAGES=(dcmtk python3-pydicom python3-numpy python3-pil jing rsyslog socat openssl)

KAFKA_PORT=19092
KAFKA_CONTROLLER_PORT=19093
FERRETDB_PORT=27117
REDIS_PORT=16379
S3_PORT=18333
S3_MASTER_PORT=19333
S3_VOLUME_PORT=18080
S3_FILER_PORT=18888
S3_ACCESS_KEY=pacs
S3_SECRET_KEY=pacs-secret-key
S3_REGION=us-east-1

ALL_ENGINES=(apt kafka ferretdb redis s3)
declare -A STARTED_IN=()  # engine -> "started in Ns" / "already running" (for the summary)

# ---------------------------------------------------------------------------------------- helpers

log() { printf '[engines] %s\n' "$*" >&2; }
die() { printf '[engines] ERROR: %s\n' "$*" >&2; exit 1; }

# Records how long a first install took (printed and kept in $CACHE/logs/install-times.log).
record_install() {
  local engine=$1 seconds=$2
  mkdir -p "$CACHE/logs"
  printf '%s %s installed in %ss\n' "$(date -u +%FT%TZ)" "$engine" "$seconds" >>"$CACHE/logs/install-times.log"
  log "$engine: first install took ${seconds}s"
}

# Serialises installs between concurrent invocations of this script.
with_lock() {
  local name=$1; shift
  mkdir -p "$CACHE/locks"
  (
    flock -w 3600 9 || die "could not take the install lock $CACHE/locks/$name.lock"
    "$@"
  ) 9>"$CACHE/locks/$name.lock"
}

pid_file() { echo "$STATE/$1.pid"; }

# The pid of a running engine started by this script, or nothing.
engine_pid() {
  local f pid
  f=$(pid_file "$1")
  [[ -f $f ]] || return 0
  pid=$(<"$f")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts a command detached (own session, no inherited fds) and records its pid.
spawn() {
  local engine=$1; shift
  mkdir -p "$LOGS"
  printf '=== %s engines.sh: starting %s\n' "$(date -u +%FT%TZ)" "$engine" >>"$LOGS/$engine.log"
  setsid "$@" </dev/null >>"$LOGS/$engine.log" 2>&1 8>&- 9>&- &
  echo $! >"$(pid_file "$engine")"
}

# wait_until ENGINE CHECK_FUNCTION: polls until the check passes, the process dies or time runs out.
wait_until() {
  local engine=$1 check=$2 deadline=$((SECONDS + TIMEOUT)) pid
  while true; do
    if "$check" >/dev/null 2>&1; then return 0; fi
    pid=$(engine_pid "$engine")
    if [[ -z $pid ]]; then
      tail -n 30 "$LOGS/$engine.log" >&2 2>/dev/null || true
      die "$engine exited before answering; see $LOGS/$engine.log"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOGS/$engine.log" >&2 2>/dev/null || true
      die "$engine did not answer within ${TIMEOUT}s (pid $pid still running); see $LOGS/$engine.log"
    fi
    sleep 1
  done
}

# Stops an engine: SIGTERM to its process group, wait, then SIGKILL.
stop_engine() {
  local engine=$1 grace=${2:-30} pid i
  pid=$(engine_pid "$engine")
  if [[ -n $pid ]]; then
    log "$engine: stopping (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$engine: still alive after ${grace}s, sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$(pid_file "$engine")"
}

# Builds a Go main package from a module copied out of the module cache (needed when `go install
# pkg@version` does not work: replace directives, generated files missing from the module zip).
# go_build_module MODULE@VERSION SRC_DIR PACKAGE OUTPUT [PREPARE_FUNCTION]
go_build_module() {
  local module=$1 src=$2 pkg=$3 out=$4 prepare=${5:-} dir
  command -v go >/dev/null || die "go is not installed; cannot build $out"
  dir=$(cd / && go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -n $dir && -d $dir ]] || die "go mod download $module failed"
  rm -rf "$src" &&
    mkdir -p "$(dirname "$src")" "$(dirname "$out")" &&
    cp -r "$dir" "$src" &&
    chmod -R u+w "$src" &&
    { [[ -z $prepare ]] || "$prepare" "$src"; } &&
    (cd "$src" && go build -trimpath -o "$out.tmp" "$pkg") &&
    mv -f "$out.tmp" "$out"
}

# ---------------------------------------------------------------------------------------- apt

apt_missing() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]}"
}

apt_install() {
  local missing t0=$SECONDS
  read -r -a missing <<<"$(apt_missing "$@")"
  ((${#missing[@]})) || return 0
  log "apt: installing ${missing[*]} (log $CACHE/logs/apt.log)"
  mkdir -p "$CACHE/logs"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  {
    "${sudo[@]}" apt-get update &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
  } >>"$CACHE/logs/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed; see $CACHE/logs/apt.log"
  record_install "apt(${missing[*]})" $((SECONDS - t0))
}

# One apt-get at a time: `npm test`'s pretest and a background `up` may both get here.
install_apt() { with_lock apt apt_install "${APT_PACKAGES[@]}"; }
install_test_tools() { with_lock apt apt_install "${TEST_TOOL_PACKAGES[@]}"; }

# ---------------------------------------------------------------------------------------- kafka

KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"

kafka_classpath() { echo "$KAFKA_HOME/libs/*"; }

install_kafka() {
  [[ -f $KAFKA_HOME/libs/.complete ]] && return 0
  command -v java >/dev/null || die "java (17+) is required for kafka"
  command -v mvn >/dev/null || die "mvn is required to download kafka from Maven Central"
  with_lock kafka install_kafka_locked
}

install_kafka_locked() {
  [[ -f $KAFKA_HOME/libs/.complete ]] && return 0
  local t0=$SECONDS
  log "kafka: downloading org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central"
  mkdir -p "$KAFKA_HOME" "$CACHE/logs"
  cat >"$KAFKA_HOME/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.pacs</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  rm -rf "$KAFKA_HOME/libs" "$KAFKA_HOME/libs.tmp"
  mvn -B -q -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs.tmp" >"$CACHE/logs/kafka-install.log" 2>&1 ||
    die "kafka: maven download failed; see $CACHE/logs/kafka-install.log"
  mv "$KAFKA_HOME/libs.tmp" "$KAFKA_HOME/libs"
  touch "$KAFKA_HOME/libs/.complete"
  record_install "kafka $KAFKA_VERSION" $((SECONDS - t0))
}

kafka_java() {
  java -Xmx256m -Dlog4j2.configurationFile="$STATE/kafka/log4j2-tools.properties" \
    -cp "$(kafka_classpath)" "$@"
}

kafka_write_config() {
  local dir="$STATE/kafka"
  mkdir -p "$dir/data" "$LOGS"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=24
EOF
  cat >"$dir/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.controller.name = kafka.controller
logger.controller.level = INFO
EOF
  cat >"$dir/log4j2-tools.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.console.ref = STDERR
EOF
}

# Same shape as `kafka-storage.sh random-uuid` (16 random bytes, base64url, no padding, not
# starting with '-') without paying for a JVM start.
kafka_cluster_id() {
  local id
  while true; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [[ $id == -* ]] || break
  done
  echo "$id"
}

start_kafka() {
  local dir="$STATE/kafka" cluster_id
  kafka_write_config
  if [[ ! -f $dir/data/meta.properties ]]; then
    cluster_id=$(kafka_cluster_id)
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
      >>"$LOGS/kafka.log" 2>&1 || die "kafka: storage format failed; see $LOGS/kafka.log"
  fi
  spawn kafka java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$(kafka_classpath)" kafka.Kafka "$dir/server.properties"
}

# Ready = the broker answers a metadata request (topic listing) through the Java admin client.
check_kafka() {
  port_open "$KAFKA_PORT" &&
    timeout 30 java -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$STATE/kafka/log4j2-tools.properties" \
      -cp "$(kafka_classpath)" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list
}

wait_kafka() { wait_until kafka check_kafka; }
stop_kafka() { stop_engine kafka 60; }

# ---------------------------------------------------------------------------------------- ferretdb

ferretdb_ok() { [[ -x $BIN/ferretdb ]] && "$BIN/ferretdb" --version >/dev/null 2>&1; }

install_ferretdb() {
  ferretdb_ok && return 0
  with_lock ferretdb install_ferretdb_locked
}

# The module zip lacks build/version/version.txt (generated from git), without which the binary
# panics at start-up; so build from a copy of the module with that file written.
ferretdb_prepare() { echo "$FERRETDB_VERSION" >"$1/build/version/version.txt"; }

install_ferretdb_locked() {
  ferretdb_ok && return 0
  local t0=$SECONDS
  log "ferretdb: building $FERRETDB_VERSION from source (log $CACHE/logs/ferretdb-build.log)"
  mkdir -p "$CACHE/logs"
  (go_build_module "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" "$CACHE/src/ferretdb" \
    ./cmd/ferretdb "$BIN/ferretdb" ferretdb_prepare) >"$CACHE/logs/ferretdb-build.log" 2>&1 ||
    die "ferretdb: build failed; see $CACHE/logs/ferretdb-build.log"
  ferretdb_ok || die "ferretdb: built binary does not run; see $CACHE/logs/ferretdb-build.log"
  record_install "ferretdb $FERRETDB_VERSION" $((SECONDS - t0))
}

start_ferretdb() {
  local dir="$STATE/ferretdb"
  mkdir -p "$dir/sqlite" "$dir/state"
  spawn ferretdb "$BIN/ferretdb" \
    --handler=sqlite --sqlite-url="file:$dir/sqlite/" \
    --listen-addr="127.0.0.1:$FERRETDB_PORT" --debug-addr=- \
    --state-dir="$dir/state" --telemetry=disable --log-level=warn
}

# Ready = a real `ping` command over the MongoDB wire protocol (OP_MSG) answers ok: 1.
check_ferretdb() {
  python3 - "$FERRETDB_PORT" <<'EOF'
import socket, struct, sys
def bson(fields):
    body = b""
    for key, value in fields:
        k = key.encode() + b"\0"
        if isinstance(value, int):
            body += b"\x10" + k + struct.pack("<i", value)
        else:
            s = value.encode() + b"\0"
            body += b"\x02" + k + struct.pack("<i", len(s)) + s
    return struct.pack("<i", len(body) + 5) + body + b"\0"
doc = bson([("ping", 1), ("$db", "admin")])
payload = struct.pack("<I", 0) + b"\0" + doc
msg = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    s.sendall(msg)
    data = b""
    while len(data) < 4 or len(data) < struct.unpack("<i", data[:4])[0]:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("connection closed")
        data += chunk
i = data.find(b"\x01ok\x00")
sys.exit(0 if i >= 0 and struct.unpack("<d", data[i + 4:i + 12])[0] == 1.0 else "ping not ok")
EOF
}

wait_ferretdb() { wait_until ferretdb check_ferretdb; }
stop_ferretdb() { stop_engine ferretdb 20; }

# ---------------------------------------------------------------------------------------- redis

install_redis() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  apt_install redis-server redis-tools
}

start_redis() {
  local dir="$STATE/redis"
  mkdir -p "$dir"
  spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --save '' --appendonly no --daemonize no --dir "$dir" --loglevel warning
}

check_redis() { [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }
wait_redis() { wait_until redis check_redis; }
stop_redis() { stop_engine redis 20; }

# ---------------------------------------------------------------------------------------- s3 (SeaweedFS)

weed_ok() { [[ -x $BIN/weed ]] && "$BIN/weed" version >/dev/null 2>&1; }

install_s3() {
  weed_ok && return 0
  with_lock weed install_s3_locked
}

# Another process (a previous run, or a job started by hand) may be building bin/weed right now,
# logging to $CACHE/logs/weed-build.log which ends with "rc=N": wait for it instead of racing it.
weed_build_running() {
  local log="$CACHE/logs/weed-build.log"
  [[ -f $log ]] && ! tail -n 1 "$log" | grep -q '^rc=' &&
    { pgrep -f "go build .*-o $BIN/weed" || pgrep -f "go mod download.*seaweedfs"; } >/dev/null 2>&1
}

install_s3_locked() {
  weed_ok && return 0
  local t0=$SECONDS deadline=$((SECONDS + 3600)) rc
  if weed_build_running; then
    log "s3: a SeaweedFS build is already running (log $CACHE/logs/weed-build.log); waiting for it"
    while weed_build_running; do
      ((SECONDS < deadline)) || die "s3: the running SeaweedFS build did not finish within 1h; see $CACHE/logs/weed-build.log"
      sleep 10
    done
    sleep 2
    weed_ok && { log "s3: the other build finished ($(tail -n 1 "$CACHE/logs/weed-build.log"))"; return 0; }
    log "s3: the other build did not produce a working bin/weed ($(tail -n 1 "$CACHE/logs/weed-build.log")); building again"
  fi
  log "s3: building SeaweedFS $SEAWEEDFS_VERSION from source, this takes several minutes (log $CACHE/logs/weed-build.log)"
  mkdir -p "$CACHE/logs"
  rc=0
  (go_build_module "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" "$CACHE/src/seaweedfs" \
    ./weed "$BIN/weed") >"$CACHE/logs/weed-build.log" 2>&1 || rc=$?
  echo "rc=$rc" >>"$CACHE/logs/weed-build.log"
  ((rc == 0)) && weed_ok || die "s3: SeaweedFS build failed; see $CACHE/logs/weed-build.log"
  record_install "s3 (seaweedfs $SEAWEEDFS_VERSION)" $((SECONDS - t0))
}

start_s3() {
  local dir="$STATE/s3"
  mkdir -p "$dir/data"
  cat >"$dir/s3.json" <<EOF
{
  "identities": [
    {
      "name": "$S3_ACCESS_KEY",
      "credentials": [{ "accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY" }],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
EOF
  # weed reads master.toml from its working directory: each bucket is a collection and gets
  # copy_1 volumes up front (7 by default); 2 keeps many test buckets cheap in files and memory.
  cat >"$dir/master.toml" <<'EOF'
[master.volume_growth]
copy_1 = 2
copy_other = 1
EOF
  (
    cd "$dir"
    spawn s3 "$BIN/weed" server \
      -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir/data" \
      -master.port="$S3_MASTER_PORT" -master.volumeSizeLimitMB=64 \
      -volume.port="$S3_VOLUME_PORT" -volume.max=0 -volume.preStopSeconds=1 \
      -filer -filer.port="$S3_FILER_PORT" -filer.localSocket="$dir/filer.sock" \
      -s3 -s3.port="$S3_PORT" -s3.config="$dir/s3.json" -s3.localSocket="$dir/s3.sock" \
      -s3.autoCreateBucket=false -s3.port.iceberg=0 -s3.port.lance=0
  )
}

s3_curl() {
  curl -fsS --max-time 10 --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

# Answers = an authenticated (SigV4) ListBuckets returns the S3 XML document.
check_s3() { s3_curl "http://127.0.0.1:$S3_PORT/" | grep -q ListAllMyBucketsResult; }

# Ready = objects can be written: for a few seconds after start the filer is not yet registered
# with the master and the first write of a bucket waits; take that hit here rather than in a test.
s3_write_probe() {
  local url="http://127.0.0.1:$S3_PORT/pacs-engines-readiness"
  s3_curl -X PUT "$url" -o /dev/null 2>/dev/null || s3_curl "$url?list-type=2" -o /dev/null || return 1
  s3_curl -X PUT -H 'Content-Type: text/plain' --data-binary ready "$url/probe" -o /dev/null &&
    [[ $(s3_curl "$url/probe") == ready ]] &&
    s3_curl -X DELETE "$url/probe" -o /dev/null &&
    s3_curl -X DELETE "$url" -o /dev/null
}

wait_s3() { wait_until s3 check_s3 && wait_until s3 s3_write_probe; }
stop_s3() { stop_engine s3 30; }

# ---------------------------------------------------------------------------------------- commands

engine_port() {
  case $1 in
    kafka) echo "$KAFKA_PORT" ;; ferretdb) echo "$FERRETDB_PORT" ;;
    redis) echo "$REDIS_PORT" ;; s3) echo "$S3_PORT" ;;
  esac
}

# Phase 1 of `up` for one engine: nothing to do when it already answers, otherwise start it and
# queue it for phase 2 (waiting), so that the engines boot in parallel.
PENDING=()
declare -A T0=()
begin_engine() {
  local engine=$1 pid port
  port=$(engine_port "$engine")
  pid=$(engine_pid "$engine")
  if [[ -n $pid ]]; then
    if "check_$engine" >/dev/null 2>&1; then
      STARTED_IN[$engine]="already running (pid $pid)"
      return
    fi
    log "$engine: pid $pid is running but does not answer yet; waiting for it"
  elif port_open "$port"; then
    if "check_$engine" >/dev/null 2>&1; then
      log "$engine: 127.0.0.1:$port already answers (a process not started from $STATE); using it"
      STARTED_IN[$engine]="already answering (process not started from $STATE)"
      return
    fi
    die "$engine: port 127.0.0.1:$port is taken by another process that does not answer like $engine"
  else
    log "$engine: starting (log $LOGS/$engine.log)"
    "start_$engine"
  fi
  T0[$engine]=$SECONDS
  PENDING+=("$engine")
}

# Serialises up/down between concurrent invocations (fd 8; closed in the engines by spawn).
lock_run() {
  mkdir -p "$CACHE/locks"
  exec 8>"$CACHE/locks/run.lock"
  flock -w 900 8 || die "another engines.sh up/down holds $CACHE/locks/run.lock for more than 900s"
}

cmd_up() {
  local engines=("$@") engine pending
  ((${#engines[@]})) || engines=("${ALL_ENGINES[@]}")
  mkdir -p "$STATE" "$LOGS" "$CACHE"
  # Installs first (each under its own lock), so that a long build does not delay the others.
  for engine in "${engines[@]}"; do "install_$engine"; done
  STARTED_IN[apt]="packages present"
  lock_run
  for engine in "${engines[@]}"; do
    [[ $engine == apt ]] || begin_engine "$engine"
  done
  for engine in redis ferretdb s3 kafka; do
    for pending in "${PENDING[@]}"; do
      [[ $pending == "$engine" ]] || continue
      "wait_$engine"
      STARTED_IN[$engine]="ready $((SECONDS - T0[$engine]))s after start (pid $(engine_pid "$engine"))"
    done
  done
  echo "pacs engines up (state $STATE, logs $LOGS):"
  for engine in "${engines[@]}"; do
    if [[ $engine == apt ]]; then
      printf '  %-9s %-16s %s\n' apt "" "${STARTED_IN[apt]}"
    else
      printf '  %-9s %-16s %s\n' "$engine" "127.0.0.1:$(engine_port "$engine")" "${STARTED_IN[$engine]}"
    fi
  done
  echo "  next: eval \"\$(bash $0 env)\""
}

cmd_down() {
  local engines=("$@") engine all=0
  if ((${#engines[@]} == 0)); then engines=(s3 ferretdb redis kafka); all=1; fi
  lock_run
  for engine in "${engines[@]}"; do
    [[ $engine == apt ]] || "stop_$engine" &
  done
  wait
  for engine in "${engines[@]}"; do
    [[ $engine == apt ]] || rm -rf "${STATE:?}/$engine" "$(pid_file "$engine")"
  done
  if ((all)); then rm -rf "$STATE"; fi
  log "stopped: ${engines[*]}"
}

cmd_env() {
  cat <<EOF
export PACS_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export PACS_MONGODB_URL=mongodb://127.0.0.1:$FERRETDB_PORT/
export PACS_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export PACS_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export PACS_S3_REGION=$S3_REGION
export PACS_S3_ACCESS_KEY_ID=$S3_ACCESS_KEY
export PACS_S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export PACS_S3_FORCE_PATH_STYLE=true
EOF
}

cmd_status() {
  local engines=("$@") engine pid answers rc=0
  ((${#engines[@]})) || engines=("${ALL_ENGINES[@]}")
  for engine in "${engines[@]}"; do
    if [[ $engine == apt ]]; then
      local missing
      missing=$(apt_missing "${APT_PACKAGES[@]}")
      if [[ -n $missing ]]; then
        printf '%-9s missing: %s\n' apt "$missing"
      else
        printf '%-9s all packages installed\n' apt
      fi
      continue
    fi
    pid=$(engine_pid "$engine")
    answers=no
    "check_$engine" >/dev/null 2>&1 && answers=yes
    [[ $answers == yes ]] || rc=1
    printf '%-9s 127.0.0.1:%-6s pid=%-8s answers=%s\n' "$engine" "$(engine_port "$engine")" "${pid:--}" "$answers"
  done
  return $rc
}

validate_engines() {
  local engine known
  for engine in "$@"; do
    known=0
    for k in "${ALL_ENGINES[@]}"; do [[ $engine == "$k" ]] && known=1; done
    ((known)) || die "unknown engine '$engine' (engines: ${ALL_ENGINES[*]})"
  done
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up) validate_engines "$@"; cmd_up "$@" ;;
    down) validate_engines "$@"; cmd_down "$@" ;;
    env) cmd_env ;;
    tools) install_test_tools ;;
    status) validate_engines "$@"; cmd_status "$@" ;;
    *)
      sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
      [[ $cmd == help || $cmd == -h || $cmd == --help ]] || exit 2
      ;;
  esac
}

main "$@"
