"""The web console at ``/ui``: server-rendered pages over the gateway's own REST API.

Why server-rendered Jinja templates and one small script rather than a single-page app:
installing Flowport needs no Node build and no vendored framework, every asset is served
by the gateway itself (offline), and the pages show exactly what the API answers: each page
calls the REST API in-process through ``flowport_client`` (the same typed client as the
command line), so the console has no second path to the components and a refusal is shown
as the API's own problem document.

With an API token configured, the pages need a login: the form checks the token and sets
an HttpOnly, SameSite=Strict cookie holding a keyed hash of it (never the token).
"""

from gateway.console._session import COOKIE, has_session, has_token, session_value
from gateway.console._views import mount_console

__all__ = ["COOKIE", "has_session", "has_token", "mount_console", "session_value"]
