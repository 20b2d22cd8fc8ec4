"""snf-manage queue-inspect / queue-retry: queue depths, dead letters and their reasons."""
from synnefo.daemons.manage.output import emit, print_json


def register(subparsers) -> None:
    inspect = subparsers.add_parser(
        "queue-inspect", help="queue depths and dead-lettered messages with their reasons")
    inspect.add_argument("--limit", type=int, default=20,
                         help="dead letters to show per queue (default 20)")
    inspect.add_argument("--json", action="store_true")
    inspect.set_defaults(func=queue_inspect)
    retry = subparsers.add_parser(
        "queue-retry", help="move dead-lettered messages back to their queues")
    retry.add_argument("--queue", help="only this queue (work or dead-letter queue name, or "
                                       "message type); default: all")
    retry.add_argument("--limit", type=int, help="move at most this many per queue")
    retry.add_argument("--json", action="store_true")
    retry.set_defaults(func=queue_retry)


def queue_inspect(args, ctx) -> int:
    from synnefo.messaging import admin
    with admin.open_bus(ctx.settings) as (connection, channel, topology):
        depths = admin.depths(channel, topology)
        letters = admin.peek_dead_letters(connection, topology, args.limit)
    if args.json:
        print_json({"queues": depths, "dead_letters": letters})
        return 0
    emit(depths, ["type", "queue", "ready", "dead_letter_queue", "dead_lettered"], False)
    print()
    emit(letters, ["queue", "reason", "failed_at", "body"], False)
    return 0


def queue_retry(args, ctx) -> int:
    from synnefo.messaging import admin
    with admin.open_bus(ctx.settings) as (_connection, channel, topology):
        moved = admin.retry_dead_letters(channel, topology, args.queue, args.limit)
    rows = [{"dead_letter_queue": q, "moved": n} for q, n in moved.items()]
    emit(rows, ["dead_letter_queue", "moved"], args.json)
    return 0
