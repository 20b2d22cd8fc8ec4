# Shared by the lab's OS definitions (sourced by each script; OS API 20).
# Ganeti runs OS scripts with a reset environment: OS_NAME, OS_VARIANT, INSTANCE_NAME,
# DISK_COUNT, NIC_COUNT, ... and one OSP_<NAME> per OS parameter (public, private and secret
# parameters alike: Ganeti merges them before calling the script).
here=$(cd "$(dirname "$0")" && pwd)
# lab.conf is written by `ganeti-lab.sh up`: OSPARAMS_DIR=<lab dir>/osparams
[ -f "$here/lab.conf" ] && . "$here/lab.conf"
record() {
    # What this script received, one KEY=VALUE per line, for the tests to read.
    [ -n "${OSPARAMS_DIR:-}" ] || return 0
    # verify runs without an instance (it validates the parameters before the create).
    name=${INSTANCE_NAME:-os-verify}
    mkdir -p "$OSPARAMS_DIR"
    tmp="$OSPARAMS_DIR/.$name.$$"
    {
        echo "SCRIPT=$1"
        env | grep -E '^(OS_NAME|OS_VARIANT|OS_API_VERSION|INSTANCE_NAME|DISK_COUNT|NIC_COUNT|OSP_[A-Z0-9_]*)=' | sort
    } > "$tmp"
    mv "$tmp" "$OSPARAMS_DIR/$name.$1.env"
    [ "$1" = create ] && cp "$OSPARAMS_DIR/$name.$1.env" "$OSPARAMS_DIR/$name.env"
    return 0
}
