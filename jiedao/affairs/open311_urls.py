"""Open311 GeoReport v2 routes, mounted at /open311/v2/. The extension picks the format."""

from django.urls import re_path

from jiedao.affairs import open311

app_name = "open311"

# The format is whatever follows the last dot, so that an unsupported one gets the spec's
# error answer rather than a bare 404 page.
FMT = r"\.(?P<fmt>[^/.]*)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + FMT, open311.service_list, name="services"),
    re_path(
        r"^services/(?P<service_code>[^/]+?)" + FMT,
        open311.service_definition,
        name="service_definition",
    ),
    re_path(r"^requests" + FMT, open311.requests, name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[^/]+?)" + FMT,
        open311.request_detail,
        name="request_detail",
    ),
]
