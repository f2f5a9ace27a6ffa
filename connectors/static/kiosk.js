/* hkbot kiosk: big topic and language buttons, no typing needed; after the idle time it warns,
 * then wipes the screen and ends the conversation on the server. Uses window.HKBot (widget.js). */
(function () {
  'use strict';

  var H = window.HKBot;
  var page = document.getElementById('kiosk');
  var profile = JSON.parse(document.getElementById('hkbot-profile').textContent);
  var bot = profile.bot;
  var key = 'hkbot:' + bot + ':kiosk';
  var defaultLanguage = H.pageLanguage(page.dataset.lang || profile.default_language);
  var language = H.pageLanguage(H.stored(key + ':lang') || defaultLanguage);
  var idleSeconds = Math.max(2, parseInt(page.dataset.idle, 10) || profile.idle_seconds || 90);
  var warnSeconds = Math.max(1, parseInt(page.dataset.warn, 10) || 20);
  var officer = false; // an officer is replying (handoff taken)
  var waiting = false; // a hand-over was asked for and no officer has replied yet
  var waitingSince = 0;
  // While a citizen waits for an officer (as the bot asked them to), the idle wipe waits too: the
  // server ends the wait itself (handoff_timeout, after the bot's wait_seconds); this cap only
  // guards against a wait whose end never arrives (a lost connection).
  var WAIT_CAP_MS = 10 * 60 * 1000;

  var title = document.getElementById('kiosk-title');
  var subtitle = document.getElementById('kiosk-subtitle');
  var langs = document.getElementById('kiosk-langs');
  var log = document.getElementById('kiosk-log');
  var typing = document.getElementById('kiosk-typing');
  var topicsTitle = document.getElementById('kiosk-topics-title');
  var topics = document.getElementById('kiosk-topics');
  var form = document.getElementById('kiosk-form');
  var input = document.getElementById('kiosk-input');
  var inputLabel = document.getElementById('kiosk-input-label');
  var send = document.getElementById('kiosk-send');
  var restart = document.getElementById('kiosk-restart');
  var status = document.getElementById('kiosk-status');
  var dialog = document.getElementById('kiosk-idle');
  var dialogTitle = document.getElementById('kiosk-idle-title');
  var dialogText = document.getElementById('kiosk-idle-text');
  var continueButton = document.getElementById('kiosk-continue');

  var chat = new H.Chat({
    bot: bot,
    mode: 'kiosk',
    socketUrl: page.dataset.socket || H.socketUrl(bot),
    handlers: {
      language: function () {
        return language;
      },
      status: function (state) {
        if (state === 'connected' && document.body.dataset.state === 'cleared') return; // keep "cleared" for screen readers
        status.textContent = state === 'connected' ? '' : H.UI[language][state] || '';
      },
      session: function (frame) {
        redraw(frame.history || []);
      },
      message: function (frame) {
        showTyping(false);
        follow(frame);
        log.appendChild(H.renderMessage(frame, language, press, true));
        scrollDown();
      },
      typing: showTyping,
      error: function (frame) {
        showTyping(false);
        var item = H.el('div', 'hkb-msg hkb-error');
        item.appendChild(H.el('p', 'hkb-text', frame.text));
        log.appendChild(item);
      },
      ended: function () {
        redraw([]);
      }
    }
  });

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function showTyping(on) {
    typing.hidden = !on;
  }

  function redraw(history) {
    log.textContent = '';
    var greeting = profile.greeting[language];
    var privacy = (profile.privacy_notice || {})[language];
    if (greeting) {
      var frame = { from: 'bot', text: greeting, metadata: { language: language, privacy_notice: privacy } };
      log.appendChild(H.renderMessage(frame, language, null, true));
    }
    history.forEach(function (frame) {
      follow(frame);
      log.appendChild(H.renderMessage(frame, language, press, true));
    });
    scrollDown();
  }

  /* The screen follows the bot's latest reply: its language (typing English gets English buttons),
   * and whether an officer (a person) is replying. */
  function follow(frame) {
    if (frame.from === 'user') return;
    var kind = (frame.metadata || {}).kind;
    var human = frame.from === 'agent' ? true : kind === 'handoff_released' || kind === 'handoff_timeout' ? false : officer;
    var wait = H.handoffWaiting(frame, waiting);
    var next = frame.metadata && frame.metadata.language ? H.messageLanguage(frame, language) : language;
    if (next === language && human === officer && wait === waiting) return;
    officer = human;
    if (wait && !waiting) waitingSince = Date.now();
    waiting = wait;
    if (next !== language) H.stored(key + ':lang', next);
    language = next;
    applyLanguage();
  }

  function addUser(text) {
    log.appendChild(H.renderMessage({ from: 'user', text: text, metadata: { language: language } }, language, null, true));
    scrollDown();
  }

  function ask(text, payload) {
    addUser(text);
    chat.say(text, payload, language, 'kiosk');
  }

  function press(button) {
    ask(button.title, button.payload);
  }

  /* The big buttons: the bot's service areas (the bot answers `/browse{"area": ...}` with that area's
   * topics as buttons in the conversation), or, for a bot without areas, its top topics. */
  function renderTopics() {
    topics.textContent = '';
    var areas = profile.areas || [];
    topics.classList.toggle('kiosk-areas', areas.length > 0);
    (areas.length ? areas : profile.topics).forEach(function (topic) {
      var b = H.el('button', areas.length ? 'kiosk-topic kiosk-area' : 'kiosk-topic', topic.title[language]);
      b.type = 'button';
      if (areas.length) b.dataset.area = topic.id;
      b.addEventListener('click', function () {
        ask(topic.title[language], topic.payload);
      });
      var item = H.el('li');
      item.appendChild(b);
      topics.appendChild(item);
    });
  }

  function applyLanguage() {
    var ui = H.UI[language];
    page.lang = H.htmlLang(language);
    document.documentElement.lang = H.htmlLang(language);
    title.textContent = profile.display_name[language];
    subtitle.textContent = officer ? ui.human : waiting ? ui.waiting : ui.assistant;
    page.classList.toggle('kiosk-waiting-officer', waiting && !officer);
    langs.setAttribute('aria-label', ui.language);
    log.setAttribute('aria-label', ui.conversation);
    typing.textContent = ui.typing;
    topicsTitle.textContent = (profile.areas || []).length ? ui.areas : ui.topics;
    inputLabel.textContent = ui.input;
    input.placeholder = ui.input;
    send.textContent = ui.send;
    restart.textContent = ui.restart;
    dialogTitle.textContent = ui.still;
    continueButton.textContent = ui.cont;
    Array.prototype.forEach.call(langs.querySelectorAll('button'), function (b) {
      b.setAttribute('aria-pressed', b.dataset.lang === language ? 'true' : 'false');
    });
    renderTopics();
  }

  function switchLanguage(next) {
    if (next === language) return;
    language = next;
    H.stored(key + ':lang', language);
    applyLanguage();
    ask(H.SWITCH_TEXT[language], H.switchPayload(language));
  }

  H.LANGUAGE_BUTTONS.forEach(function (option) {
    var b = H.el('button', 'kiosk-lang', option.name);
    b.type = 'button';
    b.lang = H.htmlLang(option.lang);
    b.dataset.lang = option.lang;
    b.addEventListener('click', function () {
      switchLanguage(option.lang);
    });
    langs.appendChild(b);
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    ask(text);
  });

  /* Idle: warn after idleSeconds without a touch, then wipe after warnSeconds more. */
  var idleTimer = null;
  var countdown = null;
  var remaining = 0;

  function wipe() {
    hideWarning();
    chat.end();
    officer = false;
    waiting = false;
    language = defaultLanguage;
    H.stored(key + ':lang', null);
    input.value = '';
    applyLanguage();
    redraw([]);
    status.textContent = H.UI[language].cleared;
    document.body.dataset.state = 'cleared';
  }

  function hideWarning() {
    clearInterval(countdown);
    dialog.hidden = true;
  }

  function warn() {
    if (waiting && Date.now() - waitingSince < WAIT_CAP_MS) {
      idleTimer = setTimeout(warn, idleSeconds * 1000); // told to stay for an officer: not idle
      return;
    }
    remaining = warnSeconds;
    dialogText.textContent = H.UI[language].idle.replace('{n}', remaining);
    dialog.hidden = false;
    continueButton.focus();
    countdown = setInterval(function () {
      remaining -= 1;
      if (remaining <= 0) {
        wipe();
      } else {
        dialogText.textContent = H.UI[language].idle.replace('{n}', remaining);
      }
    }, 1000);
  }

  function touched() {
    clearTimeout(idleTimer);
    if (!dialog.hidden) return; // only the Continue button dismisses the warning
    if (document.body.dataset.state === 'cleared') status.textContent = '';
    document.body.dataset.state = 'active';
    idleTimer = setTimeout(warn, idleSeconds * 1000);
  }

  continueButton.addEventListener('click', function () {
    hideWarning();
    touched();
  });
  restart.addEventListener('click', function () {
    wipe();
    touched();
  });
  ['pointerdown', 'keydown', 'touchstart', 'wheel'].forEach(function (name) {
    document.addEventListener(name, touched, { passive: true });
  });

  applyLanguage();
  redraw([]);
  chat.connect();
  touched();
})();
