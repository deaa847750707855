"""``python -m bot.cli``: the same as the ``festbot`` command."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
