from datetime import date
from decimal import Decimal

import factory

from billing_rpa.models import BillingClient, Carrier, InvoiceProcess
from billing_rpa.services import client_unique_hash
from billing_rpa.validators import _check_digit, month_label, parse_month


def make_cnpj(n: int) -> str:
    base = f"{n:08d}0001"[-12:]
    first = _check_digit(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    second = _check_digit(base + first, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return base + first + second


def make_cpf(n: int) -> str:
    base = f"{n:09d}"[-9:]
    first = _check_digit(base, list(range(10, 1, -1)))
    second = _check_digit(base + first, list(range(11, 1, -1)))
    return base + first + second


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier
        django_get_or_create = ("code",)

    code = "VIVO"
    name = factory.LazyAttribute(lambda o: o.code.title())
    has_robot = True
    portal_url = factory.LazyAttribute(lambda o: f"https://portal.{o.code.lower()}.example.invalid/")
    robot_class = factory.LazyAttribute(lambda o: f"robots.{o.code.lower()}.Robot")
    robot_config = factory.LazyFunction(lambda: {"headless": True})


class BillingClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingClient
        skip_postgeneration_save = True

    legal_name = factory.Sequence(lambda n: f"Cliente {n} Ltda")
    sat_name = factory.LazyAttribute(lambda o: o.legal_name.upper())
    cnpj = factory.Sequence(lambda n: make_cnpj(n + 1000))
    carrier = factory.SubFactory(CarrierFactory)
    name_filter = "Conta principal"
    service = "MOVEL"
    sat_data = "centro de custo 42"
    unit = "Matriz"
    portal_login = factory.Sequence(lambda n: f"login{n}")
    cpf = ""
    active = True
    unique_hash = factory.LazyAttribute(
        lambda o: client_unique_hash(cnpj=o.cnpj, carrier_id=o.carrier.pk, unit=o.unit, service=o.service)
    )

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        from billing_rpa import crypto

        obj.portal_password_encrypted = crypto.encrypt(extracted if extracted is not None else "senha-secreta-123")
        if create:
            obj.save(update_fields=["portal_password_encrypted"])


class InvoiceProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceProcess

    client = factory.SubFactory(BillingClientFactory)
    month = "03/2025"
    period = factory.LazyAttribute(lambda o: parse_month(o.month))


__all__ = ["BillingClientFactory", "CarrierFactory", "InvoiceProcessFactory", "make_cnpj", "make_cpf", "month_label"]


GROUP_PERMS = {"Aprovador": ["approve_invoices"], "Operador": ["operate_robots", "upload_invoices"]}


def billing_group(name):
    """The billing group, recreated if a transactional test flushed the migration's data."""
    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="billing_rpa", codename__in=GROUP_PERMS[name])
        )
    return group


def staff_user(group_name, **kwargs):
    from accounts.tests.factories import UserFactory

    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(billing_group(group_name))
    return user


# A manual upload names the invoice's due date and amount (the SAT robot needs both).
INVOICE = {"due_date": date(2030, 1, 10), "amount": Decimal("150.00")}
# The same, as the upload form and the API's multipart body send them.
UPLOAD_FIELDS = {"due_date": "2030-01-10", "amount": "150.00"}
