// What inline event handlers (onclick="...") used to do, as data-* attributes: the
// Content-Security-Policy runs no inline handler, only scripts that carry the page's nonce.
//   <form data-confirm="Sure?">            asks before the form is sent
//   <button data-confirm="Sure?">          asks before the click does anything
//   <select data-submit-on-change>         sends its form when the choice changes
//   <a data-model-action="delete">         a list's "With selected" action (Flask-Admin)
//   <a data-add-inline-field="lines">      adds an inline form (Flask-Admin)
// Listeners sit on the document, so rows added later (inline forms, "load more") work too; clicks
// are taken in the capture phase, before a widget's own handler can stop them on the way up.
(function () {
  'use strict';

  function closest(event, selector) {
    return event.target instanceof Element ? event.target.closest(selector) : null;
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute('data-confirm') &&
        !window.confirm(form.getAttribute('data-confirm'))) {
      event.preventDefault();
    }
  });

  document.addEventListener('click', function (event) {
    var asking = closest(event, '[data-confirm]:not(form)');
    if (asking && !window.confirm(asking.getAttribute('data-confirm'))) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    var modelAction = closest(event, '[data-model-action]');
    if (modelAction) {
      event.preventDefault();
      window.modelActions.execute(modelAction.getAttribute('data-model-action'));
      return;
    }
    var addInline = closest(event, '[data-add-inline-field]');
    if (addInline) {
      event.preventDefault();
      window.faForm.addInlineField(addInline, addInline.getAttribute('data-add-inline-field'));
      return;
    }
    // Flask-Admin writes href="javascript:void(0)" on links that only open a menu or mark the
    // current page; following one would be script the policy refuses, and it does nothing.
    // (Bootstrap's menus still open: they act on the click, not on the link.)
    var scriptLink = closest(event, 'a[href^="javascript:"]');
    if (scriptLink) event.preventDefault();
  }, true);

  document.addEventListener('change', function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute('data-submit-on-change') && field.form) {
      field.form.submit();
    }
  });
  // Flask-Admin's list checkboxes carry only a title: give them a name screen readers announce.
  function nameCheckboxes() {
    document.querySelectorAll('input[type=checkbox][title]:not([aria-label])').forEach(function (box) {
      box.setAttribute('aria-label', box.getAttribute('title'));
    });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', nameCheckboxes);
  } else {
    nameCheckboxes();
  }
})();
