"""The deterministic sample data behind `make run`."""
