import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from platformhub.admin_versioning import VersionedAdminMixin
from platformhub.concurrency import Versioned
from platformhub.models import Team
from tests.factories import UserFactory
from tests.platformhub.concurrency_cases import form_on


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda model: model._meta.label)
def test_staff_can_open_every_admin_list(client, model):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


def test_every_admin_and_inline_of_a_versioned_model_checks_the_version():
    registered = admin.site._registry.values()
    admins = [(model_admin.model, type(model_admin)) for model_admin in registered]
    admins += [(inline.model, inline) for model_admin in registered for inline in model_admin.inlines]
    unchecked = [
        admin_class.__name__
        for model, admin_class in admins
        if issubclass(model, Versioned) and not issubclass(admin_class, VersionedAdminMixin)
    ]
    assert unchecked == []


@pytest.mark.django_db
def test_an_admin_change_form_opened_before_someone_saved_is_refused(client, org):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    team = org.team
    url = reverse("admin:platformhub_team_change", args=[team.pk])
    opened = form_on(client.get(url), having="mission")
    assert opened.value("expected_version") == "1"
    lead = Client()
    lead.force_login(org.users["lead"])
    about = reverse("team_about_edit", args=[team.slug])
    assert lead.post(about, {"mission": "Set in the app", "guidelines": "", "version": 1}).status_code == 302

    refused = client.post(url, opened.filled(mission="Set in the admin"))

    assert refused.status_code == 200
    assert "Lena Lead changed this since you opened it; reload to see their change." in refused.content.decode()
    assert Team.objects.get(pk=team.pk).mission == "Set in the app"
    reloaded = form_on(client.get(url), having="mission")
    assert client.post(url, reloaded.filled(mission="Set in the admin")).status_code == 302
    assert Team.objects.values_list("mission", "version").get(pk=team.pk) == ("Set in the admin", 3)


@pytest.mark.parametrize(("model", "field"), [("KeyResult", "target_value"), ("CheckIn", "value")])
def test_the_admin_refuses_numbers_sqlite_cannot_keep(rf, admin_user, model, field):
    from django.contrib import admin as django_admin
    from django.core.exceptions import ValidationError

    from okrs import models as okr_models

    request = rf.get("/admin/")
    request.user = admin_user
    form_field = django_admin.site._registry[getattr(okr_models, model)].get_form(request).base_fields[field]
    with pytest.raises(ValidationError, match="Use at most 15 digits"):
        form_field.clean("9999999999999999.9999")
    assert form_field.clean("99999999999.9999") is not None
