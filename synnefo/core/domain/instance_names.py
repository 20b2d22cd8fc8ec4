"""The instance-name rule of ``naming.InstanceNaming`` as plain functions.

No imports at all: the Ganeti hook checks names with these, and every module it imports adds
to the start-up time of every Ganeti job (``dataclasses`` alone costs several milliseconds).
"""


def check_prefix(prefix: str) -> str:
    """``prefix`` itself; raises ``ValueError`` if it has no dash."""
    if "-" not in prefix:
        raise ValueError(f"instance prefix {prefix!r} must contain a dash")
    return prefix


def server_id(prefix: str, instance_name) -> int | None:
    """The server id for one of our instance names (``<prefix><id>``), or None if the name is
    not ours."""
    if not isinstance(instance_name, str) or not instance_name.startswith(prefix):
        return None
    rest = instance_name[len(prefix):]
    if not rest.isascii() or not rest.isdigit() or rest.startswith("0"):
        return None
    return int(rest)
