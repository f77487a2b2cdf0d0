"""The bundled demo: real public posts to brands, replayed through the real code path."""

from __future__ import annotations

from listener.demo.source import DemoSource, ReplayClock, demo_settings, load_sample

__all__ = ["DemoSource", "ReplayClock", "demo_settings", "load_sample"]
