#!/usr/bin/env bash
# A real one-node Ganeti 3.0 cluster (fake hypervisor, file + diskless disks) in its own
# UTS + mount + network namespaces. docs/ganeti-lab.md explains it.
#
#   scripts/ganeti-lab.sh up      bring it up (or reuse a healthy one); writes var/ganeti-lab/lab.env
#   scripts/ganeti-lab.sh down    stop everything it started and remove its state
#   scripts/ganeti-lab.sh reset   down + up (a fresh cluster)
#   scripts/ganeti-lab.sh status  exit 0 when up and answering
#   scripts/ganeti-lab.sh exec CMD...   run CMD inside the lab (e.g. gnt-instance list)
#   scripts/ganeti-lab.sh env     print lab.env
#   scripts/ganeti-lab.sh amqp off|on   cut / restore the lab's path to RabbitMQ (tests)
#
# Only loopback and the lab's own namespaces carry traffic: RAPI listens on 127.0.0.1:5080
# inside and is forwarded from the host's 127.0.0.1:$GANETI_LAB_RAPI_PORT; the lab's
# 127.0.0.1:5672 is forwarded to the host's RabbitMQ (both through unix sockets in the lab dir).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
HERE="$REPO/scripts/ganeti-lab"
LAB=${GANETI_LAB_DIR:-$REPO/var/ganeti-lab}
STATE="$LAB/state"
ENV_FILE="$LAB/lab.env"
PID_FILE="$LAB/holder.pid"

NODE=node1.ganeti-lab.test
NODE_IP=198.51.100.10
CLUSTER=cluster.ganeti-lab.test
CLUSTER_IP=198.51.100.11
BRIDGE=gnt-br0
NETWORK=snf-lab-net
NETWORK_SUBNET=198.51.100.128/25
NETWORK_GATEWAY=198.51.100.129
RAPI_USER=synnefo
AMQP_HOST_PORT=${GANETI_LAB_AMQP_PORT:-5672}
PACKAGES="ganeti socat openssl curl iproute2 util-linux"

say() { echo "ganeti-lab: $*" >&2; }
die() { echo "ganeti-lab: ERROR: $*" >&2; exit 1; }

holder_pid() {
    local pid
    pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -d "/proc/$pid" ] && [ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] \
        && echo "$pid"
}

in_lab() {
    local pid
    pid=$(holder_pid) || die "the lab is not up (run: scripts/ganeti-lab.sh up)"
    nsenter -t "$pid" -u -m -n -- "$@"
}

inside() {
    in_lab env LAB="$LAB" STATE="$STATE" NODE="$NODE" NODE_IP="$NODE_IP" CLUSTER="$CLUSTER" \
        CLUSTER_IP="$CLUSTER_IP" BRIDGE="$BRIDGE" NETWORK="$NETWORK" \
        NETWORK_SUBNET="$NETWORK_SUBNET" NETWORK_GATEWAY="$NETWORK_GATEWAY" \
        RAPI_USER="$RAPI_USER" RAPI_PASSWORD="$(cat "$LAB/rapi-password")" \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin bash "$HERE/inside.sh" "$@"
}

need_root() {
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, bind mounts, Ganeti's daemons)"
    unshare --uts --mount --net true 2>/dev/null \
        || die "cannot create namespaces here (unshare --uts --mount --net failed)"
}

install_packages() {
    local missing="" p
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    command -v apt-get >/dev/null || die "missing Debian packages:$missing (and no apt-get)"
    say "installing$missing (apt-get, --no-install-recommends)"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >"$LAB/apt.log" 2>&1 \
        || { apt-get update -q >>"$LAB/apt.log" 2>&1 \
             && apt-get install -y -q --no-install-recommends $missing >>"$LAB/apt.log" 2>&1; } \
        || die "apt-get install$missing failed; see $LAB/apt.log"
}

# -- pieces of `up` -----------------------------------------------------------------------

