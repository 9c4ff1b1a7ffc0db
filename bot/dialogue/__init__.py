"""How the assistant answers a parsed message, and the objects the action server keeps."""
