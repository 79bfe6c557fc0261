"""Developer tooling run by the Makefile: data validation and the NLU quality gate."""
