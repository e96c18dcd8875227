from django.contrib.auth import views as auth_views
from django.urls import path

from front import committees, dossiers, downloads, drafts, exchanges, national, opinions, transitions

urlpatterns = [
    path("", dossiers.home, name="home"),
    path("dossiers/<int:pk>/", dossiers.dossier_detail, name="dossier_detail"),
    path("dossiers/nouveau/", drafts.dossier_new, name="dossier_new"),
    path("dossiers/<int:pk>/modifier/", drafts.dossier_edit, name="dossier_edit"),
    path("dossiers/<int:pk>/pieces/", drafts.attachment_upload, name="attachment_upload"),
    path("pieces/<uuid:uuid>/", drafts.attachment_download, name="attachment_download"),
    path("dossiers/<int:pk>/deposer/", transitions.dossier_submit_view, name="dossier_submit"),
    path("dossiers/<int:pk>/retirer/", transitions.dossier_withdraw_view, name="dossier_withdraw"),
    path("dossiers/<int:pk>/renvoyer/", transitions.dossier_return_view, name="dossier_return"),
    path("dossiers/<int:pk>/messages/", exchanges.message_new, name="message_new"),
    path("dossiers/<int:pk>/notes/", exchanges.note_new, name="note_new"),
    path("dossiers/<int:pk>/experts/", exchanges.expert_request_new, name="expert_request_new"),
    path("avis-experts/<int:pk>/", exchanges.expert_advice, name="expert_advice"),
    path("dossiers/<int:pk>/avis/", opinions.opinion_edit, name="opinion_edit"),
    path("dossiers/<int:pk>/avis/signer/", opinions.opinion_sign_view, name="opinion_sign"),
    path("comites/<int:pk>/", committees.committee_detail, name="committee_detail"),
    path("comites/<int:pk>/publier/", committees.committee_publish, name="committee_publish"),
    path("comites/<int:pk>/avis-conjoint/v<int:version>/", committees.joint_opinion_detail, name="joint_opinion"),
    path(
        "comites/<int:pk>/avis-conjoint/v<int:version>/impression/",
        downloads.joint_opinion_print,
        name="joint_opinion_print",
    ),
    path(
        "comites/<int:pk>/avis-conjoint/v<int:version>.<str:extension>",
        downloads.joint_opinion_download,
        name="joint_opinion_download",
    ),
    path(
        "comites/<int:pk>/avis-conjoint/projet.<str:extension>",
        downloads.committee_draft_download,
        name="committee_draft_download",
    ),
    path("comites/<int:pk>/dossiers.<str:extension>", downloads.committee_export, name="committee_export"),
    path("appels/<int:pk>/dossiers.<str:extension>", downloads.call_export, name="call_export"),
    path("appels/", national.call_list, name="call_list"),
    path("appels/nouveau/", national.call_edit, name="call_new"),
    path("appels/<int:pk>/", national.call_detail, name="call_detail"),
    path("appels/<int:pk>/modifier/", national.call_edit, name="call_edit"),
    path("appels/<int:pk>/statut/", national.call_advance_view, name="call_advance"),
    path("appels/<int:pk>/comites/", national.committee_new, name="committee_new"),
    path("comites/<int:pk>/membres/", national.member_new, name="member_new"),
    path("appels/<int:pk>/selection/", national.call_selection, name="call_selection"),
    path("appels/<int:pk>/notifier/", national.call_notify, name="call_notify"),
    path("dossiers/<int:pk>/decision/", national.decision_edit, name="decision_edit"),
    path("connexion/", auth_views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
]
