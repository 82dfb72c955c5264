from django.contrib.auth import views as auth_views
from django.urls import path

from clientmap.core import views
from clientmap.directory import sso

urlpatterns = [
    path("", views.home, name="home"),
    path("pick/<str:kind>/", views.pick, name="pick"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # sign-in with the organization's identity provider (404 unless configured)
    path("oidc/authenticate/", sso.Start.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", sso.Callback.as_view(), name="oidc_authentication_callback"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("audit/", views.audit, name="audit"),
]
