"""The glossary: every statistical and domain term a user meets, in plain Russian, and the ``{% term %}``
tag that links a term on any page to its entry."""
