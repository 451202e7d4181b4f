"""Choice lists of the ingest app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWED = "previewed", _("Checked")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    # The stage's thread stopped with its server process (a restart, a deploy, a crash).
    INTERRUPTED = "interrupted", _("Interrupted")


class MergeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    SEPARATE = "separate", _("Registered as a new person")
    DISMISSED = "dismissed", _("Same person: row dropped")
    MERGED = "merged", _("Same person: record updated from the row")


class Severity(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")
    INFO = "info", _("Note")
