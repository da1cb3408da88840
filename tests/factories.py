"""Shared factory-boy factories: every test builds its data through these."""

import factory
from django.contrib.auth.models import User

from platformhub.models import Membership, Person, Team

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(TEST_PASSWORD)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("name")
    title = "Software Engineer"
    timezone = "Europe/London"
    github_handle = factory.Sequence(lambda n: f"dev{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    mission = "Ship reliable things."
    slack_channel = "#team-things"
    guidelines = "- We write things down"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.ENGINEER
