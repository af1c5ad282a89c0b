"""Pages of the records app, included at records/ (the tus upload API lives in urls.py)."""

from django.urls import path

from . import views_queue

urlpatterns = [
    path("queue/", views_queue.queue, name="records_queue"),
    path("queue/associate/", views_queue.queue_associate, name="records_queue_associate"),
    path("queue/<int:pk>/link/", views_queue.queue_link, name="records_queue_link"),
    path("acts/<int:act_pk>/segments/", views_queue.act_segments, name="records_act_segments"),
    path("segments/<int:pk>/unlink/", views_queue.segment_unlink, name="records_segment_unlink"),
]
