"""Bluesky: the brand account's notifications, searchPosts, Jetstream and public replies.

The only package that imports the ``atproto`` SDK (and ``websockets``, for Jetstream).
``network`` is its entry in ``listener.networks``; the core sees only ``Mention``,
``MentionSource`` and ``PublicReplier``.
"""
