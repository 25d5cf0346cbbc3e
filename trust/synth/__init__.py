"""Synthetic social-commerce marketplace with planted, labelled misconduct."""
