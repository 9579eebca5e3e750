"""shnor: identification and support of low-results schools (ШНОР), ШНСУ and non-objective results."""

__version__ = "0.1.0"
