"""What a person reads for the scene tags the pipeline writes on events ("crowded" 人员聚集),
and for the object classes a COCO-trained detector names. A tag with no label shows as itself:
a tenant's own detector may name classes this release does not know."""

from django.utils.translation import pgettext_lazy


def _tag(label: str):
    return pgettext_lazy("scene tag", label)


SCENE_TAG_LABELS = {
    # written by pipeline.SceneStage
    "dark": _tag("Dark"),
    "glare": _tag("Glare"),
    "crowded": _tag("Crowded"),
    "people": _tag("People present"),
    "busy": _tag("Lots of movement"),
    "motion": _tag("Movement"),
    "quiet": _tag("Quiet"),
    "tampered": _tag("Possible tampering"),
    # the street classes of a COCO detector
    "bicycle": _tag("Bicycle"),
    "car": _tag("Car"),
    "motorcycle": _tag("Motorcycle"),
    "bus": _tag("Bus"),
    "truck": _tag("Truck"),
    "traffic light": _tag("Traffic light"),
    "fire hydrant": _tag("Fire hydrant"),
    "stop sign": _tag("Stop sign"),
    "bench": _tag("Bench"),
    "dog": _tag("Dog"),
    "cat": _tag("Cat"),
    "backpack": _tag("Backpack"),
    "umbrella": _tag("Umbrella"),
    "handbag": _tag("Handbag"),
    "suitcase": _tag("Suitcase"),
}


def scene_tag_label(tag: str) -> str:
    label = SCENE_TAG_LABELS.get(tag)
    return str(label) if label is not None else tag
