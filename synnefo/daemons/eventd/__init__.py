"""snf-ganeti-eventd: turns Ganeti job-file changes into ``ganeti-op-status`` messages.

Pure logic lives in ``jobs`` (parse a job file into events); ``state`` remembers what was
published; ``processor`` joins the two; ``watcher``, ``master``, ``daemon`` and ``cli`` are the
plumbing (inotify, ssconf, the loop, the command line).
"""


def main(argv=None) -> int:
    """Console script entry point (``snf-ganeti-eventd``)."""
    from synnefo.daemons.eventd.cli import main as cli_main
    return cli_main(argv)
