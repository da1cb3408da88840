from django.db import migrations, models

BATCH = 500
BLOCKED_LABELS = {"blocked", "status: blocked", "status/blocked"}


def keep_in_line(apps, schema_editor):
    """Work out the new columns of the issues already stored, from their labels and assignees.

    Set-based: one UPDATE for the issues with assignees, and batches of ids only for the few
    whose labels mention "blocked" (the rule is copied here, as it stood, so that a later change
    to the model's does not change what this migration did)."""
    issues = apps.get_model("integrations", "GitHubIssue").objects
    issues.exclude(assignees=[]).update(unassigned=False)
    mentions = issues.filter(labels__icontains="blocked").values_list("pk", "labels")
    blocked = [
        pk
        for pk, labels in mentions.iterator(chunk_size=2000)
        if any(str(label).lower() in BLOCKED_LABELS for label in labels)
    ]
    for start in range(0, len(blocked), BATCH):
        issues.filter(pk__in=blocked[start : start + BATCH]).update(blocked_label=True)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_github_updated_at"),
        ("platformhub", "0002_data_version"),  # its UPDATEs move the data version on
    ]

    operations = [
        migrations.AddField(
            model_name="githubissue",
            name="blocked_label",
            field=models.BooleanField(default=False, editable=False, help_text="A blocked label."),
        ),
        migrations.AddField(
            model_name="githubissue",
            name="unassigned",
            field=models.BooleanField(default=True, editable=False, help_text="Nobody assigned."),
        ),
        migrations.RunPython(keep_in_line, migrations.RunPython.noop),
    ]
