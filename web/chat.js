// Starts the chat widget inside the page, with the settings the server put in /config.js.
(function () {
  var config = window.ASSISTANT_CONFIG;
  window.WebChat.default(
    {
      socketUrl: config.socketUrl,
      socketPath: "/socket.io/",
      // Sent once when a conversation starts: the assistant answers with what it can do.
      initPayload: "/greet",
      customData: { language: config.language },
      title: "Certificate assistant",
      subtitle: "Qualification certificates in China",
      inputTextFieldHint: "Ask about a certificate...",
      embedded: true,
      // The widget waits up to 3 s per message by default, to look like typing.
      customMessageDelay: function () { return 300; },
      hideWhenNotConnected: false,
      // Session storage: the conversation survives a reload but not closing the tab, so a
      // shared computer does not keep someone's certificate lookup.
      params: { storage: "session" },
    },
    document.getElementById("chat")
  );
})();
