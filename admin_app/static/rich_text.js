// Rich text for comments: every <textarea data-rich-text> becomes a small editor (bold, italic,
// underline, list, link, "insert template…") whose HTML goes back into the textarea on submit.
// The server sanitises whatever arrives; without JavaScript the textarea stays usable.
(function () {
  // Words in the page's language, from <div data-rich-text-labels data-…> (admin/_rich_text.html).
  var holder = document.querySelector('[data-rich-text-labels]');
  function word(key, english) {
    return (holder && holder.getAttribute('data-' + key)) || english;
  }
  var COMMANDS = [['bold', '<strong>' + word('bold-short', 'B') + '</strong>', word('bold', 'Bold')],
                  ['italic', '<em>' + word('italic-short', 'I') + '</em>', word('italic', 'Italic')],
                  ['underline', '<u>' + word('underline-short', 'U') + '</u>', word('underline', 'Underline')],
                  ['insertUnorderedList', '• ' + word('list', 'List'), word('bulleted-list', 'Bulleted list')],
                  ['createLink', word('link', 'Link'), word('link', 'Link')]];

  function templates() {
    return Array.prototype.slice.call(document.querySelectorAll('template[data-comment-template]'));
  }

  function upgrade(source) {
    var toolbar = document.createElement('div');
    toolbar.className = 'btn-toolbar mb-1 align-items-center';
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', word('formatting', 'Formatting'));
    var group = document.createElement('div');
    group.className = 'btn-group btn-group-sm mr-2';
    var editor = document.createElement('div');
    editor.className = 'rich-text-editor form-control';
    editor.contentEditable = 'true';
    editor.setAttribute('data-editor', '');
    editor.setAttribute('role', 'textbox');
    editor.setAttribute('aria-multiline', 'true');
    editor.setAttribute('aria-label', source.getAttribute('aria-label') || word('comments', 'Comments'));
    editor.innerHTML = source.value;
    COMMANDS.forEach(function (c) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-light border';
      button.setAttribute('data-cmd', c[0]);
      button.title = c[2];
      button.innerHTML = c[1];
      button.addEventListener('click', function () {
        editor.focus();
        if (c[0] === 'createLink') {
          var url = window.prompt(word('link-prompt', 'Link address (https://…)'));
          if (url) document.execCommand('createLink', false, url);
        } else {
          document.execCommand(c[0], false, null);
        }
      });
      group.appendChild(button);
    });
    toolbar.appendChild(group);
    var available = templates();
    if (available.length) {
      var picker = document.createElement('select');
      picker.className = 'form-control form-control-sm w-auto';
      picker.setAttribute('data-insert-template', '');
      picker.setAttribute('aria-label', word('insert-template', 'Insert a comment template'));
      picker.add(new Option(word('insert-template-short', 'Insert template…'), ''));
      available.forEach(function (t) {
        picker.add(new Option(t.getAttribute('data-comment-template'), t.getAttribute('data-template-id')));
      });
      picker.addEventListener('change', function () {
        var chosen = available.filter(function (t) {
          return t.getAttribute('data-template-id') === picker.value;
        })[0];
        if (chosen) editor.insertAdjacentHTML('beforeend', chosen.innerHTML);
        picker.value = '';
      });
      toolbar.appendChild(picker);
    }
    source.style.display = 'none';
    source.parentNode.insertBefore(toolbar, source);
    source.parentNode.insertBefore(editor, source);
    var sync = function () { source.value = editor.innerHTML; };
    editor.addEventListener('input', sync);
    if (source.form) source.form.addEventListener('submit', sync);
  }

  function init() {
    document.querySelectorAll('textarea[data-rich-text]').forEach(upgrade);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
