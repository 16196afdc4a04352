"""The comments editor works in a real browser, on the company form as on the card."""
from admin_app.extensions import db
from admin_app.models import CommentTemplate, Company
from tests.conftest import browser_login


def test_company_form_edits_comments_as_rich_text_with_templates(live_server, browser,
                                                                 admin_user, make_company):
    company = make_company("Editor Co", comments="<p>Old note</p>")
    db.session.add(CommentTemplate(name="Checklist", body="<p><strong>Next steps:</strong></p>"))
    db.session.commit()
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}/admin/company/edit/?id={company.id}")
    assert not page.locator("textarea#comments").is_visible()  # replaced by the editor
    editor = page.locator("[data-editor]")
    assert "Old note" in editor.inner_text()
    page.select_option("select[data-insert-template]", label="Checklist")
    assert "Next steps:" in editor.inner_text()
    page.click("input[type=submit][value=Save]")
    page.wait_for_load_state()
    db.session.expire_all()
    saved = db.session.get(Company, company.id).comments
    assert "Old note" in saved and "<strong>Next steps:</strong>" in saved
