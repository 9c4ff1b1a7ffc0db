// Starts the chat widget inside the page, with the settings the server put in /config.js,
// in the visitor's language: the one they picked on this page, else the browser's.
(function () {
  var config = window.ASSISTANT_CONFIG;
  var STORAGE_KEY = "certificate-assistant-language";
  var TEXT = {
    en: { title: "Certificate assistant", subtitle: "Qualification certificates in China",
          hint: "Ask about a certificate...", connecting: "Connecting..." },
    zh: { title: "证书助手", subtitle: "职业资格证书问答", hint: "请输入您的问题……", connecting: "正在连接……" },
  };
  var widget = null;

  function browserLanguage() {
    var languages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    return String(languages[0] || "en").toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  }

  function chosenLanguage() {
    var stored = window.localStorage.getItem(STORAGE_KEY);
    return stored === "zh" || stored === "en" ? stored : browserLanguage();
  }

  // The page shows the intro in one language; the widget's texts follow.
  function render(language) {
    document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
    document.documentElement.setAttribute("data-language", language);
    document.title = TEXT[language].title;
    document.querySelectorAll("[data-switch-language]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-switch-language") === language));
    });
    // Rendering again into the same element updates the widget's texts and keeps its
    // conversation.
    window.WebChat.default(
      {
        socketUrl: config.socketUrl,
        socketPath: "/socket.io/",
        // Sent once when a conversation starts: the assistant greets in this language and
        // says what it can do.
        initPayload: "/greet" + JSON.stringify({ language: language }),
        title: TEXT[language].title,
        subtitle: TEXT[language].subtitle,
        inputTextFieldHint: TEXT[language].hint,
        connectingText: TEXT[language].connecting,
        embedded: true,
        // The widget waits up to 3 s per message by default, to look like typing.
        customMessageDelay: function () { return 300; },
        hideWhenNotConnected: false,
        // Session storage: the conversation survives a reload but not closing the tab, so a
        // shared computer does not keep someone's certificate lookup.
        params: { storage: "session" },
        innerRef: function (ref) { if (ref) { widget = ref; } },
      },
      document.getElementById("chat")
    );
  }

  document.querySelectorAll("[data-switch-language]").forEach(function (button) {
    button.addEventListener("click", function () {
      var language = button.getAttribute("data-switch-language");
      if (language === document.documentElement.getAttribute("data-language")) { return; }
      window.localStorage.setItem(STORAGE_KEY, language);
      render(language);
      // Tells the assistant, without showing a message, to answer in this language from now on.
      if (widget) { widget.sendMessage("/switch_language" + JSON.stringify({ language: language })); }
    });
  });

  render(chosenLanguage());
})();
