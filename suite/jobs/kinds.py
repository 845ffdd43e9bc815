"""What a person reads for a job's kind: "检测铃音" for video_ringtone.checks.

Every kind the code enqueues has a label here (tests/suite/test_labels.py finds each
`job_enqueue` call and fails on a kind missing from this mapping); an unknown kind still shows
its code rather than nothing.
"""

from django.utils.translation import pgettext_lazy


def _kind(label: str):
    return pgettext_lazy("job kind", label)


JOB_KIND_LABELS = {
    "ai.transcribe": _kind("Speech recognition"),
    "ai.synthesize": _kind("Speech synthesis"),
    "ai.generate_image": _kind("Image generation"),
    "audit.export_csv": _kind("Audit log export"),
    "customer_service.kb_index": _kind("Knowledge base indexing"),
    "gov_hotline.transcribe": _kind("Recording transcription"),
    "gov_hotline.train": _kind("Classifier training"),
    "gov_hotline.report": _kind("Report"),
    "video_analytics.analyse": _kind("Clip analysis"),
    "video_ringtone.images": _kind("Ringtone pictures"),
    "video_ringtone.render": _kind("Ringtone video rendering"),
    "video_ringtone.renditions": _kind("Ringtone renditions"),
    "video_ringtone.checks": _kind("Ringtone automatic checks"),
    "video_ringtone.provision": _kind("Setting a ringtone on a number"),
    "video_ringtone.deprovision": _kind("Removing a ringtone from a number"),
}


# Kinds whose failed job may simply run again with the same parameters (its inputs are kept).
# Not clip analysis: the uploaded clip is deleted as soon as its analysis ends (it shows
# faces), so a failed analysis is retried by uploading the clip again.
RETRYABLE_KINDS = frozenset(
    {
        "audit.export_csv",
        "customer_service.kb_index",
        "gov_hotline.transcribe",
        "gov_hotline.train",
        "gov_hotline.report",
    }
)


def job_kind_retryable(kind: str) -> bool:
    return kind in RETRYABLE_KINDS


def job_kind_label(kind: str) -> str:
    label = JOB_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind
