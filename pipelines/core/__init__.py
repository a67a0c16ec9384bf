"""Shared foundations: settings, the user-facing error type, the data contract, the store, exports, privacy."""
