"""The region's own settings: its indicator set with targets, roadmap templates and questionnaires."""
