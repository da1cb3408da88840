from django.db import migrations, models

BATCH = 2000


def keep_in_line(apps, schema_editor):
    """Work out the new columns of the issues already stored, from their labels and assignees."""
    from integrations.models import has_blocked_label

    issue_model = apps.get_model("integrations", "GitHubIssue")
    issues = issue_model.objects.only("pk", "labels", "assignees").order_by("pk")
    changed = []
    for issue in issues.iterator(chunk_size=BATCH):
        issue.blocked_label, issue.unassigned = has_blocked_label(issue.labels), not issue.assignees
        changed.append(issue)
        if len(changed) == BATCH:
            issue_model.objects.bulk_update(changed, ["blocked_label", "unassigned"])
            changed = []
    issue_model.objects.bulk_update(changed, ["blocked_label", "unassigned"])


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_github_updated_at"),
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
