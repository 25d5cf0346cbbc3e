"""The model lifecycle: a store of trained models by content hash, a registry of who is champion, the versions a
night pins, retraining from the platform's own verdicts with a champion/challenger rule, and drift checks."""
