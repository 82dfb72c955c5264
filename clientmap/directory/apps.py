from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "clientmap.directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from clientmap.core import audit
        from clientmap.directory.models import TeamMembership

        def saved(sender, instance, created, **kwargs):
            if created:
                audit.record(
                    None,
                    "role.team_member",
                    instance.person,
                    before={"team": None},
                    after={"team": instance.team.key},
                )

        def deleted(sender, instance, **kwargs):
            audit.record(
                None,
                "role.team_member",
                object_type="person",
                object_key=instance.person.key,
                before={"team": instance.team.key},
                after={"team": None},
            )

        post_save.connect(
            saved, sender=TeamMembership, weak=False, dispatch_uid="clientmap.audit.member+"
        )
        post_delete.connect(
            deleted, sender=TeamMembership, weak=False, dispatch_uid="clientmap.audit.member-"
        )
