"""Human handoff: the queue vocabulary, transcripts, wait estimates and the escalation rule."""
