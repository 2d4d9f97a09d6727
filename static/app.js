// typehouse: progressive enhancement only. Every page works without this script; with it the
// catalog searches as you type, copy buttons appear, and action commands fill in as you type.

// Filling action templates, by the rules of src/catalog/reference.rs and
// src/catalog/command.rs: values follow the OCI distribution grammar or are refused, a
// template is split into shell words, a filled action is an argv, and its command line quotes
// every word that needs it. tests/fixtures/action-vectors.json holds the cases both pass.
var typehouseActions = (function () {
  'use strict';

  var PLACEHOLDERS = ['registry', 'repository', 'name', 'tag', 'digest', 'reference'];
  var FIELDS = ['registry', 'repository', 'tag', 'digest'];
  var COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
  var REPOSITORY = new RegExp('^' + COMPONENT + '(?:/' + COMPONENT + ')*$');
  var TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
  var DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
  var LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  var PLAIN = /^[A-Za-z0-9@%+=:,.\/_-]+$/;

  function isPort(port) {
    return /^[0-9]{1,5}$/.test(port) && Number(port) <= 65535;
  }

  function isIpv6(address) {
    if (!/^[0-9A-Fa-f:]+$/.test(address)) return false;
    try {
      new URL('http://[' + address + ']/');
      return true;
    } catch (error) {
      return false;
    }
  }

  function isRegistry(value) {
    if (value.charAt(0) === '[') {
      var close = value.indexOf(']');
      if (close === -1 || !isIpv6(value.slice(1, close))) return false;
      var after = value.slice(close + 1);
      return after === '' || (after.charAt(0) === ':' && isPort(after.slice(1)));
    }
    var colon = value.indexOf(':');
    var host = colon === -1 ? value : value.slice(0, colon);
    if (colon !== -1 && !isPort(value.slice(colon + 1))) return false;
    return host.length > 0 && host.length <= 253 &&
      host.split('.').every(function (label) { return LABEL.test(label); });
  }

  function isDigest(value) {
    var match = DIGEST.exec(value);
    if (!match) return false;
    if (match[1] === 'sha256') return /^[0-9a-f]{64}$/.test(match[2]);
    if (match[1] === 'sha512') return /^[0-9a-f]{128}$/.test(match[2]);
    return true;
  }

  var RULES = {
    registry: isRegistry,
    repository: function (v) { return v.length <= 255 && REPOSITORY.test(v); },
    tag: function (v) { return TAG.test(v); },
    digest: isDigest
  };

  // The values by field (absent or empty means not given): the placeholder values, or the
  // fields that failed.
  function check(input) {
    var refused = [];
    var v = {};
    FIELDS.forEach(function (field) {
      var value = input[field] || '';
      if (value && !RULES[field](value)) refused.push(field);
      v[field] = value;
    });
    if (refused.length) return { refused: refused };
    return {
      values: {
        registry: v.registry,
        repository: v.repository,
        name: v.repository ? v.repository.split('/').pop() : '',
        tag: v.tag,
        digest: v.digest,
        reference: v.digest ? '@' + v.digest : (v.tag ? ':' + v.tag : '')
      }
    };
  }

  // The placeholder name at `at` (just after a `{`), when a known one closes there.
  function placeholderAt(chars, at) {
    var close = chars.indexOf('}', at);
    if (close === -1) return null;
    var name = chars.slice(at, close).join('');
    return PLACEHOLDERS.indexOf(name) === -1 ? null : name;
  }

  // Words as a POSIX shell reads a simple command's; each word a list of
  // {text} and {placeholder} pieces. Operator characters stay text, as in the server.
  function split(template) {
    var chars = Array.from(template);
    var words = [];
    var word = null;
    var quote = '';
    var i = 0;
    function push(c) {
      if (!word) word = [];
      var last = word[word.length - 1];
      if (last && 'text' in last) last.text += c; else word.push({ text: c });
    }
    function end() {
      if (word) words.push(word);
      word = null;
    }
    while (i < chars.length) {
      var c = chars[i];
      i += 1;
      if ((c === '\n' || c === '\r') && quote === '') { end(); continue; }
      if (c === '{') {
        var name = placeholderAt(chars, i);
        if (name !== null) {
          i += name.length + 1;
          if (!word) word = [];
          word.push({ placeholder: name });
          continue;
        }
      }
      if (quote === '') {
        if (c === ' ' || c === '\t') { end(); continue; }
        if (c === '\'' || c === '"') { quote = c; if (!word) word = []; continue; }
        if (c === '\\') {
          if (i < chars.length && chars[i] !== '\n') { push(chars[i]); i += 1; }
          continue;
        }
      } else if (quote === '\'') {
        if (c === '\'') { quote = ''; continue; }
      } else {
        if (c === '"') { quote = ''; continue; }
        if (c === '\\' && i < chars.length && '$`"\\'.indexOf(chars[i]) !== -1) {
          push(chars[i]);
          i += 1;
          continue;
        }
      }
      push(c);
    }
    end();
    return words;
  }

  function quote(text) {
    return '\'' + text.split('\'').join('\'\\\'\'') + '\'';
  }

  // {argv, command}: argv is null while a placeholder has no value (it stays `{name}`).
  function fill(words, values) {
    var argv = [];
    var shown = [];
    var complete = true;
    words.forEach(function (word) {
      var text = '';
      var needsQuotes = false;
      word.forEach(function (piece) {
        if ('text' in piece) {
          needsQuotes = needsQuotes || !PLAIN.test(piece.text);
          text += piece.text;
        } else if (values[piece.placeholder]) {
          needsQuotes = needsQuotes || !PLAIN.test(values[piece.placeholder]);
          text += values[piece.placeholder];
        } else {
          complete = false;
          text += '{' + piece.placeholder + '}';
        }
      });
      shown.push(needsQuotes || text === '' ? quote(text) : text);
      argv.push(text);
    });
    return { argv: complete ? argv : null, command: shown.join(' ') };
  }

  return { fields: FIELDS, check: check, split: split, fill: fill, quote: quote };
})();

