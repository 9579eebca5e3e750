"""Monitoring: indicator table, analysis of effectiveness, website monitoring, reports."""
