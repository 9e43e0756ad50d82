"""The notification outbox: messages a user sees on the home page (e-mail delivery optional)."""
