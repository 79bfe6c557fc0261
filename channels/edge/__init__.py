"""The guard of the Rasa server's public edge (not a channel: it adds no conversation).

Enabled in ``credentials.yml`` as ``channels.edge.EdgeGuard``, so every ``rasa run`` with
the project's credentials gets it, whoever starts it.
"""

from channels.edge.guard import EdgeGuard

__all__ = ["EdgeGuard"]
