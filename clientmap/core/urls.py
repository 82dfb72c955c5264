from django.contrib.auth import views as auth_views
from django.urls import path

from clientmap.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("audit/", views.audit, name="audit"),
]
