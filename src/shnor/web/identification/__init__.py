"""Identification: methodology runs, lists, flags with evidence, tracks, dynamics."""