make_state() {
    rm -rf "$STATE" "$LAB/osparams" "$LAB/run"
    mkdir -p "$STATE"/{lib,log,run,srv/os,srv/file-storage} "$LAB/osparams" "$LAB/run"
    # /etc/ganeti holds the package's version symlinks (lib, share): keep them.
    mkdir -p "$STATE/etc"
    cp -a /etc/ganeti/. "$STATE/etc/"
    echo "/srv/ganeti/file-storage" > "$STATE/etc/file-storage-paths"
    cat > "$STATE/hosts" <<EOF
127.0.0.1 localhost
$NODE_IP $NODE ${NODE%%.*}
$CLUSTER_IP $CLUSTER ${CLUSTER%%.*}
EOF
    printf '%s\n' "passwd: files" "group: files" "shadow: files" "gshadow: files" \
        "hosts: files" "networks: files" "protocols: files" "services: files" \
        "ethers: files" "rpc: files" "netgroup: files" > "$STATE/nsswitch.conf"
    cat > "$STATE/default-ganeti" <<EOF
# written by scripts/ganeti-lab.sh: every daemon bound to the node address, RAPI to loopback
NODED_ARGS="-b $NODE_IP"
CONFD_ARGS="-b $NODE_IP"
MOND_ARGS="-b $NODE_IP"
METAD_ARGS="-b $NODE_IP"
WCONFD_ARGS=""
LUXID_ARGS=""
KVMD_ARGS=""
RAPI_ARGS="-b 127.0.0.1 --require-authentication"
EOF
    local os
    for os in noparams snf-image; do
        cp -a "$HERE/os/$os" "$STATE/srv/os/$os"
        cp "$HERE/os/common.sh" "$STATE/srv/os/$os/common.sh"
        echo "OSPARAMS_DIR=$LAB/osparams" > "$STATE/srv/os/$os/lab.conf"
    done
    chmod 755 "$LAB" "$STATE" "$STATE/srv"
}

make_credentials() {
    [ -s "$LAB/rapi-password" ] || openssl rand -hex 16 > "$LAB/rapi-password"
    chmod 600 "$LAB/rapi-password"
    [ -s "$LAB/rapi-ca.pem" ] && [ -s "$STATE/rapi-cert.pem" ] && return 0
    local tmp="$LAB/tls"
    rm -rf "$tmp"; mkdir -p "$tmp"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ganeti-lab test CA" \
        -keyout "$tmp/ca-key.pem" -out "$LAB/rapi-ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
        >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$STATE/rapi-key.pem" \
        -out "$tmp/rapi.csr" >/dev/null 2>&1
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:$CLUSTER" \
        "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" > "$tmp/ext.cnf"
    openssl x509 -req -in "$tmp/rapi.csr" -CA "$LAB/rapi-ca.pem" -CAkey "$tmp/ca-key.pem" \
        -CAcreateserial -days 3650 -extfile "$tmp/ext.cnf" -out "$STATE/rapi-cert.pem" \
        >/dev/null 2>&1 || die "openssl could not make the RAPI certificate"
    rm -rf "$tmp"
}

start_holder() {
    # The namespaces live as long as this sleeping process (and whatever runs inside).
    # Mount points for the bind mounts that the package does not create (empty directories,
    # recorded so that `down` removes only what `up` created):
    local dir
    for dir in /run/ganeti /srv/ganeti; do
        [ -d "$dir" ] || { mkdir -p "$dir" && echo "$dir" >> "$LAB/created-dirs"; }
    done
    setsid unshare --uts --mount --net --propagation private sleep infinity \
        </dev/null >/dev/null 2>&1 &
    echo $! > "$PID_FILE"
    local i
    for ((i = 0; i < 50; i++)); do
        holder_pid >/dev/null && return 0
        sleep 0.1
    done
    die "could not create the lab's namespaces"
}

free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
}

