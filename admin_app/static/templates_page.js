// Configuration > Templates: the live preview (the editor's content rendered by the server on a
// company and contact picked from the data), the company and contact pickers, and the variables
// shown for the chosen purpose. The preview is a POST
// carrying the page's CSRF token; its HTML goes into a sandboxed iframe (no script runs there).
(function () {
  var editor = document.querySelector('form[data-template-editor]');
  if (!editor) return;
  var panel = document.querySelector('[data-preview-panel]');
  var companySelect = panel.querySelector('[data-preview-company]');
  var contactSelect = panel.querySelector('[data-preview-contact]');
  var search = panel.querySelector('[data-company-search]');
  var token = editor.querySelector('input[name=csrf_token]').value;
  var out = function (name) { return panel.querySelector('[data-preview="' + name + '"]'); };
  var timer = null;
  // The page's language comes from the server, in data-text-* attributes of the editor.
  var text = function (name, fallback) { return editor.getAttribute('data-text-' + name) || fallback; };
  var sequence = 0;

  function fill(select, rows, emptyLabel, keep) {
    var previous = keep ? select.value : '';
    select.textContent = '';
    var empty = document.createElement('option');
    empty.value = '';
    empty.textContent = emptyLabel;
    select.appendChild(empty);
    rows.forEach(function (row) {
      var option = document.createElement('option');
      option.value = String(row.id);
      option.textContent = row.name;
      select.appendChild(option);
    });
    if (keep && rows.some(function (row) { return String(row.id) === previous; })) {
      select.value = previous;
    } else if (!keep && rows.length) {
      select.value = String(rows[0].id);
    }
  }

  function getJSON(url) {
    return fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function loadContacts() {
    var id = companySelect.value;
    if (!id) { fill(contactSelect, [], text('no-contact', '— no contact —'), false); return Promise.resolve(); }
    var url = editor.getAttribute('data-contacts-url') + '?company_id=' + encodeURIComponent(id);
    return getJSON(url).then(function (rows) { fill(contactSelect, rows, text('no-contact', '— no contact —'), false); });
  }

  function show(result) {
    var error = out('error');
    var sample = out('sample');
    if (!result.ok) {
      error.textContent = result.error || text('failed', 'The preview failed.');
      error.classList.remove('d-none');
      return;
    }
    error.classList.add('d-none');
    error.textContent = '';
    if (out('subject')) out('subject').textContent = result.subject;
    out('html').srcdoc = result.html;
    if (out('text')) out('text').textContent = result.text;
    if (result.sample && result.sample.length) {
      sample.textContent = text('sample', 'No such document for this company: example values ' +
        'are used for {fields}.').replace('{fields}', result.sample.join(', '));
      sample.classList.remove('d-none');
    } else {
      sample.classList.add('d-none');
    }
  }

  function refresh() {
    var data = new FormData(editor);
    data.append('company_id', companySelect.value);
    data.append('contact_id', contactSelect.value);
    var mine = ++sequence;
    panel.setAttribute('aria-busy', 'true');
    return fetch(editor.getAttribute('data-preview-url'), {
      method: 'POST', body: data, credentials: 'same-origin',
      headers: {'X-CSRFToken': token, 'Accept': 'application/json'}
    }).then(function (r) {
      return r.json().catch(function () { return {ok: false, error: text('failed-status', 'The preview failed ({status}).').replace('{status}', r.status)}; });
    }).then(function (result) {
      if (mine === sequence) show(result);  // an older, slower answer never wins
    }).catch(function () {
      show({ok: false, error: text('unreachable', 'The preview could not reach the server.')});
    }).then(function () {
      if (mine === sequence) panel.setAttribute('aria-busy', 'false');
    });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }

  function showVariables() {
    var purpose = editor.querySelector('select[name=purpose]');
    if (!purpose) return;
    var groups = JSON.parse(purpose.getAttribute('data-variables'))[purpose.value] || [];
    document.querySelectorAll('[data-variable-group]').forEach(function (block) {
      block.classList.toggle('d-none', groups.indexOf(block.getAttribute('data-variable-group')) < 0);
    });
  }

  editor.addEventListener('input', later);
  editor.addEventListener('change', function (event) {
    if (event.target.name === 'purpose') showVariables();
    later();
  });
  companySelect.addEventListener('change', function () { loadContacts().then(refresh); });
  contactSelect.addEventListener('change', refresh);
  panel.querySelector('[data-action=preview]').addEventListener('click', refresh);
  search.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = editor.getAttribute('data-companies-url') + '?q=' + encodeURIComponent(search.value);
      getJSON(url).then(function (rows) {
        fill(companySelect, rows, text('no-company', '— no company —'), false);
        return loadContacts();
      }).then(refresh);
    }, 300);
  });

  loadContacts().then(refresh);
})();
