"""Personal data in API payloads: lists mask it, one object's detail may show it.

A serializer names its personal fields in `Meta` (`mask_text`: free text that may carry phone
or ID numbers, `mask_phone`, `mask_address`, `mask_name`); they are masked unless the serializer
context says `masked=False`. Tenant-scoped views set that only for `retrieve`, and only for the
roles in the view's `personal_data_roles`.
"""

from collections.abc import Callable

from suite.privacy import mask_address, mask_name, mask_phone, mask_text

_MASKS: dict[str, Callable[[str], str]] = {
    "mask_text": mask_text,
    "mask_phone": mask_phone,
    "mask_address": mask_address,
    "mask_name": mask_name,
}


class MaskPersonalData:
    """Serializer mixin; put it before the DRF serializer class."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("masked", True):
            return data
        meta = getattr(self, "Meta", None)
        for option, mask in _MASKS.items():
            for field in getattr(meta, option, ()):
                value = data.get(field)
                if isinstance(value, str) and value:
                    data[field] = mask(value)
        return data
