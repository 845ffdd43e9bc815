import factory

from suite.accounts.models import User
from suite.audit.models import AuditEntry
from suite.jobs.models import Job
from suite.tenancy.models import Membership, Role, Tenant, TenantKind

PASSWORD = "Correct-Horse-42"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"t{n}")
    name = factory.Sequence(lambda n: f"租户{n}")
    kind = TenantKind.CITY
    parent = None
    path = factory.LazyAttribute(lambda o: f"{o.parent.path if o.parent else '/'}{o.slug}/")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Role.TENANT_ADMIN


class AuditEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEntry

    tenant = factory.SubFactory(TenantFactory)
    actor_label = "someone"
    action = "test.action"


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    tenant = factory.SubFactory(TenantFactory)
    kind = "test.job"
    idempotency_key = factory.Sequence(lambda n: f"key-{n}")


def member(tenant: Tenant, role: str = Role.TENANT_ADMIN, **user_fields) -> User:
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, tenant=tenant, role=role)
    return user
