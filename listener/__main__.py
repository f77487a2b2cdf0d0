"""``python -m listener`` is the ``firstreply`` command."""

from __future__ import annotations

from listener.cli import main

main()
