"""Registry: regions, municipalities, schools, yearly context."""
