import signal

# Remember a SIGTERM that arrives while the rest is still importing (see bot.cli).
early_stops: list[int] = []
signal.signal(signal.SIGTERM, lambda signum, _frame: early_stops.append(signum))

from bot.cli import main  # noqa: E402

raise SystemExit(main(early_stops=early_stops))
