"""Django's makemessages, reading ``_l(…)`` too: the project's name for gettext_lazy (an
import of ``gettext_lazy as _l``). Without it, those strings never reached a catalogue and
showed in English on the Chinese pages."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_l"]
