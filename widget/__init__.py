"""The embeddable chat widget: loader script, config, attachments API, socket.io fallback."""
