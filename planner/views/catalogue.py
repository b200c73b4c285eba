"""The catalogue pages: indications, devices, products."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from planner.forms import (
    IndicationFilterForm,
)
from planner.models import AdsorptionColumn, Device, Fractionator, Indication, Product


@require_GET
@permission_required("planner.view_indication", raise_exception=True)
def indication_list(request: HttpRequest) -> HttpResponse:
    form = IndicationFilterForm(request.GET or None)
    indications = Indication.objects.all()
    if form.is_valid():
        if form.cleaned_data["q"]:
            indications = indications.search(form.cleaned_data["q"])
        if form.cleaned_data["category"]:
            indications = indications.filter(category=form.cleaned_data["category"])
    return render(request, "planner/indication_list.html", {"form": form, "indications": indications})


@require_GET
@permission_required("planner.view_indication", raise_exception=True)
def indication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    indication = get_object_or_404(Indication, pk=pk)
    return render(request, "planner/indication_detail.html", {"indication": indication})


@require_GET
@permission_required("planner.view_device", raise_exception=True)
def device_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "planner/device_list.html",
        {
            "devices": Device.objects.all(),
            "fractionators": Fractionator.objects.all(),
            "columns": AdsorptionColumn.objects.all(),
        },
    )


@require_GET
@permission_required("planner.view_product", raise_exception=True)
def product_list(request: HttpRequest) -> HttpResponse:
    return render(request, "planner/product_list.html", {"products": Product.objects.all()})
