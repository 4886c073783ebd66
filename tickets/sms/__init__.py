"""The SMS channel of the desk: an outbox of texts to customers and one gateway adapter that sends them."""
