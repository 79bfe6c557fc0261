"""Everything that plugs into Rasa or talks to it: NLU components, the response generator,
tracker and lock stores, canned answers read from the domain, and the one HTTP client for
Rasa's API."""
