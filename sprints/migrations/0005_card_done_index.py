from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sprints", "0004_rituals_pages"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="card",
            index=models.Index(fields=["team", "column", "updated_at"], name="sprints_car_team_id_c02403_idx"),
        ),
    ]
