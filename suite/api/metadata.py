from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """OPTIONS answers: describe the write serializer only where the view has one. Plain
    TenantAPIViews validate with serializers of their own, and DRF's default asserted (a 500)."""

    def determine_actions(self, request, view):
        # Imported here: rest_framework.generics imports the settings that name this class.
        from rest_framework.generics import GenericAPIView

        has_serializer = getattr(view, "serializer_class", None) is not None or (
            type(view).get_serializer_class is not GenericAPIView.get_serializer_class
        )
        return super().determine_actions(request, view) if has_serializer else None
