/* hkbot operator console: live handoff chat, queue refresh, dashboard charts. No inline code, no libraries. */
(function () {
  'use strict';
  var csrf = document.body.getAttribute('data-csrf') || '';
  var SVG = 'http://www.w3.org/2000/svg';

  function el(name, cls, text) {
    var node = document.createElement(name);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;  // never HTML
    return node;
  }

  function getJSON(url) {
    return fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}}).then(function (r) {
      if (r.status === 401) {  /* the session ended (idle, reset or disabled): back to the log-in page */
        window.location.assign('/console/login?next=' + encodeURIComponent(window.location.pathname));
      }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
  }

  /* --- suggested answers: copy one into the reply box (never sent without Send); refresh on new citizen words --- */
  var suggested = document.getElementById('suggestions');
  function useSuggestion(event) {
    var button = event.target.closest('.use-suggestion');
    var box = document.getElementById('reply');
    if (!button || !box) return;
    box.value = button.getAttribute('data-answer');
    box.focus();
  }
  function refreshSuggestions() {
    if (!suggested) return;
    getJSON('/console/api/handoffs/' + suggested.getAttribute('data-handoff') + '/suggestions').then(function (data) {
      var list = el('ol');
      list.id = 'suggestions';
      ['handoff', 'can-use'].forEach(function (name) { list.setAttribute('data-' + name, suggested.getAttribute('data-' + name)); });
      data.suggestions.forEach(function (s) {
        var item = el('li', 'suggestion');
        var title = el('h3');
        var name = el('span', '', s.title); name.title = s.id;
        title.appendChild(name); title.appendChild(document.createTextNode(' '));
        title.appendChild(el('span', 'score', 'score ' + s.score.toFixed(2)));
        item.appendChild(title);
        item.appendChild(el('p', 'answer', s.answer));
        if (list.getAttribute('data-can-use') === 'yes') {
          var use = el('button', 'use-suggestion', 'Put in the reply box');
          use.type = 'button'; use.setAttribute('data-answer', s.answer);
          item.appendChild(use);
        }
        list.appendChild(item);
      });
      if (data.suggestions.length) { suggested.parentNode.replaceChild(list, suggested); suggested = list; }
    }).catch(function () {});
  }
  document.addEventListener('click', useSuggestion);

  /* --- one conversation: poll new messages, send replies without reloading --- */
  var transcript = document.getElementById('transcript');
  if (transcript) {
    var id = transcript.getAttribute('data-handoff');
    var after = parseInt(transcript.getAttribute('data-after') || '0', 10);
    var status = document.getElementById('handoff-status');
    var poll = function () {
      getJSON('/console/api/handoffs/' + id + '?after=' + after).then(function (data) {
        if (data.messages.some(function (m) { return m.author === 'citizen'; })) refreshSuggestions();
        data.messages.forEach(function (m) {
          var item = el('li', 'from-' + m.author);
          item.appendChild(el('span', 'who', m.author));
          item.appendChild(document.createTextNode(' '));
          item.appendChild(el('span', 'text', m.text));
          transcript.appendChild(item);
          after = Math.max(after, m.id);
        });
        if (status && status.textContent !== data.status) status.textContent = data.status;
      }).catch(function () {}).then(function () { setTimeout(poll, 1000); });
    };
    setTimeout(poll, 1000);
    var form = document.getElementById('reply-form');
    if (form) {
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        var body = new URLSearchParams(new FormData(form));
        fetch(form.action, {method: 'POST', body: body, credentials: 'same-origin',
          headers: {'Accept': 'application/json', 'X-CSRF-Token': csrf}}).then(function (r) {
          if (r.ok) { form.reset(); form.querySelector('textarea').focus(); }
          else { form.submit(); }  // show the server's explanation page
        });
      });
    }
  }

  /* --- the queue: refresh every 2 s --- */
  var queue = document.getElementById('handoff-queue');
  if (queue) {
    var refresh = function () {
      getJSON('/console/api/handoffs').then(function (data) {
        var body = el('tbody');
        if (!data.handoffs.length) {
          var row = el('tr'); var cell = el('td', '', 'Nobody is waiting.'); cell.colSpan = 7; row.appendChild(cell); body.appendChild(row);
        }
        data.handoffs.forEach(function (h) {
          var row = el('tr'); row.setAttribute('data-id', h.id);
          if (h.urgent) row.className = 'urgent';
          var hover = {1: h.bot, 2: h.language}; // ids and codes on hover, names shown
          [h.id, h.bot_title, h.language_name, h.status + (h.agent ? ' (' + h.agent + ')' : ''), h.waited, h.online ? 'yes' : 'no'].forEach(function (v, i) {
            var cell = el('td', '', String(v));
            if (hover[i]) cell.title = hover[i];
            if (i === 0 && h.urgent) { cell.appendChild(document.createTextNode(' ')); cell.appendChild(el('strong', 'urgent-mark', 'Urgent: crisis lines given')); }
            row.appendChild(cell);
          });
          var link = el('a', '', 'Open'); link.href = '/console/handoffs/' + h.id;
          var cell = el('td'); cell.appendChild(link); row.appendChild(cell);
          body.appendChild(row);
        });
        queue.replaceChild(body, queue.tBodies[0]);
      }).catch(function () {}).then(function () { setTimeout(refresh, 2000); });
    };
    setTimeout(refresh, 2000);
  }

  /* --- review queue: a search box narrows a long topic list (each typed word must be in a title or id) --- */
  Array.prototype.forEach.call(document.querySelectorAll('select[name="entry_id"]'), function (select) {
    var box = el('input', 'topic-filter');
    box.type = 'search';
    box.placeholder = 'Find a topic (words of its title or id)';
    box.setAttribute('aria-label', 'Find a topic');
    var label = select.closest('label') || select;
    label.parentNode.insertBefore(box, label);
    /* Enter in the search box must not submit the Attach form: it is not a choice. */
    box.addEventListener('keydown', function (event) { if (event.key === 'Enter') event.preventDefault(); });
    var hiddenChoice = '';  /* the topic a search unchose: chosen again when a search shows it again */
    select.addEventListener('change', function () { hiddenChoice = ''; });
    box.addEventListener('input', function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) return;  /* "Choose a topic…" stays */
        var text = (option.textContent + ' ' + option.value).toLowerCase();
        var shown = words.every(function (word) { return text.indexOf(word) >= 0; });
        option.hidden = !shown;
        option.disabled = !shown;
      });
      Array.prototype.forEach.call(select.querySelectorAll('optgroup'), function (group) {
        group.hidden = !group.querySelector('option:not([hidden])');
      });
      /* A chosen topic the search hides is unchosen: attaching always takes a topic the operator can see. */
      if (select.selectedOptions.length && select.selectedOptions[0].hidden) {
        hiddenChoice = select.value;
        select.value = '';
      } else if (!select.value && hiddenChoice) {
        var again = Array.prototype.filter.call(select.options, function (option) { return option.value === hiddenChoice; })[0];
        if (again && !again.hidden) { select.value = hiddenChoice; hiddenChoice = ''; }
      }
    });
  });

  /* --- dashboard charts in inline SVG --- */
  var data = document.getElementById('chart-data');
  var charts = document.getElementById('charts');
  if (data && charts) {
    var chart = JSON.parse(data.textContent);
    var colors = ['#00665e', '#b3261e', '#1f4e9c', '#8a5a00', '#5b3f8c', '#2e7d32'];
    var svg = function (name, attrs, parent) {
      var node = document.createElementNS(SVG, name);
      Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      if (parent) parent.appendChild(node);
      return node;
    };
    var text = function (parent, x, y, value, anchor) {
      var t = svg('text', {x: x, y: y, 'text-anchor': anchor || 'start', 'font-size': '11'}, parent);
      t.textContent = value;
      return t;
    };
    /* grouped bars or lines over days; series: [{name, values, kind}] with max */
    var plot = function (title, days, series, max, percent) {
      var W = 560, H = 220, L = 44, B = 40, T = 24;
      var figure = el('figure', 'chart');
      figure.appendChild(el('figcaption', '', title));
      var root = svg('svg', {viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img'});
      figure.appendChild(root);
      max = percent ? 1 : Math.max(4, Math.ceil((max || 1) / 4) * 4);  // whole-number ticks
      var h = H - B - T, w = W - L - 10, step = w / Math.max(1, days.length);
      for (var g = 0; g <= 4; g++) {
        var y = T + h - h * g / 4;
        svg('line', {x1: L, x2: W - 10, y1: y, y2: y, stroke: '#ddd'}, root);
        text(root, L - 4, y + 4, percent ? Math.round(100 * g / 4) + '%' : String(Math.round(max * g / 4)), 'end');
      }
      days.forEach(function (d, i) { if (days.length < 15 || i % 2 === 0) text(root, L + step * i + step / 2, H - B + 14, d.slice(5), 'middle'); });
      var bars = series.filter(function (s) { return s.kind === 'bar'; });
      series.forEach(function (s, si) {
        var color = colors[si % colors.length];
        if (s.kind === 'bar') {
          var bw = step * 0.8 / bars.length, bi = bars.indexOf(s);
          s.values.forEach(function (v, i) {
            var bh = h * v / max;
            svg('rect', {x: L + step * i + step * 0.1 + bw * bi, y: T + h - bh, width: Math.max(1, bw - 1), height: bh, fill: color}, root);
          });
        } else {
          var points = s.values.map(function (v, i) { return (L + step * i + step / 2) + ',' + (T + h - h * v / max); }).join(' ');
          svg('polyline', {points: points, fill: 'none', stroke: color, 'stroke-width': 2}, root);
          s.values.forEach(function (v, i) { svg('circle', {cx: L + step * i + step / 2, cy: T + h - h * v / max, r: 3, fill: color}, root); });
        }
        svg('rect', {x: L + si * 130, y: 4, width: 10, height: 10, fill: color}, root);
        text(root, L + si * 130 + 14, 13, s.name);
      });
      charts.appendChild(figure);
    };
    var hbars = function (title, pairs) {
      var W = 560, row = 22, L = 220, H = row * pairs.length + 30;
      var figure = el('figure', 'chart');
      figure.appendChild(el('figcaption', '', title));
      var root = svg('svg', {viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img'});
      figure.appendChild(root);
      var max = Math.max.apply(null, pairs.map(function (p) { return p[1]; }).concat([1]));
      pairs.forEach(function (p, i) {
        var label = String(p[0]);  // long titles are shortened here; the table below has them whole
        text(root, L - 6, 20 + i * row + 12, label.length > 34 ? label.slice(0, 33) + '…' : label, 'end');
        svg('rect', {x: L, y: 20 + i * row, width: (W - L - 50) * p[1] / max, height: row - 6, fill: colors[0]}, root);
        text(root, L + (W - L - 50) * p[1] / max + 4, 20 + i * row + 12, String(p[1]));
      });
      charts.appendChild(figure);
    };
    var names = chart.names || {};
    var named = function (kind, id) { return (names[kind] || {})[id] || id; };  // titles, not ids
    var bots = {};
    chart.rows.forEach(function (r) { (bots[r.bot] = bots[r.bot] || []).push(r); });
    Object.keys(bots).sort().forEach(function (bot) {
      var rows = bots[bot];
      var days = rows.map(function (r) { return r.day; });
      var pick = function (k) { return rows.map(function (r) { return r[k]; }); };
      var most = Math.max.apply(null, pick('messages').concat([1]));
      charts.appendChild(el('h2', '', named('bots', bot)));
      plot('Messages and handoffs per day', days, [{name: 'messages', values: pick('messages'), kind: 'bar'},
        {name: 'handoffs', values: pick('handoffs'), kind: 'bar'}], most, false);
      plot('Answered and fallback share (the rest: handoff requests and other)', days, [{name: 'answered', values: pick('answered_rate'), kind: 'line'},
        {name: 'fallback', values: pick('fallback_rate'), kind: 'line'}], 1, true);
      var fb = Math.max.apply(null, pick('helpful').concat(pick('not_helpful'), [1]));
      plot('Feedback per day', days, [{name: 'helpful', values: pick('helpful'), kind: 'bar'},
        {name: 'not helpful', values: pick('not_helpful'), kind: 'bar'}], fb, false);
      var languages = {};
      rows.forEach(function (r) { Object.keys(r.languages).forEach(function (l) { languages[l] = (languages[l] || 0) + r.languages[l]; }); });
      hbars('Languages used', Object.keys(languages).map(function (l) { return [named('languages', l), languages[l]]; }));
      if (chart.topics[bot]) hbars('Top topics', chart.topics[bot].map(function (t) { return [named('topics', t[0]), t[1]]; }));
    });
  }
  /* --- filter forms (GET): leave empty fields out of the URL, so a bookmarked filter reads as what it is --- */
  Array.prototype.forEach.call(document.querySelectorAll('form.filters[method="get"]'), function (form) {
    form.addEventListener('submit', function () {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.value === '') field.disabled = true;  // disabled fields are not submitted
      });
      window.setTimeout(function () {  // usable again if the page stays (e.g. the back button restores it)
        Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; });
      }, 0);
    });
  });
})();
