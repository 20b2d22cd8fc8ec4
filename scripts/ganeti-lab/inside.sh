#!/usr/bin/env bash
# Runs INSIDE the lab's namespaces (started by ganeti-lab.sh through nsenter).
#   inside.sh mounts   -- hostname, loopback, bridge, fresh sysfs, bind mounts
#   inside.sh init     -- gnt-cluster init and everything the tests rely on
#   inside.sh daemons  -- (re)start any Ganeti daemon that is not running
# Environment (from ganeti-lab.sh): LAB STATE NODE NODE_IP CLUSTER CLUSTER_IP BRIDGE
set -euo pipefail

say() { echo "ganeti-lab: $*" >&2; }
die() { echo "ganeti-lab: ERROR: $*" >&2; exit 1; }

do_mounts() {
    hostname "$NODE"
    ip link set lo up
    # A port-less bridge carries the node and cluster addresses: Ganeti refuses loopback
    # addresses, and its bridge check reads /sys/class/net/<bridge>/bridge.
    ip link add "$BRIDGE" type bridge 2>/dev/null || true
    ip addr replace "$NODE_IP/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    # sysfs shows the network devices of the namespace that mounted it: mount a fresh one.
    mount -t sysfs -o ro sysfs /sys
    mount --bind "$STATE/hosts" /etc/hosts
    mount --bind "$STATE/nsswitch.conf" /etc/nsswitch.conf
    mount --bind "$STATE/default-ganeti" /etc/default/ganeti
    mount --bind "$STATE/etc" /etc/ganeti
    mount --bind "$STATE/lib" /var/lib/ganeti
    mount --bind "$STATE/log" /var/log/ganeti
    mount --bind "$STATE/run" /run/ganeti
    mount --bind "$STATE/srv" /srv/ganeti
}

daemon_running() {
    local pid
    pid=$(cat "/run/ganeti/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# daemon-util is not idempotent: start only what is not running, then check each one.
do_daemons() {
    local d
    for d in ganeti-noded ganeti-wconfd ganeti-luxid ganeti-rapi ganeti-confd; do
        if ! daemon_running "$d"; then
            /usr/lib/ganeti/daemon-util start "$d" >/dev/null 2>&1 || true
        fi
    done
    for d in ganeti-noded ganeti-wconfd ganeti-luxid ganeti-rapi ganeti-confd; do
        wait_for "$d running" 20 daemon_running "$d" || die "$d did not start; see $STATE/log"
    done
}

wait_for() {
    local what=$1 seconds=$2 i
    shift 2
    for ((i = 0; i < seconds * 10; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    say "timed out waiting for $what"
    return 1
}

rapi_answers() {
    curl -sf --cacert "$LAB/rapi-ca.pem" -u "$RAPI_USER:$RAPI_PASSWORD" \
        "https://127.0.0.1:5080/2/info" >/dev/null
}

do_init() {
    /usr/lib/ganeti/ensure-dirs >/dev/null
    say "gnt-cluster init $CLUSTER (node $NODE, $NODE_IP)"
    gnt-cluster init --enabled-hypervisors=fake --enabled-disk-templates=file,diskless \
        --no-ssh-init --no-etc-hosts --master-netdev="$BRIDGE" --nic-parameters="link=$BRIDGE" \
        --file-storage-dir=/srv/ganeti/file-storage \
        --ipolicy-bounds-specs="min:disk-size=0,cpu-count=1,disk-count=0,memory-size=1,nic-count=0,spindle-use=0/max:disk-size=1048576,cpu-count=64,disk-count=16,memory-size=1048576,nic-count=8,spindle-use=64" \
        --ipolicy-std-specs="disk-size=1024,cpu-count=1,disk-count=1,memory-size=128,nic-count=1,spindle-use=1" \
        --ipolicy-vcpu-ratio=64 --ipolicy-spindle-ratio=64 \
        --default-iallocator-params=-no-capacity-checks \
        "$CLUSTER" >"$STATE/init.log" 2>&1 || { cat "$STATE/init.log" >&2; die "gnt-cluster init failed"; }
    install_rapi_credentials
    do_daemons
    wait_for "RAPI on 127.0.0.1:5080 (inside)" 20 rapi_answers || die "RAPI does not answer"
    say "network $NETWORK ($NETWORK_SUBNET) connected to group default on $BRIDGE"
    gnt-network add --network="$NETWORK_SUBNET" --gateway="$NETWORK_GATEWAY" "$NETWORK" >/dev/null
    gnt-network connect --nic-parameters="mode=bridged,link=$BRIDGE" "$NETWORK" default >/dev/null
}

# RAPI: a users file with a generated password, and a certificate whose SAN is 127.0.0.1 so
# that the driver can verify TLS with a CA file (Ganeti's own certificate names the node).
install_rapi_credentials() {
    printf '%s %s write\n' "$RAPI_USER" "$RAPI_PASSWORD" > /var/lib/ganeti/rapi/users
    cat "$STATE/rapi-key.pem" "$STATE/rapi-cert.pem" > /var/lib/ganeti/rapi.pem
    /usr/lib/ganeti/ensure-dirs >/dev/null
    if daemon_running ganeti-rapi; then
        /usr/lib/ganeti/daemon-util stop ganeti-rapi >/dev/null 2>&1 || true
    fi
}

case "${1:-}" in
    mounts) do_mounts ;;
    init) do_init ;;
    daemons) do_daemons ;;
    *) die "usage: inside.sh mounts|init|daemons" ;;
esac
