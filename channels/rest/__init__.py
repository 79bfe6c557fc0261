"""REST channel for local testing and integrations, in its own ``rest:`` namespace.

Enabled in ``credentials.yml`` as ``channels.rest.RestInput`` (replacing Rasa's stock
``rest:``, which let the client pick any conversation id and input channel).
"""

from channels.rest.channel import RestInput

__all__ = ["RestInput"]
