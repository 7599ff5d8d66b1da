"""User-facing Chinese texts, one module per feature, so they can be reviewed in one place."""
