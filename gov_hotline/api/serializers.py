from rest_framework import serializers

from ..models import Channel, RequestType, Urgency, WorkOrder


class DraftRequestSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)


class OrderCreateSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.MOBILE, Channel.PHONE], default=Channel.WEB
    )
    request_type = serializers.ChoiceField(choices=RequestType.choices, required=False)
    category = serializers.CharField(required=False, allow_blank=True, default="")
    subcategory = serializers.CharField(required=False, allow_blank=True, default="")
    district = serializers.CharField(required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    contact_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=60
    )
    contact_phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20
    )


class OrderSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name", default="")
    subcategory = serializers.CharField(source="subcategory.name", default="")
    district = serializers.CharField(source="district.name", default="")
    contact_phone = serializers.CharField(source="masked_phone")

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "channel",
            "status",
            "request_type",
            "category",
            "subcategory",
            "district",
            "address",
            "summary",
            "urgency",
            "contact_name",
            "contact_phone",
            "emergency_line",
            "due_at",
            "created_at",
            "closed_at",
        ]
