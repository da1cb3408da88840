"""django-simple-history's `HistoricalRecords`, with lighter copies of many-to-many rows and a
history manager made once per model.

Each save of an objective, key result, card or other model with tracked owners copies its rows
of each tracked many-to-many field into the history. simple-history reads those rows as models
with both ends joined in (a key result and a person for each owner of a key result), only to
copy their ids: a fifth of a check-in's time. Here the same rows are read as their ids, in a
query compiled once per field (platformhub/prepared.py), and the same history rows are written,
with the same signals around them.

Every tracked save also reads the model's history manager (`instance.history`), and
simple-history's descriptor makes a new manager class for each read (`from_queryset`, which
inspects every method of the queryset class: 84 µs, twice a check-in). `HistoryDescriptor` here
makes it once.
"""

from django.db.models import ManyToManyField
from simple_history import models as simple_history
from simple_history.manager import HistoryDescriptor as SimpleHistoryDescriptor
from simple_history.signals import post_create_historical_m2m_records, pre_create_historical_m2m_records

from platformhub.prepared import Prepared

_through_rows: dict[ManyToManyField, Prepared] = {}


def _through_rows_of(field: ManyToManyField) -> Prepared:
    """The rows of `field`'s through table of one object, as the values of their fields' columns."""
    rows = _through_rows.get(field)
    if rows is None:
        through = field.remote_field.through
        columns = [through_field.attname for through_field in through._meta.fields]
        source = field.m2m_field_name()

        def build(*, pk: int):
            return through.objects.filter(**{source: pk}).order_by().values_list(*columns)

        build.__qualname__ = f"{through.__name__} rows"
        rows = _through_rows[field] = Prepared(build)
    return rows


class HistoryDescriptor(SimpleHistoryDescriptor):
    """simple-history's descriptor of `Model.history`, with its manager class made once."""

    def __init__(self, model, manager, queryset):
        super().__init__(model, manager=manager, queryset=queryset)
        self.manager_with_queryset = manager.from_queryset(queryset)

    def __get__(self, instance, owner):
        return self.manager_with_queryset(self.model, instance)


class HistoricalRecords(simple_history.HistoricalRecords):
    def finalize(self, sender, **kwargs):
        """simple-history's, then its history descriptors (the model's, and each many-to-many
        field's on the history model) swapped for ones that make their manager class once."""
        super().finalize(sender, **kwargs)
        descriptor = sender.__dict__.get(self.manager_name)
        if not isinstance(descriptor, SimpleHistoryDescriptor) or isinstance(descriptor, HistoryDescriptor):
            return  # not registered just now (another model prepared, or an abstract one)
        setattr(sender, self.manager_name, _made_once(descriptor))
        for field in self.m2m_models:
            m2m_descriptor = descriptor.model.__dict__.get(field.name)
            if isinstance(m2m_descriptor, SimpleHistoryDescriptor):
                setattr(descriptor.model, field.name, _made_once(m2m_descriptor))

    def create_historical_record_m2ms(self, history_instance, instance):
        for field in history_instance._history_m2m_fields:
            m2m_history_model = self.m2m_models[field]
            columns = [through_field.attname for through_field in field.remote_field.through._meta.fields]
            insert_rows = [
                m2m_history_model(history=history_instance, **dict(zip(columns, row, strict=True)))
                for row in _through_rows_of(field)(pk=instance.pk)
            ]
            pre_create_historical_m2m_records.send(
                sender=m2m_history_model,
                rows=insert_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )
            created_rows = m2m_history_model.objects.bulk_create(insert_rows)
            post_create_historical_m2m_records.send(
                sender=m2m_history_model,
                created_rows=created_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )


def _made_once(descriptor: SimpleHistoryDescriptor) -> HistoryDescriptor:
    return HistoryDescriptor(descriptor.model, manager=descriptor.manager_class, queryset=descriptor.queryset_class)
