/* hkbot web widget: one <script src=".../widget.js" data-bot="dog_licence"> adds a chat launcher
 * and panel to any page. It also exposes window.HKBot (the socket client and message renderer)
 * for the kiosk page. No build step, no outside resources; every text is set with textContent. */
(function () {
  'use strict';

  var script = document.currentScript;
  var SERVER = new URL(script ? script.src : '/widget.js', location.href);
  var STATIC = new URL('/hkbot-static/', SERVER);
  var DEFAULT_COLOR = '#00665e';

  var UI = {
    'zh-Hant': {
      open: '開啟網上查詢助理', close: '關閉對話', launcher: '查詢', assistant: '虛擬助理（非真人）',
      input: '輸入你的問題', send: '傳送', language: '語言', conversation: '對話紀錄',
      you: '你說：', bot: '助理說：', officer: '職員（真人）', options: '選項', source: '資料來源',
      human: '職員（真人）正在回覆你', waiting: '正在等候職員（真人）接手，你的訊息會轉交職員', scan: '用手機掃描此二維碼開啟網頁：',
      newTab: '（在新分頁開啟）', typing: '助理正在輸入…', connecting: '連線中…',
      reconnecting: '連線中斷，正在重新連線…', connected: '', restart: '重新開始',
      topics: '常見問題', areas: '服務範疇', privacy: '私隱政策', still: '你還在嗎？',
      idle: '畫面將於 {n} 秒後清除，以保障你的私隱。', cont: '繼續使用', cleared: '畫面已清除。',
      tooLong: '每則訊息最多 2,000 字，多出的部分不會傳送。'
    },
    'zh-Hans': {
      open: '开启网上查询助理', close: '关闭对话', launcher: '查询', assistant: '虚拟助理（非真人）',
      input: '输入你的问题', send: '发送', language: '语言', conversation: '对话记录',
      you: '你说：', bot: '助理说：', officer: '职员（真人）', options: '选项', source: '资料来源',
      human: '职员（真人）正在回复你', waiting: '正在等候职员（真人）接手，你的讯息会转交职员', scan: '用手机扫描此二维码打开网页：',
      newTab: '（在新标签页打开）', typing: '助理正在输入…', connecting: '连接中…',
      reconnecting: '连接中断，正在重新连接…', connected: '', restart: '重新开始',
      topics: '常见问题', areas: '服务范畴', privacy: '私隐政策', still: '你还在吗？',
      idle: '画面将于 {n} 秒后清除，以保障你的私隐。', cont: '继续使用', cleared: '画面已清除。',
      tooLong: '每则讯息最多 2,000 字，多出的部分不会发送。'
    },
    en: {
      open: 'Open the online enquiry assistant', close: 'Close chat', launcher: 'Ask us', assistant: 'Virtual assistant (not a person)',
      input: 'Type your question', send: 'Send', language: 'Language', conversation: 'Conversation',
      you: 'You said:', bot: 'Assistant said:', officer: 'Officer (a person)', options: 'Options', source: 'Source',
      human: 'An officer (a person) is replying', waiting: 'Waiting for an officer (a person): your messages are passed on', scan: 'Scan with your phone to open the page:',
      newTab: '(opens in a new tab)', typing: 'The assistant is typing…', connecting: 'Connecting…',
      reconnecting: 'Connection lost, reconnecting…', connected: '', restart: 'Start again',
      topics: 'Common questions', areas: 'Service areas', privacy: 'Privacy notice', still: 'Are you still there?',
      idle: 'The screen will clear in {n} seconds to protect your privacy.', cont: 'Continue', cleared: 'The screen was cleared.',
      tooLong: 'A message holds at most 2,000 characters: the rest will not be sent.'
    }
  };
  // What each language button shows, and the payload it sends: the switch_language intent
  // with the `lang` entity, as the bots' language buttons do.
  var SWITCH_TEXT = { 'zh-Hant': '請用繁體中文', 'zh-Hans': '请用简体中文', en: 'English please' };
  function switchPayload(lang) {
    return '/switch_language' + JSON.stringify({ lang: lang });
  }
  var LANGUAGE_BUTTONS = [
    { lang: 'zh-Hant', short: '繁', name: '繁體中文' },
    { lang: 'zh-Hans', short: '简', name: '简体中文' },
    { lang: 'en', short: 'EN', name: 'English', label: 'EN English' }
  ];

  /* The language of a message's words (its reply language), else the page's. */
  function messageLanguage(frame, fallback) {
    var tag = (frame && frame.metadata && frame.metadata.language) || fallback;
    return pageLanguage(tag);
  }

  /* Whether the citizen is waiting for an officer after this frame: from the bot's hand-over reply
   * until an officer's first message, a hand-back or the wait's expiry. */
  function handoffWaiting(frame, before) {
    var kind = (frame.metadata || {}).kind;
    if (frame.from === 'agent' || kind === 'handoff_released' || kind === 'handoff_timeout') return false;
    return kind === 'handoff' ? true : before;
  }

  function pageLanguage(tag) {
    return tag === 'en' || tag === 'zh-Hans' ? tag : 'zh-Hant';
  }

  function htmlLang(tag) {
    return { en: 'en', 'zh-Hans': 'zh-CN', 'zh-Hant': 'zh-HK', yue: 'zh-HK' }[tag] || 'zh-HK';
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // WCAG relative luminance and contrast ratio of two #rrggbb colours.
  function luminance(hex) {
    var rgb = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  }

  function contrastRatio(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  // A department colour is used only if white text on it reaches 4.5:1 (WCAG AA).
  function accentColor(requested) {
    if (/^#[0-9a-fA-F]{6}$/.test(requested || '') && contrastRatio(requested, '#ffffff') >= 4.5) {
      return requested;
    }
    return DEFAULT_COLOR;
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value));
      return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
    } catch (e) {
      return null;
    }
  }

  function storage() {
    try {
      return window.sessionStorage;
    } catch (e) {
      return null; // storage blocked: the conversation lasts as long as the page
    }
  }

  function stored(key, value) {
    var s = storage();
    if (!s) return null;
    if (value === undefined) return s.getItem(key);
    if (value === null) s.removeItem(key);
    else s.setItem(key, value);
    return value;
  }

  /* A link that leaves the chat: the department's name as its text, opened in a new tab. */
  function outLink(url, text, ui) {
    var link = el('a', 'hkb-source', text);
    link.href = url.href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.appendChild(el('span', 'hkb-sr', ' ' + ui.newTab));
    return link;
  }

  /* On a kiosk a link is of no use: a short printed reference and a QR code drawn by our server. */
  function printedReference(url, text, ui) {
    var box = el('div', 'hkb-ref');
    var words = el('p', 'hkb-ref-text', text);
    var shortUrl = url.hostname.replace(/^www\./, '') + (url.pathname.length > 1 ? url.pathname : '');
    words.appendChild(el('span', 'hkb-ref-url', shortUrl));
    box.appendChild(words);
    var qr = el('img', 'hkb-qr');
    qr.src = new URL('/qr.svg?url=' + encodeURIComponent(url.href), SERVER).href;
    qr.alt = ui.scan + ' ' + shortUrl;
    qr.width = 160;
    qr.height = 160;
    box.appendChild(qr);
    return box;
  }

  /* Where to read more: an answer's source, or the greeting's privacy notice. */
  function appendLink(item, url, text, ui, printed) {
    item.appendChild(printed ? printedReference(url, text, ui) : outLink(url, text, ui));
  }

  /* One message: text, one source link (or a printed reference on a kiosk), buttons.
   * Its labels follow the language of the message's own words. */
  function renderMessage(frame, language, onButton, printed) {
    var ui = UI[messageLanguage(frame, language)];
    var who = frame.from === 'user' ? 'user' : frame.from === 'agent' ? 'agent' : 'bot';
    var item = el('div', 'hkb-msg hkb-' + who);
    var meta = frame.metadata || {};
    if (meta.language) {
      item.lang = htmlLang(meta.language);
      item.dataset.language = String(meta.language);
    }
    if (meta.kind) item.dataset.kind = String(meta.kind);
    if (meta.label) item.dataset.label = String(meta.label);
    if (who === 'agent') item.appendChild(el('p', 'hkb-who', ui.officer)); // seen by everyone, read as the prefix
    else item.appendChild(el('span', 'hkb-sr', who === 'user' ? ui.you : ui.bot));
    if (frame.text) item.appendChild(el('p', 'hkb-text', frame.text));
    var source = safeUrl(meta.source);
    var privacy = safeUrl(meta.privacy_notice);
    if (source && who !== 'user') {
      appendLink(item, source, meta.source_label || ui.source + ': ' + source.hostname, ui, printed);
    } else if (privacy && who !== 'user') {
      appendLink(item, privacy, meta.privacy_label || ui.privacy, ui, printed);
    }
    var buttons = Array.isArray(frame.buttons) ? frame.buttons : [];
    if (buttons.length && onButton) {
      var group = el('div', 'hkb-buttons');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', ui.options);
      buttons.forEach(function (b) {
        var button = el('button', 'hkb-button', b.title);
        button.type = 'button';
        button.addEventListener('click', function () {
          onButton(b);
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    return item;
  }

  /* The socket client: hello/resume, message queue, typing, reconnect with backoff. */
  function Chat(options) {
    this.bot = options.bot;
    this.url = options.socketUrl;
    this.key = 'hkbot:' + options.bot + ':' + (options.mode || 'widget');
    this.on = options.handlers || {};
    this.ws = null;
    this.ready = false;
    this.attempt = 0;
    this.outbox = [];
    this.timer = null;
    this.current = null; // the conversation this socket is in (server-issued id)
    this.ending = null; // a conversation to end on the server once connected
  }

  Chat.prototype.sessionId = function () {
    return stored(this.key + ':session');
  };

  Chat.prototype.emit = function (name, value) {
    if (typeof this.on[name] === 'function') this.on[name](value);
  };

  Chat.prototype.connect = function () {
    var self = this;
    if (this.ws && (this.ws.readyState === 0 || this.ws.readyState === 1)) return;
    clearTimeout(this.timer);
    this.emit('status', this.attempt ? 'reconnecting' : 'connecting');
    // The language rides on the URL too, so that a refusal before hello is in the citizen's language.
    var language = this.on.language ? this.on.language() : '';
    var ws = new WebSocket(this.url + (this.url.indexOf('?') < 0 ? '?' : '&') + 'lang=' + encodeURIComponent(language || ''));
    this.ws = ws;
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: 'hello', session_id: self.sessionId(), language: language || undefined }));
    };
    ws.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      self.receive(frame);
    };
    ws.onclose = function (event) {
      if (self.ws !== ws) return;
      self.ready = false;
      self.ws = null;
      if (event.code === 1008) {
        self.emit('status', 'connected'); // refused (origin not allowed): the error frame said why; no retry
        return;
      }
      self.attempt += 1;
      self.emit('status', 'reconnecting');
      // Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... at most 15 s.
      var delay = Math.min(15000, 500 * Math.pow(2, self.attempt - 1)) * (0.75 + Math.random() * 0.5);
      self.timer = setTimeout(function () {
        self.connect();
      }, delay);
    };
  };

  Chat.prototype.receive = function (frame) {
    if (frame.type === 'session') {
      this.ready = true;
      this.attempt = 0;
      this.current = frame.session_id;
      stored(this.key + ':session', frame.session_id);
      this.sendEnding();
      this.emit('status', 'connected');
      this.emit('session', frame);
      var queued = this.outbox;
      this.outbox = [];
      for (var i = 0; i < queued.length; i++) this.send(queued[i]);
    } else if (frame.type === 'message') {
      this.emit('message', frame);
    } else if (frame.type === 'typing') {
      this.emit('typing', !!frame.on);
    } else if (frame.type === 'error') {
      this.emit('error', frame);
    } else if (frame.type === 'session_ended') {
      if (frame.session_id && frame.session_id === this.ending) {
        this.ending = null;
        stored(this.key + ':ending', null);
      }
      if (frame.session_id && frame.session_id !== this.current) return; // an earlier conversation, ended late
      this.current = null;
      stored(this.key + ':session', null);
      this.emit('ended', frame);
      if (this.ws) this.ws.send(JSON.stringify({ type: 'hello', session_id: null }));
    }
  };

  Chat.prototype.send = function (frame) {
    if (this.ready && this.ws && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify(frame));
    } else {
      this.outbox.push(frame);
      this.connect();
    }
  };

  Chat.prototype.say = function (text, payload, language, surface) {
    var frame = { type: 'message', text: text, metadata: { language: language, surface: surface || 'widget' } };
    if (payload) frame.payload = payload;
    this.send(frame);
  };

  /* Forget the conversation here at once, and on the server as soon as there is a connection (the
   * kiosk's reset): a page reloaded before that starts a new conversation, never the last citizen's. */
  Chat.prototype.end = function () {
    this.outbox = this.outbox.filter(function (f) {
      return f.type !== 'message';
    });
    var old = this.sessionId() || this.current;
    if (!old) return;
    stored(this.key + ':session', null);
    this.ending = old;
    stored(this.key + ':ending', old);
    if (this.ready && this.ws && this.ws.readyState === 1) this.sendEnding();
    else this.connect();
  };

  /* Ask the server to end the conversation that end() forgot here (kept until the server confirms). */
  Chat.prototype.sendEnding = function () {
    var ending = stored(this.key + ':ending') || this.ending;
    if (ending && this.ws && this.ws.readyState === 1) {
      this.ending = ending;
      this.ws.send(JSON.stringify({ type: 'end_session', session_id: ending }));
    }
  };

  window.HKBot = {
    UI: UI,
    SWITCH_TEXT: SWITCH_TEXT,
    switchPayload: switchPayload,
    LANGUAGE_BUTTONS: LANGUAGE_BUTTONS,
    Chat: Chat,
    renderMessage: renderMessage,
    messageLanguage: messageLanguage,
    handoffWaiting: handoffWaiting,
    pageLanguage: pageLanguage,
    htmlLang: htmlLang,
    el: el,
    stored: stored,
    contrastRatio: contrastRatio,
    accentColor: accentColor,
    socketUrl: function (bot) {
      var url = new URL('/bots/' + encodeURIComponent(bot) + '/websocket', SERVER);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      return url.href;
    },
    staticUrl: function (name) {
      return new URL(name, STATIC).href;
    }
  };

  if (script && script.dataset.bot) mountWidget(script.dataset);

  /* A speech bubble drawn in SVG (emoji fonts are missing on many kiosks and servers). */
  function chatIcon() {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '24');
    svg.setAttribute('height', '24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', 'hkb-icon');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
    path.setAttribute('fill', 'currentColor');
    svg.appendChild(path);
    return svg;
  }

  /* The launcher and panel, inside a shadow root so the host page's CSS cannot break them. */
  function mountWidget(data) {
    var bot = data.bot;
    var key = 'hkbot:' + bot + ':widget';
    var language = pageLanguage(stored(key + ':lang') || data.lang);
    var profile = null;
    var typingTimer = null;
    var officer = false; // an officer is replying (handoff taken)
    var waiting = false; // a hand-over was asked for and no officer has replied yet

    var host = el('div');
    host.id = 'hkbot-widget';
    host.style.setProperty('--hkb-accent', accentColor(data.color));
    var root = host.attachShadow({ mode: 'open' });
    var css = el('link');
    css.rel = 'stylesheet';
    css.href = HKBot.staticUrl('widget.css');
    root.appendChild(css);

    var wrap = el('div', 'hkb-root');
    var launcher = el('button', 'hkb-launcher');
    launcher.type = 'button';
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-controls', 'hkb-panel');
    var launcherIcon = chatIcon();
    var launcherText = el('span', 'hkb-launcher-text');
    launcher.appendChild(launcherIcon);
    launcher.appendChild(launcherText);

    var panel = el('section', 'hkb-panel');
    panel.id = 'hkb-panel';
    panel.hidden = true;
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-labelledby', 'hkb-title');
    var header = el('div', 'hkb-header'); // not a <header>: the host page has its own banner
    var titles = el('div', 'hkb-titles');
    var title = el('h2', 'hkb-title');
    title.id = 'hkb-title';
    var subtitle = el('p', 'hkb-subtitle');
    titles.appendChild(title);
    titles.appendChild(subtitle);
    var close = el('button', 'hkb-close');
    close.type = 'button';
    var closeIcon = el('span', '', '×');
    closeIcon.setAttribute('aria-hidden', 'true');
    close.appendChild(closeIcon);
    var langs = el('div', 'hkb-langs');
    langs.setAttribute('role', 'group');
    var langButtons = LANGUAGE_BUTTONS.map(function (option) {
      var b = el('button', 'hkb-lang', option.short);
      b.type = 'button';
      b.lang = htmlLang(option.lang);
      b.setAttribute('aria-label', option.label || option.name);
      b.dataset.lang = option.lang;
      b.addEventListener('click', function () {
        switchLanguage(option.lang);
      });
      langs.appendChild(b);
      return b;
    });
    header.appendChild(titles);
    header.appendChild(langs);
    header.appendChild(close);

    var status = el('p', 'hkb-status');
    status.setAttribute('role', 'status');
    var log = el('div', 'hkb-log');
    log.setAttribute('role', 'log');
    log.setAttribute('aria-live', 'polite');
    log.tabIndex = 0;
    var typing = el('p', 'hkb-typing');
    typing.hidden = true;
    var form = el('form', 'hkb-form');
    var label = el('label', 'hkb-sr');
    label.htmlFor = 'hkb-input';
    var input = el('input', 'hkb-input');
    input.id = 'hkb-input';
    input.type = 'text';
    input.maxLength = 2000;
    input.autocomplete = 'off';
    var sendButton = el('button', 'hkb-send');
    sendButton.type = 'submit';
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(sendButton);
    panel.appendChild(header);
    panel.appendChild(status);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(form);
    wrap.appendChild(panel);
    wrap.appendChild(launcher);
    root.appendChild(wrap);
    document.body.appendChild(host);

    var chat = new Chat({
      bot: bot,
      mode: 'widget',
      socketUrl: data.socket || HKBot.socketUrl(bot),
      handlers: {
        language: function () {
          return language;
        },
        status: function (state) {
          var ui = UI[language];
          status.textContent = state === 'connected' ? '' : ui[state] || '';
        },
        session: function (frame) {
          profile = frame.profile || profile; // titles and greeting come with the session
          applyLanguage();
          redraw(frame.history || []);
        },
        message: function (frame) {
          showTyping(false);
          follow(frame);
          log.appendChild(renderMessage(frame, language, pressButton));
          scrollDown();
        },
        typing: showTyping,
        error: function (frame) {
          showTyping(false);
          var item = el('div', 'hkb-msg hkb-error');
          item.appendChild(el('p', 'hkb-text', frame.text));
          log.appendChild(item);
          scrollDown();
        }
      }
    });

    function scrollDown() {
      log.scrollTop = log.scrollHeight;
    }

    function showTyping(on) {
      clearTimeout(typingTimer);
      typing.hidden = !on;
      if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, 20000);
    }

    /* The greeting offers the bot's service areas (each sends `/browse{"area": ...}`, answered by the bot
     * with that area's topics), or, for a bot without areas, its top topics (sent as typed words). */
    function greetingFrame() {
      if (!profile) return null;
      var areas = profile.areas || [];
      return {
        from: 'bot',
        text: profile.greeting[language] || '',
        metadata: { language: language, kind: 'greeting', privacy_notice: (profile.privacy_notice || {})[language] },
        buttons: areas.length ? areas.map(function (a) {
          return { title: a.title[language], payload: a.payload };
        }) : profile.topics.map(function (t) {
          return { title: t.title[language], payload: '' };
        })
      };
    }

    function redraw(history) {
      log.textContent = '';
      var greeting = greetingFrame();
      if (greeting && greeting.text) log.appendChild(renderMessage(greeting, language, pressButton));
      history.forEach(function (frame) {
        follow(frame);
        log.appendChild(renderMessage(frame, language, pressButton));
      });
      scrollDown();
    }

    /* The page follows the conversation: the language of the bot's latest reply, and whether
     * an officer (a person) is replying (from their first message until handed back or expired). */
    function follow(frame) {
      if (frame.from === 'user') return;
      var kind = (frame.metadata || {}).kind;
      var human = frame.from === 'agent' ? true : kind === 'handoff_released' || kind === 'handoff_timeout' ? false : officer;
      var wait = handoffWaiting(frame, waiting);
      var next = frame.metadata && frame.metadata.language ? messageLanguage(frame, language) : language;
      if (next === language && human === officer && wait === waiting) return;
      officer = human;
      waiting = wait;
      if (next !== language) {
        language = next;
        stored(key + ':lang', language);
      }
      applyLanguage();
    }

    function addUser(text) {
      log.appendChild(renderMessage({ from: 'user', text: text, metadata: { language: language } }, language));
      scrollDown();
    }

    function pressButton(button) {
      addUser(button.title);
      chat.say(button.title, button.payload, language);
    }

    function applyLanguage() {
      var ui = UI[language];
      wrap.lang = htmlLang(language);
      var name = profile ? profile.display_name[language] : '';
      launcherText.textContent = ui.launcher;
      launcher.setAttribute('aria-label', ui.open + (name ? '：' + name : ''));
      title.textContent = name || ui.launcher;
      subtitle.textContent = officer ? ui.human : waiting ? ui.waiting : ui.assistant;
      wrap.classList.toggle('hkb-with-officer', officer);
      wrap.classList.toggle('hkb-waiting-officer', waiting && !officer);
      close.setAttribute('aria-label', ui.close);
      langs.setAttribute('aria-label', ui.language);
      log.setAttribute('aria-label', ui.conversation);
      typing.textContent = ui.typing;
      label.textContent = ui.input;
      input.placeholder = ui.input;
      sendButton.textContent = ui.send;
      langButtons.forEach(function (b) {
        b.setAttribute('aria-pressed', b.dataset.lang === language ? 'true' : 'false');
      });
    }

    function switchLanguage(next) {
      if (next === language) return;
      language = next;
      stored(key + ':lang', language);
      applyLanguage();
      var first = log.firstElementChild;
      var greeting = greetingFrame();
      if (first && first.dataset.kind === 'greeting' && greeting) {
        log.replaceChild(renderMessage(greeting, language, pressButton), first); // topics in the new language
      }
      addUser(SWITCH_TEXT[language]);
      chat.say(SWITCH_TEXT[language], switchPayload(language), language);
    }

    function open() {
      panel.hidden = false;
      launcher.setAttribute('aria-expanded', 'true');
      launcher.hidden = true;
      stored(key + ':open', '1');
      chat.connect();
      input.focus();
    }

    function shut() {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute('aria-expanded', 'false');
      stored(key + ':open', null);
      launcher.focus();
    }

    launcher.addEventListener('click', open);
    close.addEventListener('click', shut);
    panel.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') {
        event.preventDefault();
        shut();
      }
    });
    // The input keeps at most maxLength characters (a paste is cut there): say so, in the page's language.
    input.addEventListener('input', function () {
      var full = input.value.length >= input.maxLength;
      if (full) status.textContent = UI[language].tooLong;
      else if (status.textContent === UI[language].tooLong) status.textContent = '';
    });

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      if (status.textContent === UI[language].tooLong) status.textContent = '';
      input.value = '';
      addUser(text);
      chat.say(text, null, language);
    });

    applyLanguage();
    if (stored(key + ':open')) open();
  }
})();
