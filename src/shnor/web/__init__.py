"""Django project of shnor: settings, urls and one app per area."""
