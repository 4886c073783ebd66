"""Rasa: the rasa-sdk action server over our knowledge base and ticket desk (actions, server) and
the REST-channel connector a channel uses for an external Rasa assistant (connector).

Importing this package imports nothing of rasa-sdk: the connector is used by chat without it."""
