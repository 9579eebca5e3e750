"""Website monitoring (seed 003 §3.6): a polite crawler and the classification of required documents.

Pure Python (standard library only): never imports Django. ``crawler.crawl_site`` checks one school
or municipality website; ``documents`` holds the configurable document kinds (Russian keyword
patterns) and the rules that decide what counts as a found document.
"""
