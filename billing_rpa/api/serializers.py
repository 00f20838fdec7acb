"""Input and output shapes of the billing API. Portal passwords are write-only, always."""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..choices import ProcessStatus
from ..models import BillingClient, Carrier, Execution, ExecutionLogLine, InvoiceProcess
from ..validators import MONTH_RE

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}


class CarrierSerializer(serializers.ModelSerializer):
    client_count = serializers.IntegerField(read_only=True, default=0)
    robot_config = serializers.JSONField(
        required=False, help_text=_("Configuração do robô: um objeto JSON (vazio por padrão).")
    )

    def validate_robot_config(self, value):
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("A configuração do robô deve ser um objeto JSON."))
        return value

    class Meta:
        model = Carrier
        fields = [
            "id",
            "code",
            "name",
            "has_robot",
            "portal_url",
            "robot_class",
            "robot_config",
            "active",
            "client_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class BillingClientSerializer(serializers.ModelSerializer):
    carrier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    carrier_name = serializers.CharField(source="carrier.name", read_only=True)
    cnpj_formatted = serializers.CharField(read_only=True)
    has_portal_password = serializers.BooleanField(read_only=True)

    class Meta:
        model = BillingClient
        fields = [
            "id",
            "legal_name",
            "sat_name",
            "cnpj",
            "cnpj_formatted",
            "carrier",
            "carrier_name",
            "name_filter",
            "service",
            "sat_data",
            "unit",
            "portal_login",
            "has_portal_password",
            "cpf",
            "active",
            "unique_hash",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BillingClientWriteSerializer(serializers.Serializer):
    legal_name = serializers.CharField(max_length=255)
    sat_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    cnpj = serializers.CharField(
        max_length=18, help_text=_("Com ou sem máscara; os dígitos verificadores são conferidos.")
    )
    carrier = serializers.SlugRelatedField(slug_field="code", queryset=Carrier.objects.all())
    name_filter = serializers.CharField(max_length=255, required=False, allow_blank=True)
    service = serializers.CharField(max_length=120, required=False, allow_blank=True)
    sat_data = serializers.CharField(required=False, allow_blank=True)
    unit = serializers.CharField(max_length=120, required=False, allow_blank=True)
    portal_login = serializers.CharField(max_length=255, required=False, allow_blank=True)
    portal_password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        style={"input_type": "password"},
        help_text=_("Somente escrita. Omitida: mantém a atual; vazia: apaga."),
    )
    cpf = serializers.CharField(max_length=14, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, default=True)


class ClientImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV (vírgula ou ponto e vírgula), UTF-8."))
    dry_run = serializers.BooleanField(required=False, default=False)


class ClientImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    cnpj = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    client_id = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ClientImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    total = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = ClientImportRowSerializer(many=True)


class InvoiceProcessSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.legal_name", read_only=True)
    cnpj = serializers.CharField(source="client.cnpj", read_only=True)
    carrier = serializers.CharField(source="client.carrier.code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    has_invoice = serializers.BooleanField(read_only=True)
    is_late = serializers.BooleanField(read_only=True, default=False)
    amount = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)

    class Meta:
        model = InvoiceProcess
        fields = [
            "id",
            "uuid",
            "client",
            "client_name",
            "cnpj",
            "carrier",
            "month",
            "status",
            "status_display",
            "has_invoice",
            "invoice_sha256",
            "invoice_size",
            "invoice_filename",
            "invoice_url",
            "due_date",
            "amount",
            "approved_by",
            "approved_at",
            "sent_to_sat",
            "sat_sent_at",
            "sat_protocol",
            "download_attempts",
            "sat_attempts",
            "manual_upload",
            "auto_created",
            "is_late",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InvoiceProcessCreateSerializer(serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(queryset=BillingClient.objects.all())
    month = serializers.CharField(max_length=7, help_text="MM/AAAA")
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_month(self, value):
        if not MONTH_RE.match(value):
            raise serializers.ValidationError(_("Mês inválido (use MM/AAAA)."))
        return value


class CreateMonthSerializer(serializers.Serializer):
    month = serializers.CharField(
        max_length=7, required=False, allow_blank=True, help_text=_("MM/AAAA; padrão: mês atual")
    )


class CreateMonthResultSerializer(serializers.Serializer):
    month = serializers.CharField()
    created = serializers.IntegerField()
    existing = serializers.IntegerField()


class UploadInvoiceSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("PDF da fatura."))
    due_date = serializers.DateField(help_text=_("Vencimento da fatura (AAAA-MM-DD); o SAT exige."))
    amount = serializers.DecimalField(
        min_value=Decimal("0.01"), help_text=_("Valor da fatura em reais (ex.: 1234.56); o SAT exige."), **MONEY
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class ExecutionSerializer(serializers.ModelSerializer):
    triggered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    month = serializers.CharField(source="process.month", read_only=True)
    client_name = serializers.CharField(source="process.client.legal_name", read_only=True)
    carrier = serializers.CharField(source="process.client.carrier.code", read_only=True)

    class Meta:
        model = Execution
        fields = [
            "id",
            "process",
            "client_name",
            "carrier",
            "month",
            "kind",
            "status",
            "status_display",
            "error_kind",
            "attempt",
            "auto_retries",
            "robot_class",
            "rpa_job_id",
            "input_data",
            "output_data",
            "error_data",
            "started_at",
            "finished_at",
            "log_text",
            "file_url",
            "next_poll_at",
            "deadline_at",
            "last_log_seq",
            "triggered_by",
            "ip_address",
            "user_agent",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LogLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExecutionLogLine
        fields = ["seq", "timestamp", "level", "message"]


class ExecutionLogsSerializer(serializers.Serializer):
    execution = serializers.IntegerField()
    status = serializers.CharField()
    finished = serializers.BooleanField()
    last_seq = serializers.IntegerField()
    logs = LogLineSerializer(many=True)


class StatusCountsSerializer(serializers.Serializer):
    """Counts per process status."""

    AGUARDANDO_DOWNLOAD = serializers.IntegerField()
    AGUARDANDO_APROVACAO = serializers.IntegerField()
    AGUARDANDO_ENVIO_SAT = serializers.IntegerField()
    UPLOAD_REALIZADO = serializers.IntegerField()


class CarrierTotalsSerializer(serializers.Serializer):
    carrier = serializers.CharField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    by_status = StatusCountsSerializer()


class LateItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.CharField()
    cnpj = serializers.CharField()
    carrier = serializers.CharField()
    status = serializers.ChoiceField(choices=ProcessStatus.choices)
    due_date = serializers.DateField(allow_null=True)


class MonthlyReportSerializer(serializers.Serializer):
    month = serializers.CharField()
    total = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    by_status = StatusCountsSerializer()
    by_carrier = CarrierTotalsSerializer(many=True)
    late_count = serializers.IntegerField()
    late = LateItemSerializer(many=True)


class BillingErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
