from django.urls import path

from . import views_retention as views

app_name = "retention"

urlpatterns = [
    path("disposal/", views.disposal_list, name="disposal_list"),
    path("disposal/<int:pk>/", views.disposal_detail, name="disposal_detail"),
    path("disposal/<int:pk>/decide/", views.disposal_decide, name="disposal_decide"),
    path("holds/", views.hold_list, name="hold_list"),
    path("holds/new/", views.hold_new, name="hold_new"),
    path("waiver/act/<int:act_pk>/", views.longterm_waiver, name="longterm_waiver"),
    path("holds/<int:pk>/", views.hold_detail, name="hold_detail"),
    path("holds/<int:pk>/decide/", views.hold_decide, name="hold_decide"),
    path("holds/<int:pk>/lift/", views.hold_lift, name="hold_lift"),
    path("holds/<int:pk>/lift/decide/", views.hold_lift_decide, name="hold_lift_decide"),
    path("offline/", views.offline_list, name="offline_list"),
    path("offline/<int:pk>/done/", views.offline_done, name="offline_done"),
    path("config/", views.retention_config, name="config"),
    # The two former pages of the retention rules, merged into config/ (issue 17).
    path("rules/", views.retention_config_moved, name="retention_rules"),
]
