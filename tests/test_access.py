"""Every admin page needs a login; admin-only pages refuse users on the server."""
import pytest

from tests.conftest import TEST_PASSWORD

ADMIN_ONLY = ("user", "auditlog", "merge", "pipelinestage", "commenttemplate", "emailtemplate",
              "customfielddefinition")


def _admin_get_urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods:
            continue
        if rule.endpoint.startswith("admin.static") or "<" in rule.rule:
            continue
        urls.append(rule.rule)
    return sorted(set(urls))


def test_every_admin_url_redirects_anonymous_visitors_to_login(app, client):
    urls = _admin_get_urls(app)
    assert len(urls) > 40
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.location, url


def test_admin_posts_also_need_a_login(client):
    response = client.post("/admin/company/new/", data={"name": "X", "status": "lead"})
    assert response.status_code == 302 and "/login" in response.location


def test_redirect_to_login_remembers_the_page(client, admin_user):
    response = client.get("/admin/invoice/")
    assert "next=/admin/invoice/" in response.location
    followed = client.post(response.location,
                           data={"email": admin_user.email, "password": TEST_PASSWORD})
    assert followed.location.endswith("/admin/invoice/")


@pytest.mark.parametrize("endpoint", ADMIN_ONLY)
def test_user_is_refused_on_admin_only_views(user_client, endpoint):
    assert user_client.get(f"/admin/{endpoint}/").status_code == 403


def test_user_cannot_create_users_by_posting_directly(user_client):
    response = user_client.post("/admin/user/new/", data={"email": "x@example.com",
                                                          "role": "admin"})
    assert response.status_code == 403


@pytest.mark.parametrize("endpoint", ADMIN_ONLY)
def test_admin_reaches_admin_only_views(admin_client, endpoint):
    assert admin_client.get(f"/admin/{endpoint}/").status_code == 200


def test_user_menu_hides_admin_only_views(user_client):
    html = user_client.get("/admin/").get_data(as_text=True)
    assert "/admin/user/" not in html and "/admin/auditlog/" not in html
    assert "/admin/company/" in html


@pytest.mark.parametrize("endpoint", ["company", "contact", "address", "exchange", "opportunity",
                                      "quote", "order", "invoice", "payment", "document"])
def test_user_reaches_the_contract_list_views(user_client, endpoint):
    assert user_client.get(f"/admin/{endpoint}/").status_code == 200


def test_two_clients_in_one_test_each_act_as_their_own_user(admin_client, user_client):
    assert admin_client.get("/admin/user/").status_code == 200
    assert user_client.get("/admin/user/").status_code == 403
    assert admin_client.get("/admin/auditlog/").status_code == 200
