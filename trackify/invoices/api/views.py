from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trackify.common.errors import NotFound
from trackify.invoices.api.serializers import InvoiceCreateSerializer, InvoiceSerializer
from trackify.invoices.models import Invoice
from trackify.invoices.services import invoice_create


class InvoiceListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=InvoiceSerializer(many=True), summary="Your invoices")
    def get(self, request: Request) -> Response:
        invoices = Invoice.objects.filter(owner_id=request.user.pk)
        return Response(InvoiceSerializer(invoices, many=True).data)

    @extend_schema(request=InvoiceCreateSerializer, responses={201: InvoiceSerializer}, summary="Create an invoice")
    def post(self, request: Request) -> Response:
        serializer = InvoiceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invoice = invoice_create(owner=request.user, **serializer.validated_data)
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)


class InvoiceDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=InvoiceSerializer, summary="One of your invoices")
    def get(self, request: Request, invoice_id: str) -> Response:
        invoice = Invoice.objects.filter(owner_id=request.user.pk, pk=invoice_id).first()
        if invoice is None:
            raise NotFound("No such invoice.")
        return Response(InvoiceSerializer(invoice).data)
