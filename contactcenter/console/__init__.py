"""The agent console and supervisor pages, assembled from each app's selectors."""
