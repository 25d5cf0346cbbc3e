"""The names of the nightly stages after the detectors, in order, and which of them run once per merchant shard.
Light to import: the DAG file reads it when it is parsed."""

GRADING_STAGES = ("merchant_metrics", "platform_rates", "credit_scores", "grades", "quality_gate", "publish")
SHARDED_STAGES = ("merchant_metrics", "credit_scores", "grades")  # one task per merchant shard; the others run once
