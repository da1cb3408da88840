"""N+1 detection for the test suite (django-zeal), on for the app's own pages.

The Django admin is left out: its autocomplete widgets look each selected row up on its own,
which is Django's code, not ours.
"""

from zeal import zeal_context


def detect_n_plus_one(get_response):
    def middleware(request):
        if request.path.startswith("/admin/"):
            return get_response(request)
        with zeal_context():
            return get_response(request)

    return middleware
