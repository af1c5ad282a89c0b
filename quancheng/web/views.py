from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.http import require_POST

login_view = login_not_required(auth_views.LoginView.as_view(template_name="web/login.html"))


@require_POST
def logout_view(request):
    return auth_views.LogoutView.as_view()(request)


def home(request):
    return HttpResponse("全程")
