"""What a person reads for an audit entry: the action's label and the object's name.

Every action the code records has a label here (tests/suite/test_labels.py finds each
`audit_record` call and fails on an action missing from this mapping); an unknown action still
shows its code rather than nothing.
"""

from django.apps import apps
from django.utils.translation import pgettext_lazy


def _action(label: str):
    return pgettext_lazy("audit action", label)


def _object(label: str):
    return pgettext_lazy("audit object", label)


AUDIT_ACTION_LABELS = {
    # sign-in and account
    "auth.login": _action("Signed in"),
    "auth.logout": _action("Signed out"),
    "auth.login_failed": _action("Sign-in failed"),
    "auth.login_locked": _action("Sign-in locked after repeated failures"),
    "auth.otp_failed": _action("Wrong SMS code"),
    "auth.password_changed": _action("Password changed"),
    "auth.tenant_switched": _action("Switched tenant"),
    "api_key.created": _action("API key created"),
    "api_key.revoked": _action("API key revoked"),
    "api_key.models_set": _action("API key models changed"),
    "ai_key_limits.set": _action("API key limits changed"),
    "user_token.created": _action("Personal token created"),
    "user_token.revoked": _action("Personal token revoked"),
    "user_token.revoked_all": _action("All personal tokens revoked"),
    "member.invited": _action("Member invited"),
    "member.invitation_accepted": _action("Invitation accepted"),
    "member.invitation_declined": _action("Invitation declined"),
    "member.role_granted": _action("Role granted"),
    "member.role_revoked": _action("Role revoked"),
    "audit.export_requested": _action("Audit log export requested"),
    "job.retried": _action("Failed job run again"),
    "audit.export_downloaded": _action("Audit log export downloaded"),
    # model access ("ai.<capability>" for each model call)
    "ai_model.created": _action("Model added"),
    "ai_model.updated": _action("Model changed"),
    "ai_model.deleted": _action("Model removed"),
    "ai_quota.set": _action("Quota set"),
    "ai_quota.deleted": _action("Quota removed"),
    "ai_alias.set": _action("Model alias set"),
    "ai_alias.deleted": _action("Model alias removed"),
    "ai_price.set": _action("Price set"),
    "ai_price.deleted": _action("Price removed"),
    "ai.budget_alert": _action("Budget 80% used"),
    "ai_safety_term.added": _action("Safety term added"),
    "ai_safety_term.removed": _action("Safety term removed"),
    "ai_voice.updated": _action("Default voice changed"),
    "ai.transcribe": _action("Model call: speech recognition"),
    "ai.synthesize": _action("Model call: speech synthesis"),
    "ai.chat": _action("Model call: chat"),
    "ai.embed": _action("Model call: embeddings"),
    "ai.generate_image": _action("Model call: text to image"),
    "ai.edit_image": _action("Model call: image to image"),
    "ai.detect": _action("Model call: vision detection"),
    "ai.ocr": _action("Model call: text recognition"),
    # customer service
    "customer_service.article_draft": _action("Knowledge article drafted from a question"),
    "customer_service.article_rollback": _action("Knowledge article rolled back"),
    "customer_service.category_create": _action("Knowledge category created"),
    "customer_service.category_update": _action("Knowledge category changed"),
    "customer_service.category_delete": _action("Knowledge category deleted"),
    "customer_service.kb_import": _action("Knowledge base imported"),
    "customer_service.ticket_create": _action("Service ticket created"),
    "customer_service.ticket_sla_breached": _action("Service ticket overdue"),
    # 12345 hotline
    "gov_hotline.order.create": _action("Work order created"),
    "gov_hotline.open311.feed_set": _action("Open311 public feed changed"),
    # video ringtones
    "video_ringtone.submit": _action("Ringtone submitted for review"),
    "video_ringtone.checked": _action("Ringtone checks finished"),
    "video_ringtone.approve": _action("Ringtone approved"),
    "video_ringtone.reject": _action("Ringtone rejected"),
    "video_ringtone.limits": _action("Ringtone limits changed"),
    "video_ringtone.set": _action("Ringtone set on a number"),
    "video_ringtone.employee_remove": _action("Employee removed"),
    # video analytics
    "video_analytics.camera.create": _action("Camera added"),
    "video_analytics.camera.update": _action("Camera changed"),
    "video_analytics.camera.delete": _action("Camera removed"),
    "video_analytics.zone.save": _action("Zone saved"),
    "video_analytics.zone.delete": _action("Zone removed"),
    "video_analytics.rule.save": _action("Rule saved"),
    "video_analytics.rule.delete": _action("Rule removed"),
    "video_analytics.clip.upload": _action("Clip uploaded"),
    "video_analytics.event.acknowledge": _action("Event acknowledged"),
    "video_analytics.event.resolve": _action("Event resolved"),
    "video_analytics.webhook.create": _action("Webhook added"),
    "video_analytics.webhook.update": _action("Webhook changed"),
    "video_analytics.webhook.enable": _action("Webhook enabled"),
    "video_analytics.webhook.disable": _action("Webhook disabled"),
    "video_analytics.webhook.rotate_secret": _action("Webhook secret rotated"),
    "video_analytics.webhook.delete": _action("Webhook removed"),
    "video_analytics.retention.set": _action("Retention changed"),
}

