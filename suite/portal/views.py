from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from suite.accounts import services as accounts
from suite.accounts.models import ApiKey, Invitation
from suite.ai import selectors as ai_selectors
from suite.ai import services as ai_services
from suite.audit.labels import AUDIT_ACTION_LABELS
from suite.audit.selectors import audit_entries
from suite.audit.services import audit_record
from suite.audit.tasks import EXPORT_KIND, export_path
from suite.jobs.models import Job, JobStatus
from suite.jobs.selectors import jobs_for, jobs_visible_to
from suite.jobs.services import JobNotRetryable, job_enqueue, job_event, job_retry
from suite.products import product_apps, subscriber_entries
from suite.tenancy.middleware import SESSION_TENANT_KEY, tenant_for_session
from suite.tenancy.models import Membership, Role
from suite.tenancy.selectors import roles_in_tenant, tenants_of_user

from . import forms
from .access import admin_required, staff_required, subscriber_required
from .forms import add_service_errors

NEW_KEY_SESSION_KEY = "new_api_key"


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if ok else default


# --- Sign-in ------------------------------------------------------------------------


def login_view(request):
    form = forms.LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.staff_login_check(request=request, **form.cleaned_data)
        except accounts.LoginLocked:
            form.add_error(
                None,
                _(
                    "Too many failed sign-ins from your network. Wait a while and try "
                    "again, or ask your administrator."
                ),
            )
        else:
            if user is None:
                form.add_error(None, _("Wrong username or password."))
            else:
                login(request, user)
                request.tenant = tenant_for_session(request)
                audit_record(
                    action="auth.login", tenant=request.tenant, request=request, actor=user
                )
                return redirect(_safe_next(request, "/"))
    return render(request, "portal/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request):
    destination = "portal:login"
    if request.user.is_authenticated:
        if roles_in_tenant(request.user, request.tenant) == {Role.SUBSCRIBER}:
            destination = "portal:subscriber_login"
        audit_record(
            action="auth.logout", tenant=request.tenant, request=request, actor=request.user
        )
    logout(request)
    return redirect(destination)


@staff_required(roles=(*Role.values,))
def password_change_view(request):
    form = forms.PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.password_change(
                request=request,
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("portal:home")
    return render(request, "portal/password_change.html", {"form": form})


@require_POST
def switch_tenant(request):
    if not request.user.is_authenticated:
        return redirect("portal:login")
    chosen = request.POST.get("tenant", "")
    if not chosen.isdigit():
        raise Http404
    tenant = get_object_or_404(tenants_of_user(request.user), pk=int(chosen))
    request.session[SESSION_TENANT_KEY] = tenant.pk
    audit_record(action="auth.tenant_switched", tenant=tenant, request=request, actor=request.user)
    return redirect(_safe_next(request, "/"))


# --- Staff pages ----------------------------------------------------------------------


@staff_required
def home(request):
    jobs = jobs_for(tenant=request.tenant)[:10]
    invitations = accounts.invitations_pending_for(request.user).count()
    return render(request, "portal/home.html", {"jobs": jobs, "invitations": invitations})


@admin_required
def members(request):
    form = forms.MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = accounts.member_add(
                tenant=request.tenant, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if isinstance(result, Invitation):
                messages.success(request, accounts.invitation_sent_message(result.username))
            else:
                messages.success(request, _("Role granted."))
            return redirect("portal:members")
    memberships = (
        Membership.objects.filter(tenant=request.tenant)
        .select_related("user")
        .order_by("user__username", "role")
    )
    invited = Invitation.objects.for_tenant(request.tenant).filter(
        accepted_at__isnull=True, declined_at__isnull=True, expires_at__gt=timezone.now()
    )
    return render(
        request,
        "portal/members.html",
        {"form": form, "memberships": memberships, "invited": invited},
    )


@staff_required(roles=(*Role.values,))
def invitations(request):
    pending = accounts.invitations_pending_for(request.user)
    return render(request, "portal/invitations.html", {"invitations": pending})


@staff_required(roles=(*Role.values,))
@require_POST
def invitation_answer(request, pk: int, answer: str):
    if answer not in ("accept", "decline"):
        raise Http404
    # Only the signed-in account's own open invitations can be found: others are a 404.
    invitation = get_object_or_404(accounts.invitations_pending_for(request.user), pk=pk)
    if answer == "accept":
        accounts.invitation_accept(invitation=invitation, user=request.user, request=request)
        messages.success(
            request,
            _("You are now a member of %(t)s; switch to it in the tenant menu.")
            % {"t": invitation.tenant.name},
        )
    else:
        accounts.invitation_decline(invitation=invitation, user=request.user, request=request)
        messages.success(request, _("Invitation declined."))
    return redirect("portal:invitations")


@admin_required
@require_POST
def member_remove(request, pk: int):
    membership = get_object_or_404(Membership, pk=pk, tenant=request.tenant)
    try:
        accounts.member_remove(membership=membership, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Role removed."))
    return redirect("portal:members")


def _end_of_day(day):
    if day is None:
        return None
    return datetime.combine(day, time.max, tzinfo=timezone.get_current_timezone())


@admin_required
def api_keys(request):
    form = forms.ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                issued = accounts.api_key_create(
                    tenant=request.tenant,
                    name=data["name"],
                    scopes=data["scopes"],
                    expires_at=_end_of_day(data["expires_on"]),
                    allowed_models=data["allowed_models"],
                    created_by=request.user,
                    request=request,
                )
                ai_services.key_limits_set(key=issued.record, request=request, **form.limits())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Shown once on the next page load; the redirect keeps a refresh from minting another.
            request.session[NEW_KEY_SESSION_KEY] = issued.raw
            return redirect("portal:api_keys")
    new_key = request.session.pop(NEW_KEY_SESSION_KEY, None)
    keys = ai_selectors.keys_with_limits(request.tenant)
    return render(request, "portal/api_keys.html", {"form": form, "keys": keys, "new_key": new_key})


@admin_required
def api_key_limits(request, pk: int):
    key = get_object_or_404(ApiKey.objects.for_tenant(request.tenant), pk=pk)
    form = forms.KeyLimitsForm(request.POST or None, initial=ai_selectors.key_limits_initial(key))
    if request.method == "POST" and form.is_valid():
        try:
            ai_services.key_terms_set(
                key=key,
                allowed_models=form.cleaned_data["allowed_models"],
                request=request,
                **form.limits(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Limits of the key %(name)s saved.") % {"name": key.name})
            return redirect("portal:api_keys")
    return render(request, "portal/api_key_limits.html", {"form": form, "key": key})


@admin_required
@require_POST
def api_key_revoke(request, pk: int):
    key = get_object_or_404(ApiKey.objects.for_tenant(request.tenant), pk=pk)
    accounts.api_key_revoke(key=key, request=request)
    messages.success(request, _("API key %(prefix)s… revoked.") % {"prefix": key.prefix})
    return redirect("portal:api_keys")


@admin_required
def audit_log(request):
    entries = audit_entries(tenant=request.tenant)
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    actions = [(code, str(label)) for code, label in AUDIT_ACTION_LABELS.items()]
    context = {"page": page, "action": action, "actions": actions}
    return render(request, "portal/audit_log.html", context)


@admin_required
@require_POST
def audit_export(request):
    job, _created = job_enqueue(
        tenant=request.tenant,
        kind=EXPORT_KIND,
        task="suite.audit.export_csv",
        created_by=request.user,
    )
    audit_record(action="audit.export_requested", tenant=request.tenant, request=request, obj=job)
    return redirect("portal:jobs")


@staff_required
def jobs(request):
    page = Paginator(jobs_for(tenant=request.tenant), 25).get_page(request.GET.get("page"))
    template = "portal/_jobs_table.html" if request.htmx else "portal/jobs.html"
    return render(request, template, {"page": page})


@admin_required
def job_download(request, pk):
    job = get_object_or_404(
        Job.objects.for_tenant(request.tenant), pk=pk, kind=EXPORT_KIND, status=JobStatus.SUCCEEDED
    )
    path = export_path(job)
    if not path.exists():
        raise Http404
    audit_record(action="audit.export_downloaded", tenant=request.tenant, request=request, obj=job)
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result.get("filename"))


# Any member of the tenant; what each one reaches is `jobs_visible_to` (staff the tenant's
# jobs, a subscriber the jobs they started): another tenant's job is a 404 like a missing one.
member_required = staff_required(roles=tuple(Role.values))


@member_required
def job_status(request, pk):
    """One job as /ws/jobs/ carries it: what the progress component polls when it has no
    socket (the fallback), and reads once after a sequence gap."""
    job = get_object_or_404(jobs_visible_to(tenant=request.tenant, user=request.user), pk=pk)
    return JsonResponse(job_event(job)["job"])


@member_required
@require_POST
def job_retry_view(request, pk):
    """Runs a failed job again (same kind and parameters, same tenant), then back to the page
    the retry button was on."""
    job = get_object_or_404(jobs_visible_to(tenant=request.tenant, user=request.user), pk=pk)
    try:
        job_retry(job=job)
    except JobNotRetryable:
        messages.error(request, _("This job cannot be run again."))
    else:
        audit_record(action="job.retried", tenant=request.tenant, request=request, obj=job)
        messages.success(request, _("The job is queued again."))
    return redirect(_safe_next(request, reverse("portal:jobs")))


# --- Subscriber mobile web ---------------------------------------------------------------


def subscriber_login(request):
    step = "phone"
    form = forms.PhoneForm(request.POST or None)
    if request.method == "POST" and "code" in request.POST:
        step = "code"
        form = forms.PhoneCodeForm(request.POST)
        if form.is_valid():
            try:
                user = accounts.otp_verify(request=request, **form.cleaned_data)
            except (accounts.OtpError, ValidationError) as exc:
                form.add_error(
                    None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                )
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                request.tenant = tenant_for_session(request)
                audit_record(
                    action="auth.login",
                    tenant=request.tenant,
                    request=request,
                    actor=user,
                    data={"method": "otp"},
                )
                if request.htmx:
                    return HttpResponseClientRedirect(reverse("portal:subscriber_home"))
                return redirect("portal:subscriber_home")
    elif request.method == "POST" and form.is_valid():
        try:
            accounts.otp_send(request=request, phone=form.cleaned_data["phone"])
        except (accounts.OtpError, ValidationError) as exc:
            form.add_error("phone", exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            step = "code"
            form = forms.PhoneCodeForm(initial={"phone": form.cleaned_data["phone"]})
            messages.info(
                request, _("If the number belongs to a subscriber, a code is on its way.")
            )
    template = "portal/m/_login_form.html" if request.htmx else "portal/m/login.html"
    return render(request, template, {"form": form, "step": step})


@subscriber_required
def subscriber_home(request):
    sign_ins = audit_entries(tenant=request.tenant).filter(actor=request.user, action="auth.login")[
        :5
    ]
    entries = [entry for config in product_apps() for entry in subscriber_entries(config)]
    return render(request, "portal/m/home.html", {"sign_ins": sign_ins, "entries": entries})
