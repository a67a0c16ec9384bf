"""Batches: the one write path (commit, rollback) and its dry run (preview)."""
