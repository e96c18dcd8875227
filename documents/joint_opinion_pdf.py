"""The avis conjoint as PDF: WeasyPrint renders the print view's HTML, with the fonts bundled by DSFR."""

import mimetypes
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Relative URLs in the print view resolve against this; only static files are ever fetched.
BASE_URL = "http://aap.invalid/"


class StaticFilesFetcher(URLFetcher):
    """Reads static files from disk, and inline data; refuses any other URL: rendering never touches the network."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, fail_on_errors=True)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):  # the logos, inline
            return super().fetch(url, headers)
        path = urlparse(url).path
        prefix = "/" + settings.STATIC_URL.lstrip("/")
        found = finders.find(path.removeprefix(prefix)) if path.startswith(prefix) else None
        if found is None:
            raise ValueError(f"Not a static file: {url}")
        # Keep the static URL, so that a stylesheet's relative URLs (its fonts) resolve as in the browser.
        content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return URLFetcherResponse(url, Path(found).read_bytes(), {"Content-Type": content_type})


def joint_opinion_pdf(context: dict) -> bytes:
    html = render_to_string("documents/joint_opinion_print.html", context)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesFetcher()).write_pdf(
        pdf_variant="pdf/ua-1", custom_metadata=True
    )
