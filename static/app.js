// typehouse: progressive enhancement only. Every page works without this script; with it the
// catalog filters as you type, copy buttons appear, and action commands fill in as you type.
(function () {
  'use strict';

  var announcer = document.getElementById('announcer');

  function announce(message) {
    if (!announcer) return;
    announcer.textContent = '';
    window.setTimeout(function () { announcer.textContent = message; }, 50);
  }

  function field(form, name) {
    var element = form.elements.namedItem(name);
    return element && 'value' in element ? element : null;
  }

  // Copy buttons -------------------------------------------------------------------------

  function legacyCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand('copy'); } catch (error) { copied = false; }
    document.body.removeChild(area);
    return copied;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return legacyCopy(text); }
      );
    }
    return Promise.resolve(legacyCopy(text));
  }

  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var label = button.textContent;
    var timer = null;
    button.hidden = false;
    button.addEventListener('click', function () {
      var target = document.getElementById(button.getAttribute('data-copy'));
      if (!target) return;
      copyText(target.textContent).then(function (copied) {
        button.textContent = copied ? 'Copied' : 'Copy failed';
        button.classList.toggle('copied', copied);
        announce(copied ? 'Copied to the clipboard' : 'Could not copy; select the text instead');
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          button.textContent = label;
          button.classList.remove('copied');
        }, 2500);
      });
    });
  });

  // Catalog filters ----------------------------------------------------------------------

  var filters = document.querySelector('form[data-filter-form]');
  if (filters) {
    var cards = Array.prototype.slice.call(document.querySelectorAll('[data-card]'));
    var count = document.getElementById('result-count');
    var empty = document.getElementById('no-results');
    var names = ['q', 'vendor', 'status', 'tag'];

    var applyFilters = function (updateAddress) {
      var q = field(filters, 'q').value.trim().toLowerCase();
      var vendor = field(filters, 'vendor').value;
      var status = field(filters, 'status').value;
      var tag = field(filters, 'tag').value;
      var shown = 0;
      cards.forEach(function (card) {
        var matches = (!q || card.getAttribute('data-search').indexOf(q) !== -1) &&
          (!vendor || card.getAttribute('data-vendor') === vendor) &&
          (!status || card.getAttribute('data-status') === status) &&
          (!tag || ('|' + card.getAttribute('data-tags') + '|').indexOf('|' + tag + '|') !== -1);
        card.hidden = !matches;
        if (matches) shown += 1;
      });
      var filtered = q || vendor || status || tag;
      count.textContent = filtered
        ? shown + ' of ' + cards.length + ' types match'
        : cards.length + ' types';
      empty.hidden = shown !== 0;
      if (updateAddress && window.history && window.history.replaceState) {
        var params = new URLSearchParams();
        names.forEach(function (name) {
          var value = field(filters, name).value.trim();
          if (value) params.set(name, value);
        });
        var query = params.toString();
        window.history.replaceState(null, '', query ? '?' + query : window.location.pathname);
      }
    };

    // A static host ignores the query string: apply it here.
    var params = new URLSearchParams(window.location.search);
    names.forEach(function (name) {
      if (params.has(name)) field(filters, name).value = params.get(name);
    });
    applyFilters(false);

    filters.addEventListener('input', function () { applyFilters(true); });
    filters.addEventListener('change', function () { applyFilters(true); });
    filters.addEventListener('submit', function (event) {
      event.preventDefault();
      applyFilters(true);
    });
    document.querySelectorAll('[data-reset]').forEach(function (link) {
      link.addEventListener('click', function (event) {
        event.preventDefault();
        names.forEach(function (name) { field(filters, name).value = ''; });
        applyFilters(true);
        field(filters, 'q').focus();
      });
    });
  }

  // Action commands ----------------------------------------------------------------------

  // The same filling as the server's: a placeholder without a value stays visible.
  function fill(template, values) {
    return template.replace(/\{([^{}]*)\}/g, function (placeholder, name) {
      return Object.prototype.hasOwnProperty.call(values, name) && values[name]
        ? values[name]
        : placeholder;
    });
  }

  var actionForm = document.querySelector('form[data-action-form]');
  if (actionForm) {
    var commands = Array.prototype.slice.call(document.querySelectorAll('code[data-template]'));
    var keys = ['registry', 'repository', 'tag', 'digest'];

    var update = function () {
      var v = {};
      keys.forEach(function (key) { v[key] = field(actionForm, key).value.trim(); });
      var values = {
        registry: v.registry,
        repository: v.repository,
        name: v.repository ? v.repository.split('/').pop() : '',
        tag: v.tag,
        digest: v.digest,
        reference: v.digest ? '@' + v.digest : (v.tag ? ':' + v.tag : '')
      };
      commands.forEach(function (code) {
        code.textContent = fill(code.getAttribute('data-template'), values);
      });
    };

    var query = new URLSearchParams(window.location.search);
    keys.forEach(function (key) {
      var input = field(actionForm, key);
      if (!input.value && query.has(key)) input.value = query.get(key);
    });
    update();
    actionForm.addEventListener('input', update);
    actionForm.addEventListener('submit', function (event) {
      event.preventDefault();
      update();
      announce('Commands updated');
    });
  }

  // The submit form: a chosen .yaml file fills the definition's textarea (the textarea alone
  // works without script).
  document.querySelectorAll('input[type=file][data-load-into]').forEach(function (input) {
    var target = document.getElementById(input.getAttribute('data-load-into'));
    var wrapper = input.closest('[data-file-field]');
    if (!target || typeof FileReader === 'undefined') return;
    if (wrapper) wrapper.hidden = false;
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      if (!file) return;
      var reader = new FileReader();
      reader.onload = function () {
        target.value = String(reader.result);
        announce('Loaded ' + file.name);
      };
      reader.onerror = function () { announce('Could not read ' + file.name); };
      reader.readAsText(file);
    });
  });

  // The API page's examples use this site's own address.
  document.querySelectorAll('code[data-origin]').forEach(function (code) {
    var base = document.querySelector('.brand');
    if (!base) return;
    var url = new URL(base.getAttribute('href'), window.location.href);
    url.hash = '';
    url.search = '';
    var path = url.pathname.replace(/index\.html$/, '').replace(/\/$/, '');
    code.textContent = 'TYPEHOUSE=' + url.origin + path;
  });
})();
