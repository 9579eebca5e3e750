"""Background jobs: imports and methodology runs started from the browser, with visible progress."""