# The objects audit entries name (by their model's label), so "accounts.ApiKey 11" reads
# "API 密钥 #11". A model missing here shows its verbose name.
OBJECT_TYPE_LABELS = {
    "accounts.User": _object("User"),
    "accounts.ApiKey": _object("API key"),
    "accounts.UserToken": _object("Personal token"),
    "accounts.Invitation": _object("Invitation"),
    "tenancy.Tenant": _object("Tenant"),
    "tenancy.Membership": _object("Membership"),
    "jobs.Job": _object("Job"),
    "ai.AiModel": _object("Model"),
    "ai.VoiceDefault": _object("Default voice"),
    "ai.Quota": _object("Quota"),
    "ai.SafetyTerm": _object("Safety term"),
    "telephony.Call": _object("Call"),
    "customer_service.KbCategory": _object("Knowledge category"),
    "customer_service.KbArticle": _object("Knowledge article"),
    "customer_service.Ticket": _object("Service ticket"),
    "customer_service.Conversation": _object("Conversation"),
    "gov_hotline.WorkOrder": _object("Work order"),
    "gov_hotline.Open311Feed": _object("Open311 feed"),
    "video_ringtone.Ringtone": _object("Ringtone"),
    "video_ringtone.RingtoneLimits": _object("Ringtone limits"),
    "video_ringtone.Employee": _object("Employee"),
    "video_ringtone.Assignment": _object("Ringtone setting"),
    "video_analytics.Camera": _object("Camera"),
    "video_analytics.Zone": _object("Zone"),
    "video_analytics.Rule": _object("Rule"),
    "video_analytics.Analysis": _object("Clip analysis"),
    "video_analytics.Event": _object("Event"),
    "video_analytics.WebhookEndpoint": _object("Webhook"),
    "video_analytics.RetentionPolicy": _object("Retention policy"),
}


# Who acted when no user did: the labels code records in place of a username.
ACTOR_LABELS = {
    "system": pgettext_lazy("audit actor", "System"),
    "assistant": pgettext_lazy("audit actor", "AI assistant"),
    "sla-check": pgettext_lazy("audit actor", "Deadline check"),
    "anonymous": pgettext_lazy("audit actor", "Not signed in"),
}
API_KEY_ACTOR = "api-key "


def audit_actor_label(actor_label: str) -> str:
    """ "系统" for "system", "API 密钥 sk-ab12…" for "api-key sk-ab12…"; a username as itself."""
    if actor_label.startswith(API_KEY_ACTOR):
        prefix = actor_label.removeprefix(API_KEY_ACTOR)
        return f"{pgettext_lazy('audit actor', 'API key')} {prefix}"
    label = ACTOR_LABELS.get(actor_label)
    return str(label) if label is not None else actor_label


def audit_action_label(action: str) -> str:
    """The action as a person reads it ("登录" for auth.login); its code if it has no label."""
    label = AUDIT_ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def audit_object_label(object_type: str, object_id: str) -> str:
    """ "API 密钥 #11" for ("accounts.ApiKey", "11"); "" when the entry names no object."""
    if not object_type:
        return ""
    label = OBJECT_TYPE_LABELS.get(object_type)
    if label is None:
        try:
            label = apps.get_model(object_type)._meta.verbose_name
        except (LookupError, ValueError):
            label = object_type
    return f"{label} #{object_id}" if object_id else str(label)
