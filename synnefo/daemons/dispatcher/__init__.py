"""The dispatcher daemon: consumes Ganeti's notifications and applies them to the database.

* ``dispatch.py``: the pure part, ``dispatch(core, body, headers) -> Outcome``;
* ``consumer.py``: the kombu ``ConsumerMixin`` adapter (acks after commit, dead-letters, retries);
* ``worker.py``: one worker loop, and ``start_in_process(core)`` for the web process;
* ``cli.py``: ``snf-dispatcher`` with N worker processes.
"""


def main(argv=None) -> int:
    from synnefo.daemons.dispatcher.cli import main as cli_main
    return cli_main(argv)


def start_in_process(core, options=None):
    """Run the dispatcher in a daemon thread of this process; returns a handle with ``stop()``."""
    from synnefo.daemons.dispatcher.worker import start_in_process as start
    return start(core, options)