# socat forwarders, recorded by pid so that `down` stops exactly these.
start_forwarders() {
    local port=$1 pid
    pid=$(holder_pid)
    rm -f "$LAB/run/rapi.sock"
    setsid nsenter -t "$pid" -u -m -n -- \
        socat UNIX-LISTEN:"$LAB/run/rapi.sock",fork,mode=600 TCP:127.0.0.1:5080 \
        </dev/null >>"$LAB/forward.log" 2>&1 &
    echo $! > "$LAB/run/fwd-rapi-in.pid"
    setsid socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$LAB/run/rapi.sock" \
        </dev/null >>"$LAB/forward.log" 2>&1 &
    echo $! > "$LAB/run/fwd-rapi-host.pid"
    echo "$port" > "$LAB/run/rapi-port"
    amqp_on
}

alive() { kill -0 "$(cat "$LAB/run/fwd-$1.pid" 2>/dev/null)" 2>/dev/null; }

# The lab's 127.0.0.1:5672 -> the host's RabbitMQ. `amqp off` stops only the lab's end, so
# the lab sees "connection refused" (the hook spools) while the shared broker runs on.
amqp_on() {
    if ! alive amqp-host; then
        rm -f "$LAB/run/amqp.sock"
        setsid socat UNIX-LISTEN:"$LAB/run/amqp.sock",fork,mode=600 TCP:127.0.0.1:"$AMQP_HOST_PORT" \
            </dev/null >>"$LAB/forward.log" 2>&1 &
        echo $! > "$LAB/run/fwd-amqp-host.pid"
    fi
    if ! alive amqp-in; then
        setsid nsenter -t "$(holder_pid)" -u -m -n -- \
            socat TCP-LISTEN:5672,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$LAB/run/amqp.sock" \
            </dev/null >>"$LAB/forward.log" 2>&1 &
        echo $! > "$LAB/run/fwd-amqp-in.pid"
    fi
    local i
    for ((i = 0; i < 50; i++)); do
        in_lab bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672' 2>/dev/null && return 0
        sleep 0.1
    done
    die "the lab's AMQP forward (127.0.0.1:5672 inside) does not accept connections"
}

