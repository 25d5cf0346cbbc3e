"""trust: a trust and quality-control moderation pipeline for social e-commerce marketplaces."""

__version__ = "0.1.0"
