"""What every channel shares: conversation identity, message metadata, backoff and per-chat
queues. A new channel is one folder that uses these (see ``channels/README.md``)."""
