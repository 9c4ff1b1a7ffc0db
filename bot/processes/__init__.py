"""Starting and stopping the assistant's processes: the stack of servers, the scaled-out
deployment behind nginx, the terminal shell and the web page."""
