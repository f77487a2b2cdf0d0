"""Renderings of a ``listener.digest.Digest``: HTML (charts inlined), Markdown, terminal.

Each renderer is its own module so the heavy ones load lazily: ``chart`` imports
matplotlib, ``html`` Jinja2. The Slack rendering is ``listener.slack.digest``.
"""
