from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceConfig(AppConfig):
    name = "clientmap.voice"
    verbose_name = _("Voice of the customer")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete

        from clientmap.core import backup, derived, hooks
        from clientmap.core.models import AuditEvent
        from clientmap.customers.summary import relations_rebuilt
        from clientmap.directory.models import Person
        from clientmap.voice import overview, store, tally

        # The weighted demand stored on the wish (voice.store): kept current by the writes,
        # the relations' rebuild and, for what this layer does not write, core.derived.
        derived.register(store.TABLE, refresh=store.refresh, parameters=store.parameters)
        relations_rebuilt.connect(store.on_relations, dispatch_uid="voice-demand-relations")
        # the accounts area's placements, by label: this layer imports nothing from above it
        post_save.connect(store.on_placements, sender="fit.Recompute", dispatch_uid="voice-fit")
        post_save.connect(store.on_audit, sender=AuditEvent, dispatch_uid="voice-fit-audit")
        pre_delete.connect(store.before_person_deleted, sender=Person, dispatch_uid="voice-p-d")
        post_delete.connect(store.after_person_deleted, sender=Person, dispatch_uid="voice-p-dd")

        # the open wishes' count, kept by triggers (voice.tally): installed after every
        # migrate and flush
        post_migrate.connect(tally.on_post_migrate, sender=self, dispatch_uid="voice-tally")
        backup.bookkeeping("voice.wishtally")  # a migrated database is still empty

        # "What do they ask of us?": requests per team and the most wanted wishes.
        hooks.overview.register(
            "ask",
            hooks.OverviewFigures(overview.asks, template="voice/_overview_ask.html", order=30),
        )
