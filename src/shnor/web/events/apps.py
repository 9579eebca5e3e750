"""App config: events (webinars, seminars, methodological landings …) and their attendance."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events held for the listed schools, the schools and people who attended them."""

    name = "shnor.web.events"
    label = "events"
    verbose_name = "Мероприятия"
