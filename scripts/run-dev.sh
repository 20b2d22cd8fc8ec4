#!/usr/bin/env bash
# Set up and run the whole system on its embedded defaults (SQLite, embedded broker, simulated
# Ganeti, dispatcher in the web process): http://127.0.0.1:6543/ , user demo / password demo.
#
# SYNNEFO_GANETI=lab bash scripts/run-dev.sh runs it against a real Ganeti 3.0 instead: the
# one-node lab of scripts/ganeti-lab.sh (brought up if needed), the RAPI driver, eventd and the
# hook inside the lab, the dispatcher in the web process. Its settings are written to
# var/ganeti-lab/synnefo-lab.ini (development.ini plus the lab's backend).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

if [ "${SYNNEFO_GANETI:-fake}" != "lab" ]; then
    echo "==> migrating the development database"
    .venv/bin/snf-manage -c development.ini db upgrade
    echo "==> starting pserve development.ini --reload (Ctrl-C stops)"
    exec .venv/bin/pserve development.ini --reload
fi

REPO=$(pwd)
LAB_INI=$REPO/var/ganeti-lab/synnefo-lab.ini
echo "==> bringing the Ganeti lab up (scripts/ganeti-lab.sh up)"
bash scripts/ganeti-lab.sh up
set -a
# GANETI_LAB_RAPI_URL/_USER/_PASSWORD/_CA_FILE/_OS_NOPARAMS/_OS_IMAGE/_NETWORK/_DIR
. var/ganeti-lab/lab.env
set +a

# The lab's processes share the embedded broker's and the database's SQLite files with these.
cat > "$LAB_INI" <<EOF
# Written by scripts/run-dev.sh (SYNNEFO_GANETI=lab): development.ini against the Ganeti lab.
[app:main]
use = config:$REPO/development.ini#main
synnefo.db_url = sqlite:///$REPO/var/lab-synnefo.sqlite
synnefo.amqp_url = sqla+sqlite:///$REPO/var/lab-broker.sqlite
synnefo.backend_drivers = ganeti
# No backend from the .ini: the lab's is added below with snf-manage.
synnefo.backend.name =
synnefo.public_network = $GANETI_LAB_NETWORK

[synnefo:eventd]
queue_dir = /var/lib/ganeti/queue
state = $REPO/var/ganeti-lab/eventd-state.sqlite
spool = $REPO/var/ganeti-lab/eventd-spool.sqlite
pid_file = $REPO/var/ganeti-lab/eventd.pid

[server:main]
use = egg:waitress#main
listen = 127.0.0.1:6543

[loggers]
keys = root, synnefo

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = INFO
handlers = console

[logger_synnefo]
level = DEBUG
handlers =
qualname = synnefo

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s][%(threadName)s] %(message)s
EOF

manage() { .venv/bin/snf-manage -c "$LAB_INI" "$@"; }
echo "==> migrating $LAB_INI's database"
manage db upgrade
# The lab's no-parameter OS needs no OS parameters: a configuration change only.
OPTIONS=(--rapi-url "$GANETI_LAB_RAPI_URL" --username "$GANETI_LAB_RAPI_USER"
         --credentials env:GANETI_LAB_RAPI_PASSWORD
         --option "ca_file=$GANETI_LAB_CA_FILE" --option "os_provider=$GANETI_LAB_OS_NOPARAMS"
         --option os_params=none --option disk_template=file)
BACKENDS=$(manage backend-list --json)
if grep -q '"name": "lab"' <<<"$BACKENDS"; then
    echo "==> backend lab exists: refreshing its settings, then checking it"
    manage backend-modify lab "${OPTIONS[@]}"
    manage backend-check lab
else
    echo "==> adding the lab as backend lab (checked first)"
    manage backend-add lab --driver ganeti "${OPTIONS[@]}"
fi

echo "==> installing the Ganeti hook in the lab"
bash scripts/ganeti-lab.sh exec "$REPO/.venv/bin/snf-manage" -c "$LAB_INI" ganeti-hooks install \
    --force
echo "==> starting snf-ganeti-eventd in the lab"
bash scripts/ganeti-lab.sh exec "$REPO/.venv/bin/snf-ganeti-eventd" "$LAB_INI" &
EVENTD=$!
trap 'kill "$EVENTD" 2>/dev/null || true' EXIT
echo "==> starting pserve $LAB_INI (Ctrl-C stops; the lab stays up: scripts/ganeti-lab.sh down)"
.venv/bin/pserve "$LAB_INI"
