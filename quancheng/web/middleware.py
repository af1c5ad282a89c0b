from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login except the login page itself (views marked login_not_required).

    The API under /api/ authenticates by token and answers 401 in JSON instead of redirecting;
    static files are served by WhiteNoise before this runs.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
