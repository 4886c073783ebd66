"""The WeChat Official Account channel (微信公众号): callback, conversations, customer-service replies."""
