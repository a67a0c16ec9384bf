"""Who may do what: users, roles, tokens, the audit list, and their CLI."""
