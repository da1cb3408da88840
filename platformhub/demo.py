"""The Platform team from PostHog's handbook page, as demo data. Safe to load again and again."""

from django.db import transaction

from platformhub.models import Membership, Team
from platformhub.services import membership_add, person_create, team_create

DEMO_PASSWORD = "platformhub-demo"

PLATFORM_MISSION = "Make deploying, scaling, and managing PostHog easy, fast, and reliable."

PLATFORM_GUIDELINES = """\
- We work as teams on one goal/project - not having a single person alone working on a goal
- The board should be our source of truth
- We document what we do to share context internally
- We finish what we start, or we don't start it at all
- We continually prioritize
- We prioritize unblocking others
- We have an agenda and follow up on actions from our meetings
- Be frugal

### Standups
We have a Platform wide standup every **Monday, Wednesday, and Friday**. Standups are an opportunity for us to \
discuss what we are working on, feedback, and topics we may want other people's opinions on. It is also an \
important forum to announce that you are blocked or ask for help. Everyone should try to make standups but feel \
free to drop off if what is being talked about isn't relevant or valuable to you.

### Engineering planning
We plan our work using a two week sprint with sprint planning and retro meetings on the Wednesday before the \
start of the next sprint. We primarily use the Platform project board to communicate what we are working on for \
the sprint, what is blocked, in review, done, and what we are planning on doing next.

### Sprint planning
Sprint planning happens every other week the Wednesday before the start of the new sprint and is PostHog \
engineering wide. We first break out into breakout rooms for Infrastructure and Ingestion and in each we \
determine what the goals will be for the upcoming sprint. After that we join back into the engineering wide \
sprint planning and pitch the goals to the entire engineering team, looking for feedback.

Sub-teams are fluid so members may change from sprint to sprint.

### Retro & team planning
After the Eng Sprint Planning meeting the Infrastructure and Ingestion teams meet up to retro the previous \
sprint and game plan the next one. We make sure that each goal or project has more than one person working on \
it in the same timezone: fewer lone wolves, shared context, quicker PR approvals, easy rubber ducking, and more \
trust and camaraderie on the team. 🌞

### Project boards and the kanban board
Projects are epics with milestones we can measure, e.g. *Migrate 50 of the 100 tables*. The kanban board shows \
what we are working on, planning on working on, blocked on, what is in review, and what is done. We assign \
ourselves as owners so that there isn't duplicate work, and tag tasks with the sprint they belong to.
"""

PEOPLE = [
    # username, display name, title, timezone, GitHub handle
    ("ellie", "Ellie Huxtable", "Team lead, Full Stack Engineer", "Europe/London", "ellie"),
    ("guido", "Guido Iaquinti", "Site Reliability Engineer", "Europe/Rome", "guidoiaquinti"),
    ("daniel", "Daniel Jaramillo", "Site Reliability Engineer", "America/Bogota", "danieljaramillo"),
]


def load_platform_team() -> tuple[Team, bool]:
    """The Platform team and its people; returns (team, created). Existing data is never overwritten."""
    existing = Team.objects.filter(slug="platform").first()
    if existing:
        return existing, False
    return _create_platform_team(), True


@transaction.atomic
def _create_platform_team() -> Team:
    platform = team_create(
        slug="platform",
        name="Platform",
        mission=PLATFORM_MISSION,
        slack_channel="#team-platform",
        guidelines=PLATFORM_GUIDELINES,
    )
    infrastructure = team_create(
        slug="infrastructure",
        name="Infrastructure",
        parent=platform,
        mission="Run PostHog Cloud on infrastructure that is managed as code, secure and boringly reliable.",
        slack_channel="#team-platform",
    )
    ingestion = team_create(
        slug="ingestion",
        name="Ingestion",
        parent=platform,
        mission="Take in every event our customers send, at any scale, without losing one.",
        slack_channel="#team-platform",
    )
    people = {
        username: person_create(
            username=username, display_name=name, title=title, timezone=tz, github_handle=handle, password=DEMO_PASSWORD
        )
        for username, name, title, tz, handle in PEOPLE
    }
    person_create(
        username="exec",
        display_name="Erin Exec",
        title="VP Engineering",
        timezone="America/New_York",
        is_org_viewer=True,
        password=DEMO_PASSWORD,
    )
    lead, engineer = Membership.Role.LEAD, Membership.Role.ENGINEER
    for person, team, role in [
        ("ellie", platform, lead),
        ("guido", platform, engineer),
        ("daniel", platform, engineer),
        ("guido", infrastructure, engineer),
        ("daniel", infrastructure, engineer),
        ("ellie", ingestion, lead),
        ("daniel", ingestion, engineer),
    ]:
        membership_add(person=people[person], team=team, role=role)
    return platform