if (typeof module !== 'undefined' && module.exports) module.exports = typehouseActions;

(function () {
  'use strict';
  if (typeof document === 'undefined') return;

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

  // Catalog search -----------------------------------------------------------------------
  // Without this script the form goes to the server (or, on the static site, the page files
  // of the whole catalog) a page at a time. With it the search runs as you type, over the
  // search index: one document fetched once, filtered here by the rules of the API's filter
  // (free text is matched ASCII-case-insensitively in the id, name, summary, media types and
  // tags), and drawn a page at a time with the server's own links.

  var filters = document.querySelector('form[data-filter-form]');
  if (filters) {
    var list = document.getElementById('types');
    var count = document.getElementById('result-count');
    var empty = document.getElementById('no-results');
    var pager = document.getElementById('pager');
    var names = ['q', 'vendor', 'status', 'tag'];
    var mode = filters.getAttribute('data-mode');
    var pageSize = Number(filters.getAttribute('data-page-size')) || 60;
    var home = filters.getAttribute('action');
    var loading = null;

    var asciiLower = function (text) {
      return String(text).replace(/[A-Z]+/g, function (upper) { return upper.toLowerCase(); });
    };

    var loadIndex = function () {
      if (!loading) {
        loading = fetch(filters.getAttribute('data-search-index'), {
          headers: { Accept: 'application/json' }
        })
          .then(function (response) {
            if (!response.ok) throw new Error('the search index answered ' + response.status);
            return response.json();
          })
          .then(function (index) {
            return index.types.map(function (row) {
              var type = {};
              index.fields.forEach(function (name, at) { type[name] = row[at]; });
              type.vendor = type.id.split('/')[0];
              type.text = [type.id, type.name, type.summary]
                .concat(type.identifyingMediaTypes, type.layerMediaTypes, type.tags)
                .map(asciiLower);
              return type;
            });
          });
        // A failed fetch is tried again on the next search.
        loading.catch(function () { loading = null; });
      }
      return loading;
    };

    var current = function () {
      var values = {};
      names.forEach(function (name) { values[name] = field(filters, name).value.trim(); });
      return values;
    };

    // The link the server (or the site) has for page `page` of `values`.
    var pageLink = function (values, page) {
      var params = new URLSearchParams();
      names.forEach(function (name) { if (values[name]) params.set(name, values[name]); });
      if (mode === 'site' && !params.toString()) {
        return page <= 1 ? home : filters.getAttribute('data-page-prefix') + page + '.html';
      }
      if (page > 1) params.set('page', String(page));
      var query = params.toString();
      return query ? home + '?' + query : home;
    };

    var element = function (tag, attributes, children) {
      var node = document.createElement(tag);
      Object.keys(attributes || {}).forEach(function (name) {
        node.setAttribute(name, attributes[name]);
      });
      (children || []).forEach(function (child) {
        node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
      });
      return node;
    };

    // A card as the server draws it (templates/catalog.html).
    var card = function (type) {
      var icon = type.iconSvg
        ? element('img', {
          'class': 'type-icon',
          src: 'data:image/svg+xml,' + encodeURIComponent(type.iconSvg),
          alt: type.name + ' icon',
          width: '40',
          height: '40'
        })
        : element('span', { 'class': 'type-icon type-icon-letter', 'aria-hidden': 'true' },
          [(Array.from(type.name)[0] || '').toUpperCase()]);
      var href = filters.getAttribute('data-type-prefix') + type.id +
        filters.getAttribute('data-type-suffix');
      var children = [
        element('div', { 'class': 'card-head' }, [
          icon,
          element('div', { 'class': 'card-title' }, [
            element('h2', {}, [element('a', { href: href }, [type.name])]),
            element('p', { 'class': 'type-id' }, [
              element('code', {}, [type.id]), ' ',
              element('span', { 'class': 'version' }, ['v' + type.version])
            ])
          ]),
          element('span', { 'class': 'badge badge-' + type.status }, [type.status])
        ]),
        element('p', { 'class': 'card-summary' }, [type.summary])
      ];
      var identifying = type.identifyingMediaTypes;
      if (identifying.length) {
        var line = [
          element('span', { 'class': 'visually-hidden' }, ['Identifying media type: ']),
          element('code', {}, [identifying[0]])
        ];
        if (identifying.length > 1) {
          line.push(' ', element('span', { 'class': 'more' }, ['+' + (identifying.length - 1) + ' more']));
        }
        children.push(element('p', { 'class': 'card-media-type' }, line));
      } else {
        children.push(element('p', { 'class': 'card-media-type muted' },
          ['Recognised by its match conditions']));
      }
      if (type.tags.length) {
        children.push(element('ul', { 'class': 'tags', 'aria-label': 'Tags' },
          type.tags.map(function (tag) { return element('li', {}, [tag]); })));
      }
      return element('li', { 'class': 'card', 'data-card': '' }, children);
    };

    var setLink = function (link, href) {
      if (href) link.setAttribute('href', href); else link.removeAttribute('href');
      link.hidden = !href;
    };

    // Draws page `page` of the types that pass `values`; answers the page drawn.
    var show = function (types, values, page) {
      var q = asciiLower(values.q);
      var matching = types.filter(function (type) {
        return (!q || type.text.some(function (text) { return text.indexOf(q) !== -1; })) &&
          (!values.vendor || type.vendor === values.vendor) &&
          (!values.status || type.status === values.status) &&
          (!values.tag || type.tags.indexOf(values.tag) !== -1);
      });
      var pages = Math.max(1, Math.ceil(matching.length / pageSize));
      page = Math.min(Math.max(1, page), pages);
      var start = (page - 1) * pageSize;
      var shown = matching.slice(start, start + pageSize);
      list.replaceChildren.apply(list, shown.map(card));
      var filtered = values.q || values.vendor || values.status || values.tag;
      var text = filtered
        ? matching.length + ' of ' + types.length + ' types match'
        : types.length + ' types';
      if (pages > 1) text += ', showing ' + (start + 1) + '\u2013' + (start + shown.length);
      count.textContent = text;
      empty.hidden = matching.length !== 0;
      pager.hidden = pages <= 1;
      setLink(pager.querySelector('[data-pager-previous]'),
        page > 1 ? pageLink(values, page - 1) : null);
      setLink(pager.querySelector('[data-pager-next]'),
        page < pages ? pageLink(values, page + 1) : null);
      pager.querySelector('[data-pager-position]').textContent = 'Page ' + page + ' of ' + pages;
      return page;
    };

    var apply = function (page, updateAddress) {
      var values = current();
      return loadIndex().then(function (types) {
        var drawn = show(types, values, page);
        if (updateAddress && window.history && window.history.replaceState) {
          window.history.replaceState(null, '', pageLink(values, drawn));
        }
      });
    };

    // A static host ignores the query string: the script applies it.
    var params = new URLSearchParams(window.location.search);
    if (mode === 'site' && names.concat(['page']).some(function (name) { return params.has(name); })) {
      names.forEach(function (name) {
        if (params.has(name)) field(filters, name).value = params.get(name);
      });
      apply(Number(params.get('page')) || 1, false);
    }

    var timer = null;
    var searchSoon = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { apply(1, true).catch(function () {}); }, 80);
    };
    field(filters, 'q').addEventListener('focus', function () {
      loadIndex().catch(function () {});
    });
    filters.addEventListener('input', searchSoon);
    filters.addEventListener('change', searchSoon);
    filters.addEventListener('submit', function (event) {
      event.preventDefault();
      // Without the index, the form goes where it would without the script.
      apply(1, true).catch(function () { filters.submit(); });
    });
    document.querySelectorAll('[data-reset]').forEach(function (link) {
      link.addEventListener('click', function (event) {
        event.preventDefault();
        names.forEach(function (name) { field(filters, name).value = ''; });
        apply(1, true).catch(function () { window.location.href = link.href; });
        field(filters, 'q').focus();
      });
    });
  }

  // Action commands ----------------------------------------------------------------------

  var actionForm = document.querySelector('form[data-action-form]');
  if (actionForm) {
    var commands = Array.prototype.slice.call(document.querySelectorAll('code[data-template]'))
      .map(function (code) {
        return { code: code, words: typehouseActions.split(code.getAttribute('data-template')) };
      });
    var keys = typehouseActions.fields;

    // A refused value fills nothing: the templates stay as they are and the field says why.
    var update = function () {
      var input = {};
      keys.forEach(function (key) { input[key] = field(actionForm, key).value.trim(); });
      var checked = typehouseActions.check(input);
      keys.forEach(function (key) {
        var element = field(actionForm, key);
        var message = actionForm.querySelector('[data-error-for="' + key + '"]');
        var refused = !!checked.refused && checked.refused.indexOf(key) !== -1;
        if (refused) element.setAttribute('aria-invalid', 'true');
        else element.removeAttribute('aria-invalid');
        element.closest('.field').classList.toggle('field-invalid', refused);
        if (message) {
          message.hidden = !refused;
          message.textContent = refused
            ? 'Not a valid ' + key + ': it does not follow the OCI distribution grammar.'
            : '';
        }
      });
      var values = checked.values || {};
      commands.forEach(function (command) {
        command.code.textContent = typehouseActions.fill(command.words, values).command;
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