amqp_off() {
    local pid
    pid=$(cat "$LAB/run/fwd-amqp-in.pid" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

write_env() {
    local port
    port=$(cat "$LAB/run/rapi-port")
    cat > "$ENV_FILE.tmp" <<EOF
GANETI_LAB_DIR=$LAB
GANETI_LAB_RAPI_URL=https://127.0.0.1:$port
GANETI_LAB_RAPI_USER=$RAPI_USER
GANETI_LAB_RAPI_PASSWORD=$(cat "$LAB/rapi-password")
GANETI_LAB_CA_FILE=$LAB/rapi-ca.pem
GANETI_LAB_CLUSTER=$CLUSTER
GANETI_LAB_NODE=$NODE
GANETI_LAB_OS_NOPARAMS=noparams
GANETI_LAB_OS_IMAGE=snf-image+default
GANETI_LAB_NETWORK=$NETWORK
GANETI_LAB_BRIDGE=$BRIDGE
GANETI_LAB_AMQP_URL=amqp://guest:guest@127.0.0.1:5672//
GANETI_LAB_OSPARAMS_DIR=$LAB/osparams
GANETI_LAB_HOOKS_DIR=/etc/ganeti/hooks
GANETI_LAB_QUEUE_DIR=/var/lib/ganeti/queue
GANETI_LAB_FAKE_HV_DIR=/var/run/ganeti/fake-hypervisor
EOF
    chmod 600 "$ENV_FILE.tmp"
    mv "$ENV_FILE.tmp" "$ENV_FILE"
}

rapi_from_host() {
    local port
    port=$(cat "$LAB/run/rapi-port" 2>/dev/null) || return 1
    curl -sf --max-time 5 --cacert "$LAB/rapi-ca.pem" -u "$RAPI_USER:$(cat "$LAB/rapi-password")" \
        "https://127.0.0.1:$port/2/info" >/dev/null
}

forwarders_alive() { alive rapi-in && alive rapi-host; }

healthy() { holder_pid >/dev/null && forwarders_alive && rapi_from_host; }

# -- commands -----------------------------------------------------------------------------

cmd_up() {
    need_root
    mkdir -p "$LAB"
    if healthy; then
        amqp_on
        write_env
        say "already up ($(grep RAPI_URL "$ENV_FILE" | cut -d= -f2)); env in $ENV_FILE"
        return 0
    fi
    if holder_pid >/dev/null; then
        say "a lab exists but does not answer: taking it down first"
        cmd_down
    fi
    local start=$SECONDS
    install_packages
    say "state in $STATE"
    make_state
    make_credentials
    start_holder
    inside mounts || die "could not set up the namespaces"
    inside init
    start_forwarders "${GANETI_LAB_RAPI_PORT:-$(free_port)}"
    local i
    for ((i = 0; i < 100; i++)); do
        rapi_from_host && break
        sleep 0.1
    done
    rapi_from_host || die "RAPI does not answer through the host forward; see $LAB/forward.log"
    write_env
    say "up in $((SECONDS - start)) s: RAPI $(grep RAPI_URL "$ENV_FILE" | cut -d= -f2); env in $ENV_FILE"
}

# Every process whose network namespace is the lab's: Ganeti's daemons, jobs, forwarders,
# and whatever `exec` started. Found by namespace, so nothing else is touched.
lab_pids() {
    local ns=$1 p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
    done
    return 0
}

# The empty mount points `up` created on the host, unless another lab (another worktree's)
# still has a mount on one: removing it would detach that lab's mount in its namespace.
remove_created_dirs() {
    [ -f "$LAB/created-dirs" ] || return 0
    local dir
    while read -r dir; do
        if grep -qs " $dir " /proc/[0-9]*/mountinfo; then
            say "keeping $dir: another lab still uses it"
        else
            rmdir "$dir" 2>/dev/null || true
        fi
    done < "$LAB/created-dirs"
    rm -f "$LAB/created-dirs"
}

cmd_down() {
    local pid ns f
    for f in rapi-host amqp-host; do  # the host ends; the lab ends die with the namespace
        pid=$(cat "$LAB/run/fwd-$f.pid" 2>/dev/null) || continue
        # only if that pid still is our forwarder (pids get reused)
        if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "socat.*$LAB/run/"; then
            kill "$pid" 2>/dev/null || true
        fi
    done
    if pid=$(holder_pid); then
        ns=$(readlink "/proc/$pid/ns/net")
        # No polite daemon-util stop-all (10 s): the state is thrown away anyway.
        # shellcheck disable=SC2046
        kill -TERM $(lab_pids "$ns") 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            [ -z "$(lab_pids "$ns")" ] && break
            sleep 0.2
        done
        # shellcheck disable=SC2046
        kill -KILL $(lab_pids "$ns") 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            [ -z "$(lab_pids "$ns")" ] && break
            sleep 0.1
        done
    fi
    rm -f "$PID_FILE" "$ENV_FILE"
    rm -rf "$STATE" "$LAB/run" "$LAB/osparams"
    remove_created_dirs
    say "down"
}

cmd_status() {
    if healthy; then
        echo "up: $(grep RAPI_URL "$ENV_FILE" | cut -d= -f2)"
        in_lab gnt-instance list --no-headers -o name,status 2>/dev/null | sed 's/^/  /'
        return 0
    fi
    if holder_pid >/dev/null; then echo "broken: namespaces exist but RAPI does not answer"; return 1; fi
    echo "down"
    return 3
}

case "${1:-}" in
    up) cmd_up ;;
    down) need_root; cmd_down ;;
    reset) need_root; cmd_down; cmd_up ;;
    status) cmd_status ;;
    amqp) case "${2:-}" in on) amqp_on ;; off) amqp_off ;; *) die "usage: ganeti-lab.sh amqp on|off" ;; esac ;;
    exec) shift; [ $# -gt 0 ] || die "usage: ganeti-lab.sh exec CMD..."; in_lab "$@" ;;
    env) [ -f "$ENV_FILE" ] || die "no $ENV_FILE: the lab is not up"; cat "$ENV_FILE" ;;
    *) echo "usage: $0 up|down|reset|status|exec CMD...|env|amqp on|off" >&2; exit 2 ;;
esac
